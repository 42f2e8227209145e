"""Fill Swedish msgstr for the given msgids (a consultant-facing helper for translators).

Usage: python scripts/sv.py FILE.json — a JSON object {msgid: Swedish}, or {msgid: [singular,
plural]} for an entry with plural forms, with "context\\x04msgid" as the key of an entry that has a
context; clears the fuzzy flag of each entry it fills. Needs polib
(pip install polib); not used at run time.
"""

import json
import sys

import polib

PO = "locale/sv/LC_MESSAGES/django.po"
po = polib.pofile(PO)
table = json.load(open(sys.argv[1], encoding="utf-8"))
for entry in po:
    # A msgid with a context is keyed "context\x04msgid", as gettext itself keys it.
    key = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
    if key in table:
        swedish = table[key]
        if entry.msgid_plural:
            forms = swedish if isinstance(swedish, list) else [swedish, swedish]
            entry.msgstr_plural = dict(enumerate(forms))
        else:
            entry.msgstr = swedish
        if entry.fuzzy:
            entry.flags.remove("fuzzy")
            entry.previous_msgid = None
            entry.previous_msgid_plural = None  # a "#| msgid_plural" alone does not compile
po.save(PO)
left = [e.msgid for e in po if e.msgid and (not e.translated() or e.fuzzy) and not e.obsolete]
print("untranslated or fuzzy:", left)
