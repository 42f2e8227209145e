"""Orders, invoices, payments and stock movements: the business rules of a simulated company.

Behaviour follows §3 and §7 of the reference. Where the real behaviour is unverified [U] the choice
is an ``Options`` field, so a finding on a real installation changes a setting, not the code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from connectors.visma.agent import fields as F
from connectors.visma.agent.backends.simulated import vat
from connectors.visma.agent.backends.simulated.store import Store, validate
from connectors.visma.agent.errors import AdkError
from connectors.visma.agent.mapping import date_parts

H = "ADK_OOI_HEAD_"
R = "ADK_OOI_ROW_"


@dataclass
class Options:
    # DISPOSABLE_IN_STOCK formula [U]: "in_stock_minus_reserved" or "in_stock".
    disposable_formula: str = "in_stock_minus_reserved"
    # Whether stock side effects bump the article's timestamp [U].
    bump_article_on_stock: bool = True
    # Connection slots (§3.2 [U]): the invoice names its order in slot 1 (ADKE 266/267 tie slot 1 to
    # "made from another document"); the order names its invoice in ``order_invoice_slot``.
    invoice_order_slot: int = 1
    order_invoice_slot: int = 1
    # An invoice written directly (not from an order) ships its goods: lower stock [U].
    direct_invoice_moves_stock: bool = True
    rounding_unit: Decimal = Decimal(1)
    # A partial delivery leaves the rest on a new order (restorder) unless the order says
    # DO_NOT_CREATE_BACKORDER; the backorder names its origin in this slot [U].
    create_backorders: bool = True
    backorder_slot: int = 2
    # Text outside cp1252 reaching the ADK: "reject" (ADKE_INVALID_STRING 34) or "replace" with
    # "?" as the wrapper's ANSI marshalling would [U]. The agent transliterates first either way.
    invalid_text: str = "reject"

    def __post_init__(self) -> None:
        self.rounding_unit = Decimal(str(self.rounding_unit))  # from a config file it is a string
        if self.invalid_text not in ("reject", "replace"):
            raise ValueError("invalid_text: reject or replace")


# Head fields the ADK computes or sets by itself: never copied from one document to another.
COMPUTED = frozenset(
    {f"{H}DOCUMENT_NUMBER", f"{H}TIMESTAMP", f"{H}NROWS", f"{H}ROUND_OFF", f"{H}BALANCE"}
    | {f"{H}DOCUMENT_CONNECTION_NUMBER{i}" for i in range(1, 5)}
    | {f"{H}BASIS_OF_VAT{i}" for i in range(5)}
    | {f"{H}AMOUNT_OF_VAT{i}" for i in range(1, 5)}
    | {f"{H}EXCLUDING_OF_VAT", f"{H}VAT_AMOUNT", f"{H}TOTAL_AMOUNT"}
    | {f"{H}ORDER_DELIVERED", f"{H}STOCK_SHIP_VER_DATE", f"{H}LAST_PAYMENT"}
    # A new document starts unprinted and not cancelled, whatever its origin's state.
    | {f"{H}DOCUMENT_PRINTED", f"{H}DOCUMENT_CANCELLED", f"{H}DOCUMENT_NOT_DONE"}
    | {f"{H}ORDER_PICK_PRINTED", f"{H}ORDER_DELIVERY_NOTE_PRINTED"}
)


def copy_head(head: Mapping[str, Any], table: F.Table, skip: frozenset[str] = frozenset()) -> dict:
    """The fields of ``head`` a new document of ``table`` inherits (order → invoice, → backorder)."""
    return {k: v for k, v in head.items() if k in table.fields and k not in COMPUTED | skip}


def _d(value: Any) -> Decimal:
    return Decimal(str(value or 0))


def today_long() -> int:
    return int(date.today().strftime("%Y%m%d"))


def _long_plus_days(value: int, days: int) -> int:
    start = date(*date_parts(value))
    return int((start + timedelta(days=days)).strftime("%Y%m%d"))


class Documents:
    def __init__(self, store: Store, options: Options) -> None:
        self.store = store
        self.options = options

    # --- helpers ----------------------------------------------------------------------------------

    def prm2(self) -> dict[str, Any]:
        return dict(self.store.conn.execute("SELECT * FROM prm2").fetchone())

    def next_number(self, column: str) -> int:
        number = self.prm2()[column]
        self.store.conn.execute(f"UPDATE prm2 SET {column} = {column} + 1")
        return int(number)

    def rates(self) -> dict[str, Decimal]:
        prm2 = self.prm2()
        return {str(i): _d(prm2[f"ADK_PRM2_VAT{i}"]) for i in range(1, 5)} | {"0": Decimal(0)}

    def require_code(self, table: F.Table, code: str, error: int, field: str) -> None:
        if code and self.store.find(table, {table.key[0]: code}) is None:
            raise AdkError(error, field=field, detail=code)

    def article_vat_code(self, article: Mapping[str, Any]) -> str:
        account = self.store.find(
            F.ARTICLE_ACCOUNT, {"ADK_CODE_OF_ARTICLE_ACCOUNT_CODE": article["ADK_ARTICLE_ACCOUNTING_CODE"]}
        )
        return (account or {}).get("ADK_CODE_OF_ARTICLE_ACCOUNT_VAT") or "1"

    def set_stock(self, article: str, *, in_stock_delta: float = 0.0, reserved_delta: float = 0.0) -> None:
        row = self.store.find(F.ARTICLE, {"ADK_ARTICLE_NUMBER": article})
        if row is None or not row["ADK_ARTICLE_STOCK_GOODS"]:
            return
        in_stock = round(row["ADK_ARTICLE_QUANTITY_IN_STOCK"] + in_stock_delta, 2)
        reserved = round(max(0.0, row["ADK_ARTICLE_QUANTITY_RESERVED"] + reserved_delta), 2)
        values = {
            "ADK_ARTICLE_QUANTITY_IN_STOCK": in_stock,
            "ADK_ARTICLE_QUANTITY_RESERVED": reserved,
            "ADK_ARTICLE_DISPOSABLE_IN_STOCK": self.disposable(in_stock, reserved),
        }
        if self.options.bump_article_on_stock:
            self.store.update(F.ARTICLE, {"ADK_ARTICLE_NUMBER": article}, values)
        else:
            sets = ", ".join(f"{k} = ?" for k in values)
            self.store.conn.execute(
                f"UPDATE article SET {sets} WHERE ADK_ARTICLE_NUMBER = ?", [*values.values(), article]
            )

    def disposable(self, in_stock: float, reserved: float) -> float:
        if self.options.disposable_formula == "in_stock":
            return in_stock
        return round(in_stock - reserved, 2)

    # --- documents --------------------------------------------------------------------------------

    def add(self, table: F.Table, values: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]) -> dict:
        values = dict(values)
        source = int(values.get(f"{H}DOCUMENT_CONNECTION_NUMBER{self.options.invoice_order_slot}") or 0)
        if table.kind == "INVOICE" and source:
            if rows:
                raise AdkError(266, field=f"{H}NROWS")
            return self.invoice_from_order(values, source)
        row_table = F.ROW_TABLES[table.db]
        validate(table, values)
        for row in rows:
            validate(row_table, row)
        customer = self.store.find(F.CUSTOMER, {"ADK_CUSTOMER_NUMBER": values.get(f"{H}CUSTOMER_NUMBER", "")})
        if customer is None:
            raise AdkError(49, field=f"{H}CUSTOMER_NUMBER", detail=values.get(f"{H}CUSTOMER_NUMBER", ""))
        self._check_head_codes(values)
        number = int(values.get(f"{H}DOCUMENT_NUMBER") or 0)
        counter = "sim_next_order_no" if table.kind == "ORDER" else "sim_next_invoice_no"
        if number:
            if self.store.find(table, {f"{H}DOCUMENT_NUMBER": number}) is not None:
                raise AdkError(214, field=f"{H}DOCUMENT_NUMBER", detail=str(number))
        head = self._head_defaults(table, values, customer)
        built = [self._build_row(table, i, row) for i, row in enumerate(rows)]
        self._apply_totals(head, built, ordered=table.kind == "ORDER")
        if not number:
            number = self.next_number(counter)
        head[f"{H}DOCUMENT_NUMBER"] = number
        self.store.insert(table, head)
        for row in built:
            self.store.insert(row_table, row, extra={f"{H}DOCUMENT_NUMBER": number})
        for row in built:
            article = row[f"{R}ARTICLE_NUMBER"]
            if not article:
                continue
            if table.kind == "ORDER":
                self.set_stock(article, reserved_delta=row[f"{R}QUANTITY2"])
            elif self.options.direct_invoice_moves_stock:
                self.set_stock(article, in_stock_delta=-row[f"{R}QUANTITY1"])
        return self.store.find(table, {f"{H}DOCUMENT_NUMBER": number}) or {}

    def _check_head_codes(self, values: Mapping[str, Any]) -> None:
        self.require_code(
            F.PRICE_LIST, values.get(f"{H}LIST_OF_PRICE_CODE", ""), 35, f"{H}LIST_OF_PRICE_CODE"
        )
        checks = (
            (F.TERMS_OF_PAYMENT, "CODE_OF_TERMS_OF_PAYMENT", 41),
            (F.TERMS_OF_DELIVERY, "CODE_OF_TERMS_OF_DELIVERY", 40),
            (F.WAY_OF_DELIVERY, "CODE_OF_WAY_OF_DELIVERY", 42),
            (F.CURRENCY, "CURRENCY_CODE", 43),
        )
        for table, suffix, error in checks:
            self.require_code(table, values.get(H + suffix, ""), error, H + suffix)
        for name in (f"{H}CARGO_VAT_CODE", f"{H}VAT_CODE_DISPATCH_FEE"):
            if values.get(name, "") not in ("",) + vat.VAT_CODES:
                raise AdkError(373, field=name, detail=values[name])

    def _head_defaults(self, table: F.Table, values: dict, customer: Mapping[str, Any]) -> dict:
        prm2 = self.prm2()
        c = "ADK_CUSTOMER_"
        defaults = {
            f"{H}CUSTOMER_NAME": customer[f"{c}NAME"],
            f"{H}MAILING_ADDRESS1": customer[f"{c}MAILING_ADDRESS"],
            f"{H}MAILING_ADDRESS2": customer[f"{c}MAILING_ADDRESS2"],
            f"{H}ZIPCODE": customer[f"{c}ZIPCODE"],
            f"{H}CITY": customer[f"{c}CITY"],
            f"{H}CODE_OF_COUNTRY": customer[f"{c}CODE_OF_COUNTRY"],
            f"{H}LIST_OF_PRICE_CODE": customer[f"{c}PRICE_LIST"] or prm2["ADK_PRM2_DEFAULT_PRICELIST"],
            f"{H}CODE_OF_TERMS_OF_PAYMENT": customer[f"{c}CODE_OF_TERMS_OF_PAYMENT"],
            f"{H}CODE_OF_WAY_OF_DELIVERY": customer[f"{c}CODE_OF_WAY_OF_DELIVERY"],
            f"{H}CURRENCY_CODE": customer[f"{c}CODE_OF_CURRENCY"] or "SEK",
            f"{H}CURRENCY_RATE": 1.0,
            f"{H}DOCUMENT_DATE1": today_long(),
            f"{H}CARGO_VAT_CODE": prm2["ADK_PRM2_DEFAULT_VATCODE_CARGO_FEE"],
            f"{H}VAT_CODE_DISPATCH_FEE": prm2["ADK_PRM2_DEFAULT_VATCODE_DISPATCH_FEE"],
        }
        if table.kind == "INVOICE":
            defaults[f"{H}TYPE_OF_INVOICE"] = "F"
        head = defaults | {k: v for k, v in values.items() if v not in ("", None)}
        head.update({k: v for k, v in values.items() if isinstance(v, bool)})
        if table.kind == "INVOICE" and not head.get(f"{H}DOCUMENT_DATE2"):
            head[f"{H}DOCUMENT_DATE2"] = _long_plus_days(head[f"{H}DOCUMENT_DATE1"], self._days(head))
        return head

    def _days(self, head: Mapping[str, Any]) -> int:
        row = self.store.conn.execute(
            "SELECT sim_days FROM code_of_terms_of_payment WHERE ADK_CODE_OF_TERMS_OF_PAYMENT_CODE = ?",
            (head.get(f"{H}CODE_OF_TERMS_OF_PAYMENT", ""),),
        ).fetchone()
        return int(row[0]) if row else 30

    def _build_row(self, table: F.Table, index: int, row: Mapping[str, Any]) -> dict:
        out = dict(row)
        out[f"{R}ROWNUMBER"] = index + 1
        number = out.get(f"{R}ARTICLE_NUMBER", "")
        out.setdefault(f"{R}ARTICLE_NUMBER", "")
        if number:
            article = self.store.find(F.ARTICLE, {"ADK_ARTICLE_NUMBER": number})
            if article is None:
                raise AdkError(50, field=f"{R}ARTICLE_NUMBER", detail=f"row {index + 1}: {number}")
            out.setdefault(f"{R}TEXT", article["ADK_ARTICLE_NAME"])
            out.setdefault(f"{R}UNIT", article["ADK_ARTICLE_UNIT_CODE"])
            out.setdefault(f"{R}VAT_CODE", self.article_vat_code(article))
        out.setdefault(f"{R}VAT_CODE", "1")
        if out[f"{R}VAT_CODE"] not in vat.VAT_CODES:
            raise AdkError(373, field=f"{R}VAT_CODE", detail=f"row {index + 1}: {out[f'{R}VAT_CODE']}")
        ordered = out.setdefault(f"{R}QUANTITY2", out.get(f"{R}QUANTITY1", 0.0))
        if table.kind == "INVOICE":
            out.setdefault(f"{R}QUANTITY1", ordered)
        else:
            out.setdefault(f"{R}QUANTITY1", 0.0)
        return out

    def _apply_totals(self, head: dict, rows: list[dict], *, ordered: bool) -> None:
        amounts: list[tuple[Decimal, str]] = []
        for row in rows:
            quantity = _d(row[f"{R}QUANTITY2"] if ordered else row[f"{R}QUANTITY1"])
            amount = vat.row_amount(
                quantity,
                _d(row.get(f"{R}PRICE_EACH_CURRENT_CURRENCY")),
                _d(row.get(f"{R}DISCOUNT")),
                bool(row.get(f"{R}AMOUNT_DISCOUNT_FLAG")),
            )
            row[f"{R}AMOUNT_CURRENT_CURRENCY"] = row[f"{R}AMOUNT_DOMESTIC_CURRENCY"] = float(amount)
            amounts.append((amount, row[f"{R}VAT_CODE"]))
        if head.get(f"{H}CARGO_AMOUNT"):
            amounts.append((_d(head[f"{H}CARGO_AMOUNT"]), head[f"{H}CARGO_VAT_CODE"] or "1"))
        if head.get(f"{H}DISPATCH_FEE"):
            amounts.append((_d(head[f"{H}DISPATCH_FEE"]), head[f"{H}VAT_CODE_DISPATCH_FEE"] or "1"))
        result = vat.totals(
            amounts,
            self.rates(),
            including_vat=bool(head.get(f"{H}INCLUDING_VAT")),
            rounding_unit=self.options.rounding_unit,
        )
        for code in vat.VAT_CODES:
            head[f"{H}BASIS_OF_VAT{code}"] = float(result.basis.get(code, 0))
            if code != "0":
                head[f"{H}AMOUNT_OF_VAT{code}"] = float(result.vat.get(code, 0))
        head[f"{H}EXCLUDING_OF_VAT"] = float(result.excluding_vat)
        head[f"{H}VAT_AMOUNT"] = float(result.vat_amount)
        head[f"{H}ROUND_OFF"] = float(result.round_off)
        head[f"{H}TOTAL_AMOUNT"] = float(result.total)
        head[f"{H}BALANCE"] = 0.0 if ordered else float(result.total)
        head[f"{H}NROWS"] = len(rows)

    def invoice_from_order(self, values: dict, order_number: int) -> dict:
        """§3.3: an invoice head naming an order in slot 1 with no rows is filled from the order."""
        order = self.store.find(F.ORDER_HEAD, {f"{H}DOCUMENT_NUMBER": order_number})
        if order is None:
            raise AdkError(262, detail=str(order_number))
        if order[f"{H}DOCUMENT_CANCELLED"]:
            raise AdkError(263, detail=str(order_number))
        if order[f"{H}DOCUMENT_NOT_DONE"]:
            raise AdkError(477, detail=str(order_number))
        if not order[f"{H}ORDER_DELIVERED"]:
            raise AdkError(688, detail=str(order_number))
        if order[f"{H}DOCUMENT_CONNECTION_NUMBER{self.options.order_invoice_slot}"]:
            raise AdkError(217, detail=str(order_number))
        head = copy_head(order, F.INVOICE_HEAD)
        link_in = f"{H}DOCUMENT_CONNECTION_NUMBER{self.options.invoice_order_slot}"
        head.update({k: v for k, v in values.items() if k != link_in})
        head[f"{H}TYPE_OF_INVOICE"] = "F"
        head[f"{H}DOCUMENT_DATE1"] = values.get(f"{H}DOCUMENT_DATE1") or today_long()
        head[f"{H}DOCUMENT_DATE2"] = _long_plus_days(head[f"{H}DOCUMENT_DATE1"], self._days(head))
        head[link_in] = order_number
        rows: list[dict[str, Any]] = []
        for row in self.rows("ORDER", order_number):
            if row[f"{R}QUANTITY1"] <= 0:
                continue
            kept = {
                k: v for k, v in row.items() if k in F.INVOICE_ROW.fields and not k.endswith("_TIMESTAMP")
            }
            kept[f"{R}ROWNUMBER"] = len(rows) + 1
            kept[f"{R}FROM_DOCUMENT"] = order_number
            rows.append(kept)
        self._apply_totals(head, rows, ordered=False)
        number = self.next_number("sim_next_invoice_no")
        head[f"{H}DOCUMENT_NUMBER"] = number
        self.store.insert(F.INVOICE_HEAD, head)
        for row in rows:
            self.store.insert(F.INVOICE_ROW, row, extra={f"{H}DOCUMENT_NUMBER": number})
        link = {f"{H}DOCUMENT_CONNECTION_NUMBER{self.options.order_invoice_slot}": number}
        self.store.update(F.ORDER_HEAD, {f"{H}DOCUMENT_NUMBER": order_number}, link)
        return self.store.find(F.INVOICE_HEAD, {f"{H}DOCUMENT_NUMBER": number}) or {}

    def rows(self, kind: str, number: int) -> list[dict]:
        table = F.ORDER_ROW if kind == "ORDER" else F.INVOICE_ROW
        return self.store.select(table, where={f"{H}DOCUMENT_NUMBER": number}, order_by=(f"{R}ROWNUMBER",))
