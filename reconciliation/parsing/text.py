"""Bytes → text → rows, tolerant of what spreadsheets and banks produce.

Encodings: UTF-8 with or without BOM, else Windows-1252, else ISO-8859-1 (which decodes anything).
Delimiters: csv.Sniffer over the header line, limited to the ones seen in the wild.
Numbers: decimal comma or point, thousands separators (space, NBSP, narrow NBSP, apostrophe, the
other of comma/point), a leading minus or a trailing one, at most two decimals for money.
"""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from .errors import ParseError

DELIMITERS = ";,\t|"
_SPACES = re.compile(r"[\s\u00a0\u202f']")


def decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def norm_header(name: str) -> str:
    """`Payout reference`, `payout_reference`, `payoutReference` → `payoutreference`."""
    return re.sub(r"[^0-9a-z]", "", name.strip().lower())


def sniff_delimiter(line: str) -> str:
    try:
        return csv.Sniffer().sniff(line, delimiters=DELIMITERS).delimiter
    except csv.Error:
        counts = {d: line.count(d) for d in DELIMITERS}
        best = max(counts, key=counts.__getitem__)
        return best if counts[best] else ","


def read_rows(text: str, delimiter: str, *, file: str) -> list[list[str]]:
    try:
        return list(csv.reader(io.StringIO(text), delimiter=delimiter, strict=True))
    except csv.Error as exc:
        raise ParseError(
            file, _("not readable as CSV (%(error)s); the file may be truncated") % {"error": exc}
        ) from None


def _not_a_number(row: int, column: str, raw: str) -> str:
    return _("row %(row)s, column %(column)s: %(value)s is not a number") % {
        "row": row, "column": column, "value": repr(raw),
    }  # fmt: skip


def parse_amount(value: str, *, file: str, row: int, column: str, places: int = 2) -> Decimal:
    """A money amount as Decimal; a bad one raises ParseError naming file, row and column."""
    raw = value
    value = _SPACES.sub("", value or "")
    if value in ("", "-"):
        return Decimal("0.00")
    negative = False
    if value.endswith("-"):
        negative, value = True, value[:-1]
    if value.startswith("(") and value.endswith(")"):
        negative, value = True, value[1:-1]
    if value.startswith(("-", "−")):
        negative, value = not negative, value[1:]
    elif value.startswith("+"):
        value = value[1:]
    if "," in value and "." in value:
        decimal_mark = "," if value.rfind(",") > value.rfind(".") else "."
    elif value.count(",") == 1:
        decimal_mark = ","
    elif value.count(".") == 1:
        decimal_mark = "."
    else:
        decimal_mark = ""  # none, or only thousands separators ("1,234,567")
    thousands = {",", "."} - {decimal_mark}
    for mark in thousands:
        value = value.replace(mark, "")
    if decimal_mark == ",":
        value = value.replace(",", ".")
    if not re.fullmatch(r"\d+(\.\d*)?|\.\d+", value):
        raise ParseError(file, _not_a_number(row, column, raw))
    try:
        amount = Decimal(value)
    except InvalidOperation:  # pragma: no cover - the regex above already guards
        raise ParseError(file, _not_a_number(row, column, raw)) from None
    quantum = Decimal(1).scaleb(-places)
    if amount != amount.quantize(quantum):
        raise ParseError(
            file,
            _("row %(row)s, column %(column)s: %(value)s has more than %(places)s decimals")
            % {"row": row, "column": column, "value": repr(raw), "places": places},
        )
    amount = amount.quantize(quantum)
    return -amount if negative else amount


def minor_units(value, *, file: str, row: int, column: str) -> Decimal:
    """JSON integers in minor units (Klarna, Nets, Svea APIs): 2000 → 20.00."""
    if value is None or value == "":
        return Decimal("0.00")
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise ParseError(
                file,
                _("row %(row)s, field %(column)s: %(value)s is not a whole number of öre")
                % {"row": row, "column": column, "value": repr(value)},
            )
    return (Decimal(value) / 100).quantize(Decimal("0.01"))
