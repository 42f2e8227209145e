"""Text for Visma: Windows-1252 only, never longer than the field.

The ADK takes ``CHAR*`` strings (reference §1.4, §6.5), so anything outside cp1252 would be mangled
into "?" by the wrapper's ANSI marshalling. We transliterate first (Ł → L, ő → o, emoji dropped)
and log every change, so nothing is ever replaced silently.
"""

from __future__ import annotations

import logging
import unicodedata

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


def to_cp1252(value: str) -> str:
    """Return ``value`` with every character representable in Windows-1252."""
    # NUL fits cp1252 but ends a C string: the ADK would silently cut the text there.
    value = unicodedata.normalize("NFC", value).replace("\x00", "")
    if _fits(value):  # the common case: one encode, no per-character work
        return value
    return "".join(c if _fits(c) else _transliterate_char(c) for c in value)


def prepare(value: str, *, field: str, length: int, trim: bool, warnings: list[str] | None = None) -> str:
    """Transliterate and (for free text) trim ``value`` for ``field``; record what changed.

    Key fields (``trim=False``) are only transliterated: if too long, the ADK refuses them with
    ``ADKE_TOO_MANY_SIGNS`` and the caller sees a permanent error instead of a wrong key.
    """
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
