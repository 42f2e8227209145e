"""Nets Easy / Nexi Checkout: Reporting API payout JSON and the portal's PayoutDetails CSV.

Action amounts and fees are signed as sent (fees negative). The portal CSV may end in a "Summa"
footer: it is the PSP's stated total (amount + fee), never a line.
"""

from __future__ import annotations

import os
import re

from django.utils.translation import gettext as _

from .dates import parse_date
from .errors import ParseError
from .records import Kind, ParsedLine, ParsedPayout
from .table import Table
from .text import minor_units, parse_amount

ACTIONS = {
    "CHARGE": Kind.SALE,
    "CHARGE_FEE": Kind.SALE,
    "REFUND": Kind.REFUND,
    "REFUND_FEE": Kind.REFUND,
    "CHARGEBACK": Kind.REVERSAL,
    "FEE": Kind.FEE,
    "ADJUSTMENT": Kind.OTHER,
}

ALIASES = {
    "payout_id": ("payoutId",),
    "payout_reference": ("reference", "payout_ref"),
    "payout_date": ("date",),
    "payment_id": ("paymentId",),
    "order_id": ("order_reference", "merchant_reference", "payment_reference"),
    "action": ("paymentAction", "transaction_type", "type"),
    "amount": (),
    "fee": ("total_fee", "fees"),
    "currency": (),
    "invoice_number": ("invoiceNumber",),
    "note": ("comment",),
    "timestamp": ("transaction_date",),
    "id": ("action_id", "transaction_id"),
}

FOOTER = re.compile(r"^(summa|sum|total|totalt)\b", re.IGNORECASE)
NAME_REF = re.compile(r"(\d{6,})")


def _kind(action: str, *, file: str, row: int) -> str:
    if action not in ACTIONS:
        raise ParseError(
            file,
            _("row %(row)s, column Action: unknown Nets action %(action)s")
            % {"row": row, "action": repr(action)},
        )
    return ACTIONS[action]


def parse_json(doc: dict, *, file: str) -> list[ParsedPayout]:
    payouts = doc["payouts"] if isinstance(doc.get("payouts"), list) else [doc]
    result = []
    for payout in payouts:
        for key in ("reference", "amount", "paymentActions"):
            if key not in payout:
                raise ParseError(
                    file, _("required field %(field)s is missing from the Nets payout") % {"field": repr(key)}
                )
        actions = payout["paymentActions"]
        if not isinstance(actions, list):
            raise ParseError(file, _("paymentActions is not a list"))
        if isinstance(payout.get("numberOfPaymentActions"), int) and payout["numberOfPaymentActions"] != len(
            actions
        ):
            raise ParseError(
                file,
                _(
                    "the payout says %(said)s payment actions, the file has %(has)s;"
                    " the file may be truncated or a page missing"
                )
                % {"said": payout["numberOfPaymentActions"], "has": len(actions)},
            )
        lines = []
        for i, action in enumerate(actions, start=1):
            name = str(action.get("paymentAction", "")).upper()
            lines.append(
                ParsedLine(
                    row=i,
                    kind=_kind(name, file=file, row=i),
                    psp_type=name,
                    amount=minor_units(action.get("amount"), file=file, row=i, column="amount"),
                    fee=minor_units(action.get("fee"), file=file, row=i, column="fee"),
                    row_id=str(action.get("id") or ""),
                    order_ref=str(action.get("reference") or ""),
                    invoice_ref=str(action.get("invoiceNumber") or ""),
                    psp_order_id=str(action.get("paymentId") or ""),
                    date=parse_date(str(action.get("timestamp") or ""), file=file, row=i, column="timestamp"),
                    text=" ".join(filter(None, [name, str(action.get("note") or "")])),
                    raw={k: v for k, v in action.items() if not isinstance(v, list | dict)},
                )
            )
        result.append(
            ParsedPayout(
                provider="nets",
                reference=str(payout["reference"]),
                payout_date=parse_date(str(payout.get("date") or ""), file=file, row=0, column="date"),
                currency=str(payout.get("currency") or "SEK").upper(),
                stated_total=minor_units(payout["amount"], file=file, row=0, column="amount"),
                lines=lines,
                source_format="nets-json",
                totals={k: v for k, v in payout.items() if not isinstance(v, list | dict)},
            )
        )
    return result


def looks_like(header: set[str]) -> bool:
    return bool({"action", "paymentaction"} & header) and bool(
        {"payoutid", "payoutreference", "orderid"} & header
    )


def parse_csv(rows: list[list[str]], *, file: str) -> list[ParsedPayout]:
    numbered = [(n, cells) for n, cells in enumerate(rows, start=1) if any(c.strip() for c in cells)]
    table = Table.build(file, numbered[0][1], numbered[1:], ALIASES, ("action", "amount"))
    footer = None
    groups: dict[str, list[ParsedLine]] = {}
    meta: dict[str, tuple] = {}
    for number, cells in table.rows:
        if cells and FOOTER.match(cells[0].strip()):
            footer = (number, cells)
            continue
        ref = table.get(cells, "payout_reference")
        if not ref:
            m = NAME_REF.search(os.path.basename(file))
            ref = m[1] if m else ""
        if not ref:
            raise ParseError(
                file,
                _(
                    "row %(row)s: no payout reference"
                    " (column 'Payout reference' empty and none in the file name)"
                )
                % {"row": number},
            )
        action = table.get(cells, "action").upper()
        amount = parse_amount(table.get(cells, "amount"), file=file, row=number, column="Amount")
        fee = parse_amount(table.get(cells, "fee"), file=file, row=number, column="Fee")
        groups.setdefault(ref, []).append(
            ParsedLine(
                row=number,
                kind=_kind(action, file=file, row=number),
                psp_type=action,
                amount=amount,
                fee=fee,
                row_id=table.get(cells, "id"),
                order_ref=table.get(cells, "order_id"),
                invoice_ref=table.get(cells, "invoice_number"),
                psp_order_id=table.get(cells, "payment_id"),
                date=parse_date(table.get(cells, "timestamp"), file=file, row=number, column="Timestamp"),
                text=" ".join(filter(None, [action, table.get(cells, "note")])),
                raw=table.raw(cells),
            )
        )
        if ref not in meta:
            meta[ref] = (
                parse_date(table.get(cells, "payout_date"), file=file, row=number, column="Payout date"),
                (table.get(cells, "currency") or "SEK").upper(),
            )
    if not groups:
        raise ParseError(file, _("the Nets file has a header but no payment rows; the file may be truncated"))
    stated = None
    if footer is not None and len(groups) == 1:
        number, cells = footer
        stated = parse_amount(
            table.get(cells, "amount"), file=file, row=number, column="Amount"
        ) + parse_amount(table.get(cells, "fee"), file=file, row=number, column="Fee")
    return [
        ParsedPayout(
            provider="nets",
            reference=ref,
            payout_date=meta[ref][0],
            currency=meta[ref][1],
            stated_total=stated,
            lines=lines,
            source_format="nets-csv",
            totals={"footer": footer[1]} if footer and stated is not None else {},
        )
        for ref, lines in groups.items()
    ]
