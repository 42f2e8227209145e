"""SIE 4I (``.SI``) vouchers: CP437, CRLF, ``#FLAGGA 0``, each ``#VER`` balanced before writing.

Rules from SIE filformat 4B (see the reference note §3): PC8 only; quotes around text, ``\\"`` for a
quote inside; no control characters; amounts with ``.`` and two decimals; dates ``YYYYMMDD``;
braces on their own lines. Texts are cut to 50 characters (Fortnox's limit; Visma accepts it).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

TEXT_MAX = 50

# BAS names for the accounts the default plan uses (declared with #KONTO so an importer can create them).
BAS_NAMES = {
    "1510": "Kundfordringar",
    "1580": "Fordringar för kontokort och kuponger",
    "1590": "Oklarade PSP-poster",
    "1680": "Andra kortfristiga fordringar",
    "1930": "Företagskonto",
    "2641": "Debiterad ingående moms",
    "2890": "Övriga kortfristiga skulder",
    "3740": "Öres- och kronutjämning",
    "3960": "Valutakursvinster på fordringar och skulder",
    "6064": "Factoringavgifter",
    "6570": "Bankkostnader",
    "7960": "Valutakursförluster på fordringar och skulder",
}


# Letters NFKD does not take apart, and signs worth a word rather than "?".
SPELLED = {
    "€": "EUR", "Ł": "L", "ł": "l", "Ø": "O", "ø": "o", "Đ": "D", "đ": "d", "Œ": "OE", "œ": "oe",
    "‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "…": "...",
}  # fmt: skip


@dataclass
class Row:
    account: str
    amount: Decimal
    text: str = ""
    date: dt.date | None = None


@dataclass
class Ver:
    date: dt.date
    text: str
    rows: list[Row] = field(default_factory=list)
    series: str = "K"

    @property
    def balance(self) -> Decimal:
        return sum((row.amount for row in self.rows), Decimal("0.00"))


class UnbalancedVoucher(ValueError):
    pass


def cp437_text(value: str) -> str:
    """Text that CP437 can carry: letters it lacks are transliterated, then '?' (never an error)."""
    out = []
    for ch in value:
        if ord(ch) < 32 or ord(ch) == 127:
            out.append(" ")
            continue
        try:
            ch.encode("cp437")
            out.append(ch)
        except UnicodeEncodeError:
            plain = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()
            out.append(SPELLED.get(ch, plain or "?"))
    return "".join(out)


def quote(value: str, limit: int | None = TEXT_MAX) -> str:
    text = cp437_text(value)
    if limit is not None:
        text = text[:limit]
    return '"' + text.replace("\\", "/").replace('"', '\\"') + '"'


def amount(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01')):.2f}"


def day(value: dt.date) -> str:
    return value.strftime("%Y%m%d")


def write_sie(
    vouchers: list[Ver],
    *,
    company: str,
    org_number: str = "",
    generated: dt.date,
    program: tuple[str, str] = ("Sharespine avstamning", "1.0"),
    signature: str = "sharespine",
    prosa: str = "",
    year: tuple[dt.date, dt.date] | None = None,
    account_names: dict[str, str] | None = None,
) -> bytes:
    for ver in vouchers:
        if ver.balance != 0:
            raise UnbalancedVoucher(f"voucher {ver.text!r} is off by {ver.balance}")
    names = {**BAS_NAMES, **(account_names or {})}
    lines = [
        "#FLAGGA 0",
        f"#PROGRAM {quote(program[0], None)} {program[1]}",
        "#FORMAT PC8",
        f"#GEN {day(generated)} {quote(signature)}",
        "#SIETYP 4",
    ]
    if prosa:
        lines.append(f"#PROSA {quote(prosa, None)}")
    if org_number:
        lines.append(f"#ORGNR {org_number}")
    lines.append(f"#FNAMN {quote(company, None)}")
    if year is None and vouchers:
        first = min(v.date for v in vouchers)
        year = (dt.date(first.year, 1, 1), dt.date(first.year, 12, 31))
    if year:
        lines.append(f"#RAR 0 {day(year[0])} {day(year[1])}")
    lines.append("#VALUTA SEK")
    for account in sorted({row.account for ver in vouchers for row in ver.rows}):
        lines.append(f"#KONTO {account} {quote(names.get(account, 'Konto ' + account), None)}")
    for ver in vouchers:
        lines.append(f'#VER {quote(ver.series)} "" {day(ver.date)} {quote(ver.text)} {day(generated)}')
        lines.append("{")
        for row in ver.rows:
            when = day(row.date or ver.date)
            lines.append(f"   #TRANS {row.account} {{}} {amount(row.amount)} {when} {quote(row.text)}")
        lines.append("}")
    return ("\r\n".join(lines) + "\r\n").encode("cp437")
