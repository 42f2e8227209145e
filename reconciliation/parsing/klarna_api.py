"""A payout from Klarna's Settlements API (JSON, amounts in öre) as a canonical payout.

Same types and sign rule as the CSV (``klarna.TYPES``, ``klarna.signed_values``): API amounts are
unsigned unless a negative one says otherwise. The API calls the fee VAT ``vat_amount`` (CSV: ``tax_amount``).
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from connectors.klarna.records import KlarnaPayout, KlarnaTransaction

from .dates import parse_date
from .errors import ParseError
from .klarna import TYPES, signed_values
from .records import Kind, ParsedLine, ParsedPayout
from .text import minor_units


def payout_from_api(payout: KlarnaPayout, transactions: list[KlarnaTransaction]) -> ParsedPayout:
    name = f"klarna-api:{payout.payment_reference}"
    signed = any(t.amount < 0 for t in transactions)
    lines = []
    for i, t in enumerate(transactions, start=1):
        raw = t.raw
        psp_type = t.type.upper()
        if psp_type not in TYPES:
            raise ParseError(
                name, _("transaction %(n)s: unknown Klarna type %(type)s") % {"n": i, "type": repr(psp_type)}
            )
        kind = TYPES[psp_type][0]
        amount = minor_units(t.amount, file=name, row=i, column="amount")
        vat = minor_units(raw.get("vat_amount", raw.get("tax_amount")), file=name, row=i, column="vat_amount")
        values = signed_values(psp_type, amount, vat, signed=signed)
        lines.append(
            ParsedLine(
                row=i,
                kind=kind,
                psp_type=psp_type,
                amount=values["amount"],
                fee=values["fee"],
                fee_vat=values["fee_vat"],
                row_id=str(raw.get("refund_id") or raw.get("capture_id") or ""),
                order_ref=str(raw.get("merchant_reference1") or ""),
                invoice_ref=str(raw.get("merchant_refund_reference") or "") if kind == Kind.REFUND else "",
                psp_order_id=str(raw.get("order_id") or ""),
                date=parse_date(str(raw.get("capture_date") or ""), file=name, row=i, column="capture_date"),
                text=" ".join(filter(None, [psp_type, str(raw.get("detailed_type") or "")])),
                raw={k: v for k, v in raw.items() if not isinstance(v, list | dict)},
            )
        )
    settlement = payout.totals.get("settlement_amount")
    return ParsedPayout(
        provider="klarna",
        reference=payout.payment_reference,
        payout_date=parse_date(payout.payout_date, file=name, row=0, column="payout_date"),
        currency=payout.currency_code.upper(),
        stated_total=None
        if settlement is None
        else minor_units(settlement, file=name, row=0, column="settlement_amount"),
        lines=lines,
        source_format="klarna-api",
        totals=dict(payout.totals),
    )
