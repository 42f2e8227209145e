"""Text for Visma: Windows-1252 only, never longer than the field.

The ADK takes ``CHAR*`` strings (reference §1.4, §6.5), so anything outside cp1252 would be mangled
into "?" by the wrapper's ANSI marshalling. Keys and references (article and customer numbers, the
shop's order reference, codes) are never changed: one outside cp1252 is refused, because
``ALIAS-☃`` and ``ALIAS-★`` would both become ``ALIAS-`` and the second would overwrite the first.
Free text is transliterated (Ł → L, ő → o, typographic dashes, emoji dropped) when the result still
says something; text that would lose most of itself (``日本語テスト 🎉`` → "") is refused. Every change
is logged and reported back as a warning, so nothing is ever replaced silently.
"""

from __future__ import annotations

import logging
import unicodedata

from connectors.visma.agent.errors import AdkError

log = logging.getLogger("connectors.visma.agent.text")

# Letters that have no decomposition into an ASCII base letter plus combining marks.
_SPECIAL = {
    "Ł": "L",
    "ł": "l",
    "Đ": "D",
    "đ": "d",
    "Ħ": "H",
    "ħ": "h",
    "ı": "i",
    "ĸ": "k",
    "Ŀ": "L",
    "ŀ": "l",
    "ŉ": "n",
    "Ŋ": "N",
    "ŋ": "n",
    "Ŧ": "T",
    "ŧ": "t",
    "Ə": "E",
    "ə": "e",
    "\u2212": "-",  # minus sign
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2015": "-",
    "\u2032": "'",
    "\u2033": '"',
    "\u2192": "->",
    "\u2190": "<-",
    "\u2264": "<=",
    "\u2265": ">=",
    "\u2260": "!=",
    "\u00a0": " ",
    "\u202f": " ",
    "\u2009": " ",
    "\u200b": "",
    "\ufeff": "",
}


def _fits(text: str) -> bool:
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def _transliterate_char(char: str) -> str:
    if char in _SPECIAL:
        return _SPECIAL[char]
    decomposed = unicodedata.normalize("NFKD", char)
    kept = "".join(c for c in decomposed if not unicodedata.combining(c) and _fits(c))
    # Empty for controls, emoji, CJK, lone surrogates: nothing sensible in cp1252, so the
    # character is dropped (and the caller logs the change).
    return kept


def fits_cp1252(value: str) -> bool:
    """True if ``value`` (NFC) is stored unchanged: Windows-1252 and no NUL."""
    value = unicodedata.normalize("NFC", value)
    return "\x00" not in value and _fits(value)


def to_cp1252(value: str) -> str:
    """Return ``value`` with every character representable in Windows-1252."""
    # NUL fits cp1252 but ends a C string: the ADK would silently cut the text there.
    value = unicodedata.normalize("NFC", value).replace("\x00", "")
    if _fits(value):  # the common case: one encode, no per-character work
        return value
    return "".join(c if _fits(c) else _transliterate_char(c) for c in value)


def lost_too_much(value: str) -> bool:
    """True if transliterating ``value`` would leave nothing, or drop most of its characters.

    Counted on the visible characters: "Tack 😀!" keeps 5 of 6 (kept, with a warning), while
    "日本語テスト 🎉" keeps none of 7 (refused: an empty name is no name).
    """
    value = unicodedata.normalize("NFC", value)
    if _fits(value):  # the common case: nothing is dropped (one encode, no per-character work)
        return False
    visible = [c for c in value if not c.isspace() and c != "\x00"]
    if not visible:
        return False
    dropped = sum(1 for c in visible if not _fits(c) and not _transliterate_char(c).strip())
    return dropped * 2 > len(visible) or not to_cp1252(value).strip()


def prepare(value: str, *, field: str, length: int, trim: bool, warnings: list[str] | None = None) -> str:
    """Transliterate and (for free text) trim ``value`` for ``field``; record what changed.

    Key fields (``trim=False``) are never changed: outside cp1252 they are refused with
    ``ADKE_INVALID_STRING``, and if too long the ADK refuses them with ``ADKE_TOO_MANY_SIGNS``, so
    the caller sees a permanent error instead of a wrong key. The agent's request bounds
    (``connectors/visma/bounds.py``) refuse both earlier with the request's field name; this is the
    last line for any path that bypasses them.
    """
    if not trim and not fits_cp1252(value):
        raise AdkError(34, field=field, detail=f"{value[:40]!r} is outside Windows-1252")
    if lost_too_much(value):
        raise AdkError(34, field=field, detail=f"{value[:40]!r} has almost nothing in Windows-1252")
    converted = to_cp1252(value)
    if converted != value:
        message = f"{field}: transliterated to Windows-1252 ({value!r} -> {converted!r})"
        log.info(message)
        if warnings is not None:
            warnings.append(message)
    if trim and length and len(converted) > length:
        message = f"{field}: trimmed from {len(converted)} to {length} characters"
        log.warning("%s (%r)", message, converted)
        converted = converted[:length].rstrip()
        if warnings is not None:
            warnings.append(message)
    return converted
