"""Articles, stock, price lists and customers: protocol records ↔ ADK fields.

Runs on the worker thread only (called through ``CompanyWorker.call``).
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from decimal import Decimal
from typing import Any

from connectors.visma import protocol as P
from connectors.visma.agent import fields as F
from connectors.visma.agent.backends.base import AdkRecord, CompanyBackend
from connectors.visma.agent.errors import AdkError, Conflict
from connectors.visma.agent.mapping import clean, dec, qty, to_adk
from connectors.visma.agent.state import AgentState
from connectors.visma.agent.text import fits_cp1252

A = "ADK_ARTICLE_"
C = "ADK_CUSTOMER_"
STOCK_FIELDS = (
    f"{A}NUMBER",
    f"{A}QUANTITY_IN_STOCK",
    f"{A}QUANTITY_RESERVED",
    f"{A}DISPOSABLE_IN_STOCK",
    f"{A}STOCK_GOODS",
    f"{A}WEBSHOP",
    f"{A}TIMESTAMP",
)
_ARTICLE_INPUT = {
    "name": f"{A}NAME",
    "unit": f"{A}UNIT_CODE",
    "group": f"{A}GROUP",
    "accounting_code": f"{A}ACCOUNTING_CODE",
    "stock_goods": f"{A}STOCK_GOODS",
    "webshop": f"{A}WEBSHOP",
    "inactive": f"{A}INACTIVE",
    "bar_code": f"{A}BAR_CODE",
    "weight": f"{A}WEIGHT",
}
_CUSTOMER = {
    "number": "NUMBER",
    "name": "NAME",
    "email": "EMAIL",
    "org_number": "ORGANISATION_NUMBER",
    "vat_number": "VAT_NUMBER",
    "mailing_address": "MAILING_ADDRESS",
    "mailing_address2": "MAILING_ADDRESS2",
    "zipcode": "ZIPCODE",
    "city": "CITY",
    "country_code": "CODE_OF_COUNTRY",
    "delivery_name": "DELIVERY_NAME",
    "delivery_address": "DELIVERY_ADDRESS",
    "delivery_address2": "DELIVERY_ADDRESS2",
    "delivery_zipcode": "DELIVERY_ZIPCODE",
    "delivery_city": "DELIVERY_CITY",
    "delivery_country_code": "DELIVERY_CODE_OF_COUNTRY",
    "phone": "TELEPHONE",
    "mobile_phone": "MOBILE_PHONE",
    "price_list": "PRICE_LIST",
    "terms_of_payment": "CODE_OF_TERMS_OF_PAYMENT",
    "way_of_delivery": "CODE_OF_WAY_OF_DELIVERY",
    "currency": "CODE_OF_CURRENCY",
    "category": "CATEGORY",
}


def lookup_text(value: str) -> str | None:
    """A key to look up as Visma stores it, or None when no stored key can be equal to it.

    Keys are never transliterated (``text.py``), so one outside Windows-1252 matches nothing: looking
    up "REF-☃-x" as "REF--x" would find another order.
    """
    return unicodedata.normalize("NFC", value) if fits_cp1252(value) else None


class Catalog:
    def __init__(self, backend: CompanyBackend, state: AgentState) -> None:
        self.backend = backend
        self.state = state

    # --- articles ---------------------------------------------------------------------------------

    def article(self, row: AdkRecord) -> P.Article:
        vat_code = ""
        account = self.backend.find(
            "ADK_DB_CODE_OF_ARTICLE_ACCOUNT", {"ADK_CODE_OF_ARTICLE_ACCOUNT_CODE": row[f"{A}ACCOUNTING_CODE"]}
        )
        if account:
            vat_code = clean(account["ADK_CODE_OF_ARTICLE_ACCOUNT_VAT"])
        return P.Article(
            number=clean(row[f"{A}NUMBER"]),
            name=clean(row[f"{A}NAME"]),
            unit=clean(row[f"{A}UNIT_CODE"]),
            group=clean(row[f"{A}GROUP"]),
            accounting_code=clean(row[f"{A}ACCOUNTING_CODE"]),
            vat_code=vat_code,
            stock_goods=bool(row[f"{A}STOCK_GOODS"]),
            webshop=bool(row[f"{A}WEBSHOP"]),
            inactive=bool(row[f"{A}INACTIVE"]),
            in_stock=qty(row[f"{A}QUANTITY_IN_STOCK"]),
            reserved=qty(row[f"{A}QUANTITY_RESERVED"]),
            disposable=qty(row[f"{A}DISPOSABLE_IN_STOCK"]),
            bar_code=clean(row[f"{A}BAR_CODE"]),
            weight=qty(row[f"{A}WEIGHT"]),
            timestamp=clean(row[f"{A}TIMESTAMP"]),
        )

    def articles_changed(self, cursor: str | None, limit: int) -> P.ArticlePage:
        """Articles in timestamp order after ``cursor`` ("timestamp|number"), the eTimeStamp sort."""
        after = tuple(cursor.split("|", 1)) if cursor and "|" in cursor else None
        rows = self.backend.scan(
            "ADK_DB_ARTICLE", order_by=(f"{A}TIMESTAMP", f"{A}NUMBER"), after=after, limit=limit
        )
        items = [self.article(row) for row in rows]
        next_cursor = f"{items[-1].timestamp}|{items[-1].number}" if items else cursor
        return P.ArticlePage(items=items, next_cursor=next_cursor)

    def get_article(self, number: str) -> P.Article | None:
        if (key := lookup_text(number)) is None:
            return None
        row = self.backend.find("ADK_DB_ARTICLE", {f"{A}NUMBER": key})
        return self.article(row) if row else None

    def put_article(self, number: str, data: P.ArticleInput) -> P.Article:
        warnings: list[str] = []
        values = to_adk(F.ARTICLE, {_ARTICLE_INPUT[k]: getattr(data, k) for k in _ARTICLE_INPUT}, warnings)
        key = to_adk(F.ARTICLE, {f"{A}NUMBER": number}, warnings)
        if self.backend.find("ADK_DB_ARTICLE", key) is None:
            row = self.backend.add("ADK_DB_ARTICLE", key | values)
        else:
            row = self.backend.update("ADK_DB_ARTICLE", key, values)
        return self.article(row)

    def stock(self, after: str | None, limit: int, webshop_only: bool) -> P.StockPage:
        """One page of stock figures in article-number order (eArticleNr), head fields only."""
        rows = self.backend.scan(
            "ADK_DB_ARTICLE",
            order_by=(f"{A}NUMBER",),
            after=(after,) if after else None,
            where={f"{A}WEBSHOP": True} if webshop_only else None,
            limit=limit,
            fields=STOCK_FIELDS,
        )
        return stock_page(rows, limit, source=self.backend.name)

    # --- prices -----------------------------------------------------------------------------------

    def price_lists(self) -> list[P.PriceList]:
        p = "ADK_CODE_OF_PRICE_LIST_"
        rows = self.backend.scan("ADK_DB_CODE_OF_PRICE_LIST", order_by=(f"{p}CODE",), limit=10_000)
        return [
            P.PriceList(
                code=clean(r[f"{p}CODE"]),
                text=clean(r[f"{p}TEXT"]),
                currency=clean(r[f"{p}CURRENCY_CODE"]),
                including_vat=bool(r[f"{p}INCLUDING_VAT"]),
                timestamp=clean(r[f"{p}TIMESTAMP"]),
            )
            for r in rows
        ]

    def prices(self, price_list: str, after: str | None, limit: int) -> P.PricePage:
        p = "ADK_PRICE_"
        key: tuple[Any, ...] | None = None
        if after and "|" in after:
            article, _, quantity = after.rpartition("|")
            key = (article, float(P.parse_decimal(quantity, "after")))
        if (code := lookup_text(price_list)) is None:
            return P.PricePage(items=[])
        rows = self.backend.scan(
            "ADK_DB_PRICE",
            order_by=(f"{p}ARTICLE_NUMBER", f"{p}QUANTITY"),
            after=key,
            where={f"{p}PRICE_LIST": code},
            limit=limit,
        )
        items = [
            P.Price(
                price_list=clean(r[f"{p}PRICE_LIST"]),
                article_number=clean(r[f"{p}ARTICLE_NUMBER"]),
                quantity=qty(r[f"{p}QUANTITY"]),
                price=dec(r[f"{p}PRICE"], F.PRICE.fields[f"{p}PRICE"].decimals),
                timestamp=clean(r[f"{p}TIMESTAMP"]),
            )
            for r in rows
        ]
        last = items[-1] if len(items) == limit else None
        return P.PricePage(items=items, next_after=f"{last.article_number}|{last.quantity}" if last else None)

    def customer_price(self, customer: str, article: str, quantity: Decimal) -> P.CustomerPrice:
        customer_key, article_key = lookup_text(customer), lookup_text(article)
        if customer_key is None:
            raise AdkError(21, detail="the customer number is outside Windows-1252")
        if article_key is None:
            raise AdkError(20, detail="the article number is outside Windows-1252")
        price, price_list, currency = self.backend.customer_price(customer_key, article_key, float(quantity))
        return P.CustomerPrice(
            customer_number=customer,
            article_number=article,
            quantity=quantity,
            price=dec(price),
            price_list=clean(price_list),
            currency=clean(currency),
        )

    # --- customers --------------------------------------------------------------------------------

    def customer(self, row: AdkRecord, warnings: list[str] | None = None) -> P.Customer:
        values = {attr: clean(row[C + suffix]) for attr, suffix in _CUSTOMER.items()}
        return P.Customer(**values, timestamp=clean(row[f"{C}TIMESTAMP"]), warnings=warnings or [])

    def find_customers(self, *, number: str = "", email: str = "", org_number: str = "") -> list[P.Customer]:
        if (key := lookup_text(number or email or org_number)) is None:
            return []
        if number:
            row = self.backend.find("ADK_DB_CUSTOMER", {f"{C}NUMBER": key})
            return [self.customer(row)] if row else []
        # Sort orders eCustomerEmail (240) / organisation number with a filter on the value.
        field = f"{C}EMAIL" if email else f"{C}ORGANISATION_NUMBER"
        rows = self.backend.scan("ADK_DB_CUSTOMER", order_by=(f"{C}NUMBER",), where={field: key}, limit=100)
        return [self.customer(row) for row in rows]

    def create_customer(self, data: P.CustomerInput, key: str) -> tuple[P.Customer, bool]:
        """Create the customer once per Idempotency-Key; return (customer, created).

        The key names what brings the customer (a shop order), so a repeat answers with the
        customer the key made whatever it asks now: an order retried after a lost answer, a crash
        or a change of its rules still has one customer, never a second one with the new details
        (as an existing customer keeps what the merchant gave it).
        """
        known = self.state.idempotency(key)
        if known is not None:
            earlier = self._customer_made_earlier(key, known, data)
            if earlier is not None:
                return earlier, False
        warnings: list[str] = []
        values = {C + suffix: getattr(data, attr) for attr, suffix in _CUSTOMER.items()}
        values[f"{C}IGNORE_ORGANISATION_NUMBER_CHECK"] = data.ignore_org_number_check or None
        record = to_adk(F.CUSTOMER, values, warnings)
        self.state.begin(key, "", "customer", "", datetime.now().isoformat())
        try:
            row = self.backend.add("ADK_DB_CUSTOMER", record)
        except BaseException:
            self.state.forget(key)
            raise
        customer = self.customer(row, warnings)
        self.state.finish_named(key, customer.number)
        return customer, True

    def _customer_made_earlier(self, key: str, known: Any, data: P.CustomerInput) -> P.Customer | None:
        """The customer an earlier request under ``key`` made; None if that request wrote nothing."""
        if known["number"] is not None:
            found = self.find_customers(number=known["reference"])
            if not found:  # removed or renumbered in Visma since: making it again would surprise
                raise Conflict(
                    f"customer {known['reference']}, made under this Idempotency-Key, is no longer in Visma"
                )
            return found[0]
        # Recorded but never completed: the agent stopped between the ADK write and the record. A
        # customer of this name with this e-mail (or organisation number) is the one it wrote.
        if data.email or data.org_number:
            found = self.find_customers(email=data.email or "", org_number=data.org_number or "")
            same = [c for c in found if c.name == data.name]
            if same:
                self.state.finish_named(key, same[-1].number)
                return same[-1]
        self.state.forget(key)
        return None


def stock_page(rows: list[AdkRecord], limit: int, *, source: str) -> P.StockPage:
    items = [
        P.StockLine(
            article_number=clean(r[f"{A}NUMBER"]),
            in_stock=qty(r[f"{A}QUANTITY_IN_STOCK"]),
            reserved=qty(r[f"{A}QUANTITY_RESERVED"]),
            disposable=qty(r[f"{A}DISPOSABLE_IN_STOCK"]),
            stock_goods=bool(r[f"{A}STOCK_GOODS"]),
            webshop=bool(r[f"{A}WEBSHOP"]),
            timestamp=clean(r[f"{A}TIMESTAMP"]),
        )
        for r in rows
    ]
    next_after = items[-1].article_number if len(items) == limit and items else None
    return P.StockPage(items=items, next_after=next_after, source=source)
