"""What each kind of rule does to a record: pure functions, no I/O (the rules come loaded).

Orders: a rule reads the shop order (``order_value``) and writes the Visma document
(``apply_to_document``) or the Visma customer the order creates (``apply_to_customer``); skip and
park rules only decide (``matches``). Products: a rule changes
one field of the article on its way to Visma or of the product rows on their way to the shop.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal, InvalidOperation
from typing import Any

from connectors.jetshop.records import Order, ProductInput
from connectors.visma import protocol as P
from flows.models import Rule
from flows.models.plugins import CUSTOMER_FIELDS, DocumentField, OrderField
from flows.order_mapping import is_company

TEXTS = {DocumentField.TEXT1: 0, DocumentField.TEXT2: 1, DocumentField.TEXT3: 2}
# The rule's product field as the Visma article and the shop product name it.
ARTICLE_FIELDS = {"name": "name", "ean": "bar_code", "unit": "unit", "group": "group"}
SHOP_FIELDS = {"name": "name", "ean": "ean_code", "sub_name": "sub_name"}


def order_value(order: Order, channel: str, field: str, fixed: str = "", dynamic: str = "") -> str:
    """The text a rule reads from the shop order (``dynamic``: the dynamic field's name)."""
    bill = order.bill_to
    values: dict[str, Any] = {
        OrderField.ORDER_NUMBER: order.order_number,
        OrderField.EMAIL: order.email,
        OrderField.PAYMENT_METHOD: order.payment_method,
        OrderField.DELIVERY_METHOD: order.delivery_method,
        OrderField.CHANNEL: channel,
        OrderField.CURRENCY: order.currency_code,
        OrderField.CULTURE: order.culture,
        OrderField.COUNTRY: bill.country_code,
        OrderField.CUSTOMER_GROUP: "company" if is_company(order) else "private",
        OrderField.COMPANY: bill.company,
        OrderField.ORG_NUMBER: order.org_number,
        OrderField.CUSTOMER_ID: "" if order.customer_id is None else order.customer_id,
        OrderField.TOTAL: order.total_inc_vat,
        OrderField.DYNAMIC: order.extra.get(dynamic, ""),
        OrderField.FIXED: fixed,
    }
    return str(values.get(field, "") or "")


def holds(rule: Rule, value: str) -> bool:
    """Whether the rule's condition holds for ``value`` (texts compare without regard to case)."""
    wanted, op = rule.when_value.strip(), rule.when_operator
    if op in (Rule.Operator.GREATER, Rule.Operator.LESS):
        try:
            number, limit = Decimal(value), Decimal(wanted)
        except InvalidOperation:
            return False
        return number > limit if op == Rule.Operator.GREATER else number < limit
    text, wanted = value.strip().casefold(), wanted.casefold()
    if op == Rule.Operator.NOT_EQUALS:
        return text != wanted
    if op == Rule.Operator.ONE_OF:
        return text in {part.strip() for part in wanted.split(",")}
    if op == Rule.Operator.CONTAINS:
        return wanted in text
    return text == wanted


def matches(rule: Rule, order: Order, channel: str) -> bool:
    """A rule without a condition applies to every order."""
    if not rule.when_field:
        return True
    return holds(rule, order_value(order, channel, rule.when_field, dynamic=rule.dynamic_field))


def translate(rule: Rule, value: str) -> str | None:
    """The table's value for ``value`` (exact first, then ignoring case); the rule's value when none."""
    table = rule.table_rows()
    if value in table:
        return table[value]
    folded = {k.casefold(): v for k, v in table.items()}
    return folded.get(value.casefold(), rule.value or None)


def field_value(rule: Rule, order: Order, channel: str) -> tuple[bool, str | None]:
    """Whether a set-field or translate rule writes, and what (``None`` empties the field)."""
    if not matches(rule, order, channel):
        return False, None
    value: str | None = order_value(order, channel, rule.source, rule.value, rule.dynamic_field)
    if rule.kind == Rule.Kind.TRANSLATE:
        value = translate(rule, value or "")
        if value is None:
            return False, None
    elif rule.source != OrderField.FIXED and rule.value and rule.value != value:
        value = f"{rule.value}{value}"  # a fixed text before the shop's value ("Order " + number)
    return True, value or None


def apply_to_document(rule: Rule, order: Order, channel: str, document: P.DocumentInput) -> P.DocumentInput:
    """The document with the rule applied (the same document when it does not apply)."""
    if rule.kind == Rule.Kind.ADD_ROW:
        return add_row(rule, document) if matches(rule, order, channel) else document
    writes, value = field_value(rule, order, channel)
    return set_field(document, rule.target, value) if writes else document


def apply_to_customer(rule: Rule, order: Order, channel: str, customer: P.CustomerInput) -> P.CustomerInput:
    """The customer to be created with the rule applied (its price list or category)."""
    writes, value = field_value(rule, order, channel)
    if not writes:
        return customer
    return dataclasses.replace(customer, **{CUSTOMER_FIELDS[DocumentField(rule.target)]: value})  # type: ignore[arg-type] # a code field


def set_field(document: P.DocumentInput, target: str, value: str | None) -> P.DocumentInput:
    if target in TEXTS:
        texts = list(document.texts)
        index = TEXTS[DocumentField(target)]
        texts += [""] * (index + 1 - len(texts))
        texts[index] = value or ""
        while texts and not texts[-1]:
            texts.pop()
        return dataclasses.replace(document, texts=texts)
    return dataclasses.replace(document, **{target: value})  # type: ignore[arg-type] # a text field


def add_row(rule: Rule, document: P.DocumentInput) -> P.DocumentInput:
    """A row at the end; "the order's fee" moves the fee field's amount (and VAT code) onto it."""
    if rule.row_price == Rule.RowPrice.ORDER_FEE:
        if not document.dispatch_fee:
            return document
        price, vat_code = document.dispatch_fee, document.dispatch_fee_vat_code
        document = dataclasses.replace(document, dispatch_fee=None, dispatch_fee_vat_code=None)
    else:
        price, vat_code = rule.price or Decimal(0), None
    row = P.DocumentRowInput(
        article_number=rule.article_number or None,
        text=rule.row_text or None,
        quantity=Decimal(1),
        price=price,
        vat_code=vat_code,
    )
    return dataclasses.replace(document, rows=[*document.rows, row])


def change_text(rule: Rule, current: str | None) -> str | None:
    """A product field's new value under the rule (``None`` stays ``None`` unless set)."""
    text = current or ""
    op = rule.operation
    if op == Rule.Operation.SET:
        return rule.value
    if current is None:
        return None
    if op == Rule.Operation.PREFIX:
        return rule.value + text
    if op == Rule.Operation.SUFFIX:
        return text + rule.value
    if op == Rule.Operation.UPPER:
        return text.upper()
    return translate(rule, text) or current


def apply_to_article(rule: Rule, article: P.ArticleInput) -> P.ArticleInput:
    name = ARTICLE_FIELDS[rule.product_field]
    changed = change_text(rule, getattr(article, name))
    if name == "name" and not changed:
        return article  # Visma's article name is required
    return dataclasses.replace(article, **{name: changed})  # type: ignore[arg-type] # a text field


def apply_to_rows(rule: Rule, rows: tuple[ProductInput, ...]) -> tuple[ProductInput, ...]:
    name = SHOP_FIELDS[rule.product_field]
    return tuple(
        dataclasses.replace(row, **{name: change_text(rule, getattr(row, name))})  # type: ignore[arg-type]
        for row in rows
    )
