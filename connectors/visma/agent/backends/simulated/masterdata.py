"""Customers, articles and prices of a simulated company, with the ADK's checks."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from connectors.visma.agent import fields as F
from connectors.visma.agent.backends.simulated.documents import Documents, today_long
from connectors.visma.agent.backends.simulated.store import validate
from connectors.visma.agent.errors import AdkError

C = "ADK_CUSTOMER_"
A = "ADK_ARTICLE_"
P = "ADK_PRICE_"


def org_number_valid(value: str) -> bool:
    """Swedish organisation/personal number: 10 digits (12 with century) with a Luhn check digit."""
    digits = re.sub(r"[-+\s]", "", value)
    if len(digits) == 12:
        digits = digits[2:]
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(digits):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


class MasterData:
    def __init__(self, documents: Documents) -> None:
        self.docs = documents
        self.store = documents.store

    def _codes(self, values: Mapping[str, Any]) -> None:
        self.docs.require_code(F.PRICE_LIST, values.get(f"{C}PRICE_LIST", ""), 35, f"{C}PRICE_LIST")
        self.docs.require_code(
            F.TERMS_OF_PAYMENT,
            values.get(f"{C}CODE_OF_TERMS_OF_PAYMENT", ""),
            41,
            f"{C}CODE_OF_TERMS_OF_PAYMENT",
        )
        self.docs.require_code(
            F.TERMS_OF_DELIVERY,
            values.get(f"{C}CODE_OF_TERMS_OF_DELIVERY", ""),
            40,
            f"{C}CODE_OF_TERMS_OF_DELIVERY",
        )
        self.docs.require_code(
            F.WAY_OF_DELIVERY,
            values.get(f"{C}CODE_OF_WAY_OF_DELIVERY", ""),
            42,
            f"{C}CODE_OF_WAY_OF_DELIVERY",
        )
        self.docs.require_code(F.CURRENCY, values.get(f"{C}CODE_OF_CURRENCY", ""), 43, f"{C}CODE_OF_CURRENCY")

    def add_customer(self, values: Mapping[str, Any]) -> dict:
        validate(F.CUSTOMER, values)
        record = dict(values)
        if not record.get(f"{C}NUMBER"):
            record[f"{C}NUMBER"] = self._next_customer_number()
        number = record[f"{C}NUMBER"]
        if not number.strip():
            raise AdkError(51, field=f"{C}NUMBER")
        if self.store.find(F.CUSTOMER, {f"{C}NUMBER": number}) is not None:
            raise AdkError(214, field=f"{C}NUMBER", detail=number)
        org = record.get(f"{C}ORGANISATION_NUMBER", "")
        if org and not record.get(f"{C}IGNORE_ORGANISATION_NUMBER_CHECK") and not org_number_valid(org):
            raise AdkError(108, field=f"{C}ORGANISATION_NUMBER", detail=org)
        self._codes(record)
        prm2 = self.docs.prm2()
        record.setdefault(f"{C}PRICE_LIST", prm2["ADK_PRM2_DEFAULT_PRICELIST"])
        record.setdefault(f"{C}CODE_OF_CURRENCY", "SEK")
        record.setdefault(f"{C}CODE_OF_TERMS_OF_PAYMENT", "30")
        self.store.insert(F.CUSTOMER, record)
        return self.store.find(F.CUSTOMER, {f"{C}NUMBER": number}) or {}

    def _next_customer_number(self) -> str:
        current = self.docs.prm2()["ADK_PRM2_NEXT_CUSTOMER_NO"] or "1"
        while self.store.find(F.CUSTOMER, {f"{C}NUMBER": current}) is not None:
            current = str(int(current) + 1)
        self.store.conn.execute("UPDATE prm2 SET ADK_PRM2_NEXT_CUSTOMER_NO = ?", (str(int(current) + 1),))
        return current

    def update_customer(self, number: str, values: Mapping[str, Any]) -> dict:
        validate(F.CUSTOMER, values)
        self._codes(values)
        self.store.update(F.CUSTOMER, {f"{C}NUMBER": number}, values)
        return self.store.find(F.CUSTOMER, {f"{C}NUMBER": number}) or {}

    def _check_article(self, record: Mapping[str, Any]) -> None:
        if record.get(f"{A}INACTIVE") and record.get(f"{A}WEBSHOP"):
            raise AdkError(619, field=f"{A}WEBSHOP")

    def add_article(self, values: Mapping[str, Any]) -> dict:
        validate(F.ARTICLE, values)
        record: dict[str, Any] = {f"{A}UNIT_CODE": "st", f"{A}ACCOUNTING_CODE": "1", f"{A}STOCK_GOODS": True}
        record |= values
        number = record.get(f"{A}NUMBER", "")
        if not number.strip():
            raise AdkError(115, field=f"{A}NUMBER")
        if self.store.find(F.ARTICLE, {f"{A}NUMBER": number}) is not None:
            raise AdkError(214, field=f"{A}NUMBER", detail=number)
        self._check_article(record)
        record[f"{A}DISPOSABLE_IN_STOCK"] = self.docs.disposable(
            float(record.get(f"{A}QUANTITY_IN_STOCK", 0.0)), float(record.get(f"{A}QUANTITY_RESERVED", 0.0))
        )
        self.store.insert(F.ARTICLE, record)
        return self.store.find(F.ARTICLE, {f"{A}NUMBER": number}) or {}

    def update_article(self, number: str, values: Mapping[str, Any]) -> dict:
        validate(F.ARTICLE, values)
        current = self.store.find(F.ARTICLE, {f"{A}NUMBER": number})
        if current is None:
            raise AdkError(115, field=f"{A}NUMBER", detail=number)
        self._check_article(current | dict(values))
        self.store.update(F.ARTICLE, {f"{A}NUMBER": number}, values)
        return self.store.find(F.ARTICLE, {f"{A}NUMBER": number}) or {}

    def set_price(self, values: Mapping[str, Any]) -> dict:
        validate(F.PRICE, values)
        article = values.get(f"{P}ARTICLE_NUMBER", "")
        if self.store.find(F.ARTICLE, {f"{A}NUMBER": article}) is None:
            raise AdkError(20, field=f"{P}ARTICLE_NUMBER", detail=article)
        self.docs.require_code(F.PRICE_LIST, values.get(f"{P}PRICE_LIST", ""), 35, f"{P}PRICE_LIST")
        if float(values.get(f"{P}PRICE") or 0.0) <= 0:
            raise AdkError(451, field=f"{P}PRICE")
        key = {name: values.get(name, 0.0 if name == f"{P}QUANTITY" else "") for name in F.PRICE.key}
        changes = {k: v for k, v in values.items() if k not in key} | {f"{P}DATE_OF_CHANGE": today_long()}
        if self.store.find(F.PRICE, key) is None:
            self.store.insert(F.PRICE, key | changes)
        else:
            self.store.update(F.PRICE, key, changes)
        return self.store.find(F.PRICE, key) or {}

    def customer_price(self, customer: str, article: str, quantity: float) -> tuple[float, str, str]:
        """``AdkGetCustomerPrice``: the customer's list, the highest quantity break ≤ quantity."""
        found = self.store.find(F.CUSTOMER, {f"{C}NUMBER": customer})
        if found is None:
            raise AdkError(21, detail=customer)
        if self.store.find(F.ARTICLE, {f"{A}NUMBER": article}) is None:
            raise AdkError(20, detail=article)
        price_list = found[f"{C}PRICE_LIST"] or self.docs.prm2()["ADK_PRM2_DEFAULT_PRICELIST"]
        row = self.store.conn.execute(
            f"SELECT {P}PRICE FROM price WHERE {P}PRICE_LIST = ? AND {P}ARTICLE_NUMBER = ?"
            f" AND {P}QUANTITY <= ? ORDER BY {P}QUANTITY DESC LIMIT 1",
            (price_list, article, quantity),
        ).fetchone()
        # No price: Visma warns (ADKW_COULD_NOT_FIND_ARTICLE_PRICE 251) and answers 0.
        return (float(row[0]) if row else 0.0, price_list, found[f"{C}CODE_OF_CURRENCY"] or "SEK")
