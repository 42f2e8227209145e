"""Svea Payment Admin reconciliation report (``/api/v2/reports``) as JSON, and a CSV flattening of it.

One payout per client report (client id + reconciliation date; Svea pays each client id apart, so
invoice and card come as separate payouts). Balance-debt rows are skipped as Svea's own converter
does. Withholding (``…ExcludingWithholding`` − ``…IncludingWithholding``) becomes a holdback line so
the lines add up to what reached the bank.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from .dates import parse_date
from .errors import ParseError
from .records import Kind, ParsedLine, ParsedPayout
from .table import Table
from .text import minor_units, parse_amount

ROW_TYPES = {
    "Order": Kind.SALE,
    "Credit": Kind.REFUND,
    "Cost": Kind.FEE,
    "Kickback": Kind.FEE,
    "Deposit": Kind.DEBT,
    "Manual": Kind.OTHER,
    "Regression": Kind.REVERSAL,
}
SKIPPED = {"OpeningBalanceDebt", "ClosingBalanceDebt"}

ALIASES = {
    "reconciliation_date": ("date", "payout_date"),
    "client_id": ("client",),
    "payment_type": (),
    "row_type": ("type",),
    "external_order_no": ("order_no", "order_number", "external_order_number"),
    "svea_order_no": (),
    "svea_checkout_id": (),
    "svea_invoice_no": (),
    "delivery_id": (),
    "customer_name": (),
    "currency": (),
    "nominal_amount": ("amount",),
    "total_fee_amount_excluding_vat": ("fee_amount", "fee"),
    "total_fee_vat_amount": ("fee_vat_amount", "fee_vat"),
    "svea_paid_amount": ("paid_amount",),
    "comment": (),
}


def reference(client_id: str, date) -> str:
    # The bank statement carries "<client id> <YYYYMMDD>" for a Svea payout.
    return f"{client_id} {date:%Y%m%d}" if date else str(client_id)


def _line(*, file: str, row: int, row_type: str, nominal, fee, vat, paid, raw: dict, get) -> ParsedLine:
    if row_type not in ROW_TYPES:
        raise ParseError(
            file,
            _("row %(row)s, column rowType: unknown Svea row type %(type)s")
            % {"row": row, "type": repr(row_type)},
        )
    line = ParsedLine(
        row=row,
        kind=ROW_TYPES[row_type],
        psp_type=row_type,
        amount=nominal,
        fee=-fee,
        fee_vat=-vat,
        row_id=f"{get('delivery_id')}:{row_type}" if get("delivery_id") else "",
        order_ref=get("external_order_no"),
        psp_order_id=get("svea_order_no"),
        text=" ".join(filter(None, [row_type, get("comment")])),
        raw=raw,
    )
    if paid is not None and line.net != paid:
        raise ParseError(
            file,
            _(
                "row %(row)s: nominal %(nominal)s − fee %(fee)s − fee VAT %(vat)s = %(net)s,"
                " but sveaPaidAmount is %(paid)s"
            )
            % {"row": row, "nominal": nominal, "fee": fee, "vat": vat, "net": line.net, "paid": paid},
        )
    return line


def parse_json(doc: dict, *, file: str) -> list[ParsedPayout]:
    reports = doc.get("clientReports")
    if not isinstance(reports, list) or not reports:
        raise ParseError(file, _("the Svea report has no clientReports"))
    result = []
    for ci, report in enumerate(reports, start=1):
        pr = report.get("paymentReport") or {}
        if "rows" not in report or "sveaPaidAmountIncludingWithholding" not in pr:
            raise ParseError(
                file,
                _(
                    "client report %(n)s: required field 'rows' or"
                    " 'paymentReport.sveaPaidAmountIncludingWithholding' is missing"
                )
                % {"n": ci},
            )
        date = parse_date(
            str(report.get("reconciliationDate") or ""), file=file, row=ci, column="reconciliationDate"
        )
        lines = []
        for i, row in enumerate(report["rows"], start=1):
            if row.get("rowType") in SKIPPED:
                continue

            def get(name, row=row):
                key = {
                    "delivery_id": "deliveryId",
                    "external_order_no": "externalOrderNo",
                    "svea_order_no": "sveaOrderNo",
                    "comment": "comment",
                }[name]
                value = row.get(key)
                return "" if value is None else str(value)

            money = {
                k: minor_units(row.get(k), file=file, row=i, column=k)
                for k in (
                    "nominalAmount",
                    "totalFeeAmountExcludingVat",
                    "totalFeeVatAmount",
                    "sveaPaidAmount",
                )
            }
            line = _line(
                file=file,
                row=i,
                row_type=str(row.get("rowType")),
                nominal=money["nominalAmount"],
                fee=money["totalFeeAmountExcludingVat"],
                vat=money["totalFeeVatAmount"],
                paid=money["sveaPaidAmount"],
                raw={k: v for k, v in row.items() if not isinstance(v, list | dict)},
                get=get,
            )
            line.date = parse_date(str(row.get("orderDate") or ""), file=file, row=i, column="orderDate")
            lines.append(line)
        excluding = minor_units(
            pr.get("sveaPaidAmountExcludingWithholding"),
            file=file,
            row=ci,
            column="sveaPaidAmountExcludingWithholding",
        )
        including = minor_units(
            pr.get("sveaPaidAmountIncludingWithholding"),
            file=file,
            row=ci,
            column="sveaPaidAmountIncludingWithholding",
        )
        if excluding != including:
            lines.append(
                ParsedLine(
                    row=len(report["rows"]) + 1,
                    kind=Kind.HOLDBACK,
                    psp_type="Withholding",
                    amount=including - excluding,
                    row_id="withholding",
                    text="Withholding",
                    raw={"withholding": str(excluding - including)},
                )
            )
        result.append(
            ParsedPayout(
                provider="svea",
                reference=reference(str(report.get("clientId", "")), date),
                payout_date=date,
                currency=str(pr.get("currency") or "SEK").upper(),
                stated_total=including,
                lines=lines,
                source_format="svea-json",
                totals={k: v for k, v in pr.items() if not isinstance(v, list | dict)},
            )
        )
    return result


def looks_like(header: set[str]) -> bool:
    return "rowtype" in header and bool({"clientid", "sveapaidamount"} & header)


def parse_csv(rows: list[list[str]], *, file: str) -> list[ParsedPayout]:
    numbered = [(n, cells) for n, cells in enumerate(rows, start=1) if any(c.strip() for c in cells)]
    table = Table.build(
        file, numbered[0][1], numbered[1:], ALIASES, ("row_type", "client_id", "nominal_amount")
    )
    groups: dict[str, ParsedPayout] = {}
    for number, cells in table.rows:
        row_type = table.get(cells, "row_type")
        if row_type in SKIPPED:
            continue

        def money(name, cells=cells, number=number):
            return parse_amount(table.get(cells, name), file=file, row=number, column=name)

        paid = money("svea_paid_amount") if "svea_paid_amount" in table.columns else None
        line = _line(
            file=file,
            row=number,
            row_type=row_type,
            nominal=money("nominal_amount"),
            fee=money("total_fee_amount_excluding_vat"),
            vat=money("total_fee_vat_amount"),
            paid=paid,
            raw=table.raw(cells),
            get=lambda name, cells=cells: table.get(cells, name),
        )
        date = parse_date(
            table.get(cells, "reconciliation_date"), file=file, row=number, column="reconciliationDate"
        )
        ref = reference(table.get(cells, "client_id"), date)
        payout = groups.setdefault(
            ref,
            ParsedPayout(
                "svea", ref, date, (table.get(cells, "currency") or "SEK").upper(), None, [], "svea-csv"
            ),
        )
        payout.lines.append(line)
    if not groups:
        raise ParseError(file, _("the Svea file has a header but no rows; the file may be truncated"))
    return list(groups.values())
