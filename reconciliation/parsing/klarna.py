"""Klarna settlement CSV (portal, Settlements API report, SFTP drop) and Settlements API JSON.

Layout varies per merchant (Klarna lets each one change delimiter, signs, columns and drop the
totals block): read by header name, sign from ``type`` when the file has no minus signs, and the
payout reference from the file name (``<payment_reference>.<YYYYMMDD>T000000+0000.csv``) when the
totals block is absent.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from decimal import Decimal

from django.utils.translation import gettext as _

from .dates import parse_date
from .errors import ParseError
from .records import Kind, ParsedLine, ParsedPayout
from .table import Table, split_sections
from .text import norm_header, parse_amount

# type → (kind, sign when the file is unsigned, which field the amount goes to)
TYPES: dict[str, tuple[str, int, str]] = {
    "SALE": (Kind.SALE, 1, "amount"),
    "FEE": (Kind.FEE, -1, "fee"),
    "RETURN": (Kind.REFUND, -1, "amount"),
    "REVERSAL": (Kind.REVERSAL, -1, "amount"),
    "REVERSAL_MERCHANT_PROTECTION": (Kind.OTHER, 1, "amount"),
    "COMMISSION": (Kind.OTHER, 1, "amount"),
    "CORRECTION": (Kind.OTHER, 1, "amount"),
    "HOLDBACK": (Kind.HOLDBACK, -1, "amount"),
    "RELEASE": (Kind.RELEASE, 1, "amount"),
    "CREDIT": (Kind.OTHER, 1, "amount"),
    "CHARGE": (Kind.OTHER, -1, "amount"),
    "FEE_REFUND": (Kind.FEE, 1, "fee"),
    "TAX": (Kind.FEE, -1, "fee_vat"),
    "DEPOSIT": (Kind.DEBT, 1, "amount"),
    "REPAY": (Kind.DEBT, -1, "amount"),
}


def signed_values(psp_type: str, amount: Decimal, vat: Decimal, *, signed: bool) -> dict[str, Decimal]:
    """A row's amount, fee and fee VAT by the type's sign rule (the CSV and the API alike).

    An unsigned payout (no negative amount anywhere) takes each type's sign from ``TYPES``.
    """
    _kind, sign, target = TYPES[psp_type]
    if not signed:
        amount, vat = amount * sign, vat * (sign if target != "amount" else -1)
    elif target == "amount":
        # Klarna's row-level tax is VAT on its fee: always a deduction when present.
        vat = -abs(vat)
    values = {"amount": Decimal("0.00"), "fee": Decimal("0.00"), "fee_vat": vat}
    values[target] = values[target] + amount if target == "fee_vat" else amount
    return values


TOTALS_ALIASES = {
    "payment_reference": ("payout_reference", "reference"),
    "payout_date": ("date",),
    "settlement_currency": ("currency", "currency_code"),
    "total_settlement_amount": ("settlement_amount", "settlement"),
    "merchant_id": (),
}

ROW_ALIASES = {
    "type": ("transaction_type",),
    "amount": ("transaction_amount",),
    "capture_date": ("date",),
    "sale_date": (),
    "order_id": ("klarna_order_id",),
    "short_order_id": (),
    "capture_id": (),
    "refund_id": (),
    "merchant_reference1": ("merchant_reference_1", "merchant_reference", "order_number"),
    "merchant_reference2": ("merchant_reference_2",),
    "posting_currency": ("currency", "currency_code"),
    "tax_amount": ("vat_amount", "fee_tax_amount"),
    "detailed_type": (),
    "merchant_capture_reference": (),
    "merchant_refund_reference": (),
    "payment_reference": (),
}

SFTP_NAME = re.compile(r"^(?P<ref>[0-9A-Za-z-]+)\.(?P<date>\d{8})T\d{6}")


def looks_like(header: set[str]) -> bool:
    return (
        "type" in header
        and "amount" in header
        and bool({"orderid", "captureid", "merchantreference1"} & header)
    ) or ("totalsettlementamount" in header)


def parse_csv(rows: list[list[str]], *, file: str) -> list[ParsedPayout]:
    sections = split_sections(rows)
    totals: dict[str, str] = {}
    tx_section = None
    for section in sections:
        header = {norm_header(h) for h in section[0][1]}
        if "totalsettlementamount" in header or ("paymentreference" in header and "type" not in header):
            if len(section) < 2:
                raise ParseError(
                    file, _("the totals block has a header but no values; the file may be truncated")
                )
            totals = dict(zip(section[0][1], section[1][1], strict=False))
        elif "type" in header and "amount" in header:
            tx_section = section
    if tx_section is None:
        raise ParseError(
            file, _("no transaction rows (a header with 'type' and 'amount'); the file may be truncated")
        )
    table = Table.build(file, tx_section[0][1], tx_section[1:], ROW_ALIASES, ("type", "amount"))
    tot = {norm_header(k): (v or "").strip() for k, v in totals.items()}

    def total(name: str) -> str:
        for alias in (name, *TOTALS_ALIASES.get(name, ())):
            if tot.get(norm_header(alias)):
                return tot[norm_header(alias)]
        return ""

    reference, payout_date = total("payment_reference"), None
    if total("payout_date"):
        payout_date = parse_date(total("payout_date"), file=file, row=2, column="payout_date")
    name = SFTP_NAME.match(os.path.basename(file))
    if not reference:
        reference = next(
            (
                table.get(c, "payment_reference")
                for _row, c in table.rows
                if table.get(c, "payment_reference")
            ),
            "",
        )
    if not reference and name:
        reference = name["ref"]
    if payout_date is None and name:
        payout_date = dt.datetime.strptime(name["date"], "%Y%m%d").date()
    if not reference:
        raise ParseError(
            file,
            _(
                "no payout reference: no totals block, no payment_reference column, and the file name"
                " is not <payment_reference>.<YYYYMMDD>T000000+0000.csv"
            ),
        )

    amounts = [
        (n, parse_amount(table.get(c, "amount"), file=file, row=n, column="amount")) for n, c in table.rows
    ]
    signed = any(a < 0 for _row, a in amounts)
    lines: list[ParsedLine] = []
    currency = total("settlement_currency")
    for (number, cells), (_row, amount) in zip(table.rows, amounts, strict=True):
        psp_type = table.get(cells, "type").upper()
        if psp_type not in TYPES:
            raise ParseError(
                file,
                _("row %(row)s, column type: unknown Klarna type %(type)s")
                % {"row": number, "type": repr(psp_type)},
            )
        kind = TYPES[psp_type][0]
        vat = parse_amount(table.get(cells, "tax_amount"), file=file, row=number, column="tax_amount")
        values = signed_values(psp_type, amount, vat, signed=signed)
        refund_ref = table.get(cells, "merchant_refund_reference")
        lines.append(
            ParsedLine(
                row=number,
                kind=kind,
                psp_type=psp_type,
                amount=values["amount"],
                fee=values["fee"],
                fee_vat=values["fee_vat"],
                row_id=table.get(cells, "refund_id") or table.get(cells, "capture_id"),
                order_ref=table.get(cells, "merchant_reference1"),
                invoice_ref=refund_ref if kind == Kind.REFUND else "",
                psp_order_id=table.get(cells, "order_id"),
                date=parse_date(
                    table.get(cells, "capture_date"), file=file, row=number, column="capture_date"
                ),
                text=" ".join(filter(None, [psp_type, table.get(cells, "detailed_type")])),
                raw=table.raw(cells),
            )
        )
        currency = currency or table.get(cells, "posting_currency")
    stated = None
    if total("total_settlement_amount"):
        stated = parse_amount(
            total("total_settlement_amount"), file=file, row=2, column="total_settlement_amount"
        )
    return [
        ParsedPayout(
            provider="klarna",
            reference=reference,
            payout_date=payout_date,
            currency=(currency or "SEK").upper(),
            stated_total=stated,
            lines=lines,
            source_format="klarna-csv" if totals else "klarna-csv-no-totals",
            totals=totals,
        )
    ]
