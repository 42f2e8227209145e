"""What the agent accepts, stated once: checked by the agent, stated in its OpenAPI, usable by the server.

The bounds equal what the agent can answer for. Every decimal in an answer has at most nine integer
digits (``protocol.MAX_ABS_DECIMAL``): a document whose rows add up to more could be written to
Visma and then not be read back (a shop order of 100,000,000 × 100,000 SEK did exactly that). So
quantities, prices, fees and the document's sum are bounded here, with Visma's own field limits
(key lengths from the field map, decimals per field, Windows-1252 text).

The server calls ``document_problems(document)`` (or ``check_document``) BEFORE it asks the agent to
write, and parks an order that does not fit; the agent calls the same checks on every request and
refuses with 422 naming the field. Rows without a price (the agent fills in the price-list price)
can only be summed by the agent, which checks again once it knows the prices.

Stdlib only, like ``protocol``: the agent imports it on Windows with waitress alone.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from connectors.visma import protocol as P
from connectors.visma.agent import fields as F
from connectors.visma.agent.text import fits_cp1252, lost_too_much

MAX_ROWS = 1000  # rows per document; a shop order with more is parked by the server
MAX_TEXTS = 3  # printed free texts on a document head (one may carry the tracking number)
MAX_TEXT_LENGTH = 1000  # free text on input; trimmed to the Visma field with a warning
MAX_QUANTITY = Decimal("999999.99")
MAX_PRICE = Decimal("9999999.99")  # per unit
MAX_FEE = Decimal("999999.99")  # freight, dispatch fee
MAX_WEIGHT = Decimal("99999.999")
# Rows (|quantity × price|) plus fees, before VAT: with VAT at 25 % the total stays far inside the
# nine integer digits every answer is allowed, whatever the order of rounding.
MAX_DOCUMENT_AMOUNT = Decimal("99999999.99")

# ADK numbers for the refusals Visma itself would give, so a caller sees the same code either way.
TOO_MANY_SIGNS, TOO_MANY_DECIMALS, INVALID_STRING, INVALID_DATA_TYPE = 180, 181, 34, 103

# Windows-1252's printable characters (0x80-0x9F as cp1252 decodes them; 0x81, 0x8D, 0x8F, 0x90 and
# 0x9D are unassigned). Keys may not start or end with a space: Visma pads and we trim on reading.
_CP1252_HIGH = bytes(b for b in range(0x80, 0xA0) if b not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)).decode("cp1252")
_KEY_CHAR = "!-~\u00a1-\u00ff" + _CP1252_HIGH
KEY_PATTERN = f"^[{_KEY_CHAR}]([ \u00a0{_KEY_CHAR}]*[{_KEY_CHAR}])?$"
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


@dataclass(frozen=True)
class Problem:
    field: str  # the request's own field path: "reference", "rows[3].quantity"
    message: str
    code: int | None = None  # the ADKE number Visma would answer with, when there is one

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class OutOfBounds(P.ProtocolError):
    """A request the agent refuses before Visma sees it (422, ``field`` names the first problem)."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))

    @property
    def first(self) -> Problem:
        return self.problems[0]


# --- field bounds -----------------------------------------------------------------------------------


@functools.cache
def _table_of(adk_field: str) -> Any:
    """The ADK table that holds ``adk_field`` (which table does not change; its length may)."""
    return next(t for t in F.TABLES.values() if adk_field in t.fields)


@functools.cache
def _quantum(decimals: int) -> Decimal:
    return Decimal(1).scaleb(-decimals)


@dataclass(frozen=True)
class Key:
    """A key, reference or code: stored exactly as given or refused (never transliterated or cut)."""

    adk_field: str

    @property
    def length(self) -> int:
        # Read at check time: the agent config may override the provisional lengths (fields.py).
        return _table_of(self.adk_field).fields[self.adk_field].length

    def problems(self, name: str, value: str) -> Iterator[Problem]:
        if not fits_cp1252(value):
            yield Problem(name, "characters outside Windows-1252 cannot be stored in Visma", INVALID_STRING)
        elif not re.fullmatch(KEY_PATTERN, value):
            yield Problem(name, "empty, a control character, or a leading or trailing space", INVALID_STRING)
        if len(value) > self.length:
            yield Problem(name, f"longer than {self.length} characters", TOO_MANY_SIGNS)

    def schema(self) -> dict[str, Any]:
        return {"minLength": 1, "maxLength": self.length, "pattern": KEY_PATTERN}


@dataclass(frozen=True)
class Text:
    """Free text: transliterated to Windows-1252 and trimmed to the field, with a warning."""

    required: bool = False

    def problems(self, name: str, value: str) -> Iterator[Problem]:
        if len(value) > MAX_TEXT_LENGTH:
            yield Problem(name, f"longer than {MAX_TEXT_LENGTH} characters")
        elif lost_too_much(value):
            yield Problem(name, "almost nothing of it can be written in Windows-1252", INVALID_STRING)
        elif self.required and not value.strip():
            yield Problem(name, "required")

    def schema(self) -> dict[str, Any]:
        return {"maxLength": MAX_TEXT_LENGTH} | ({"minLength": 1} if self.required else {})


@dataclass(frozen=True)
class Number:
    low: Decimal
    high: Decimal
    decimals: int

    def problems(self, name: str, value: Decimal) -> Iterator[Problem]:
        if not self.low <= value <= self.high:
            yield Problem(name, f"outside {self.low} to {self.high}")
        if value.quantize(self._quantum) != value:  # parse_decimal keeps it small enough to quantize
            yield Problem(name, f"more than {self.decimals} decimals", TOO_MANY_DECIMALS)

    @property
    def _quantum(self) -> Decimal:
        return _quantum(self.decimals)

    def schema(self) -> dict[str, Any]:
        digits = len(str(int(self.high)))
        sign = "-?" if self.low < 0 else ""
        fraction = rf"(\.[0-9]{{1,{self.decimals}}})?" if self.decimals else ""
        return {
            "pattern": f"^{sign}[0-9]{{1,{digits}}}{fraction}$",
            "example": "1",
            "description": f"a decimal from {self.low} to {self.high}, at most {self.decimals} decimals",
        }


@dataclass(frozen=True)
class Date:
    def problems(self, name: str, value: str) -> Iterator[Problem]:
        try:
            valid = bool(re.fullmatch(DATE_PATTERN, value)) and 1900 <= date.fromisoformat(value).year
        except ValueError:
            valid = False
        if not valid:
            yield Problem(name, "not a date (YYYY-MM-DD, from 1900)", INVALID_DATA_TYPE)

    def schema(self) -> dict[str, Any]:
        return {"pattern": DATE_PATTERN}


Bound = Key | Text | Number | Date
QUANTITY = Number(Decimal(0), MAX_QUANTITY, 2)
H, C, A, R = "ADK_OOI_HEAD_", "ADK_CUSTOMER_", "ADK_ARTICLE_", "ADK_OOI_ROW_"
ARTICLE_NUMBER = Key(f"{A}NUMBER")

FIELDS: dict[type[P.Record], dict[str, Bound]] = {
    P.ArticleInput: {
        "name": Text(required=True),
        "unit": Key(f"{A}UNIT_CODE"),
        "group": Key(f"{A}GROUP"),
        "accounting_code": Key(f"{A}ACCOUNTING_CODE"),
        "bar_code": Key(f"{A}BAR_CODE"),
        "weight": Number(Decimal(0), MAX_WEIGHT, 3),
    },
    P.CustomerInput: {
        "name": Text(required=True),
        "number": Key(f"{C}NUMBER"),
        "email": Key(f"{C}EMAIL"),
        "org_number": Key(f"{C}ORGANISATION_NUMBER"),
        "vat_number": Key(f"{C}VAT_NUMBER"),
        "country_code": Key(f"{C}CODE_OF_COUNTRY"),
        "delivery_country_code": Key(f"{C}DELIVERY_CODE_OF_COUNTRY"),
        "price_list": Key(f"{C}PRICE_LIST"),
        "terms_of_payment": Key(f"{C}CODE_OF_TERMS_OF_PAYMENT"),
        "way_of_delivery": Key(f"{C}CODE_OF_WAY_OF_DELIVERY"),
        "currency": Key(f"{C}CODE_OF_CURRENCY"),
        "category": Key(f"{C}CATEGORY"),
        **dict.fromkeys(
            (
                "mailing_address",
                "mailing_address2",
                "zipcode",
                "city",
                "delivery_name",
                "delivery_address",
                "delivery_address2",
                "delivery_zipcode",
                "delivery_city",
                "phone",
                "mobile_phone",
            ),
            Text(),
        ),
    },
    P.DocumentInput: {
        "customer_number": Key(f"{H}CUSTOMER_NUMBER"),
        "reference": Key(f"{H}CUSTOMER_ORDER_NUMBER"),
        "date": Date(),
        "currency": Key(f"{H}CURRENCY_CODE"),
        "price_list": Key(f"{H}LIST_OF_PRICE_CODE"),
        "country_code": Key(f"{H}CODE_OF_COUNTRY"),
        "delivery_country_code": Key(f"{H}DELIVERY_CODE_OF_COUNTRY"),
        "freight": Number(Decimal(0), MAX_FEE, 2),
        "freight_vat_code": Key(f"{H}CARGO_VAT_CODE"),
        "dispatch_fee": Number(Decimal(0), MAX_FEE, 2),
        "dispatch_fee_vat_code": Key(f"{H}VAT_CODE_DISPATCH_FEE"),
        "terms_of_payment": Key(f"{H}CODE_OF_TERMS_OF_PAYMENT"),
        "way_of_delivery": Key(f"{H}CODE_OF_WAY_OF_DELIVERY"),
        "terms_of_delivery": Key(f"{H}CODE_OF_TERMS_OF_DELIVERY"),
        "project": Key(f"{H}PROJECT_CODE"),
        "profit_centre": Key(f"{H}PROFIT_CENTRE"),
        **dict.fromkeys(
            (
                "our_reference",
                "customer_reference",
                "local_remark",
                "customer_name",
                "mailing_address1",
                "mailing_address2",
                "zipcode",
                "city",
                "delivery_name",
                "delivery_address1",
                "delivery_address2",
                "delivery_zipcode",
                "delivery_city",
            ),
            Text(),
        ),
    },
    P.DocumentRowInput: {
        "quantity": QUANTITY,
        "article_number": Key(f"{R}ARTICLE_NUMBER"),
        "text": Text(),
        "price": Number(-MAX_PRICE, MAX_PRICE, 2),
        "discount_percent": Number(Decimal(0), Decimal(100), 2),
        "discount_amount": Number(Decimal(0), MAX_DOCUMENT_AMOUNT, 2),
        "vat_code": Key(f"{R}VAT_CODE"),
        "unit": Key(f"{R}UNIT"),
    },
}
# Lists: (minItems, maxItems) and the bound of each item.
LISTS: dict[type[P.Record], dict[str, tuple[int, int, Bound | None]]] = {
    P.DocumentInput: {"rows": (1, MAX_ROWS, None), "texts": (0, MAX_TEXTS, Text())},
}


def schema_for(record: type[P.Record], name: str) -> dict[str, Any]:
    """The JSON-schema keywords that state a field's bounds (merged into the OpenAPI document)."""
    if name in LISTS.get(record, {}):
        low, high, item = LISTS[record][name]
        items = {"items": {"type": "string", **item.schema()}} if item is not None else {}
        return {"minItems": low, "maxItems": high, **items}
    bound = FIELDS.get(record, {}).get(name)
    return bound.schema() if bound is not None else {}


def _fields(record: P.Record, prefix: str = "") -> Iterator[Problem]:
    for name, bound in FIELDS.get(type(record), {}).items():
        value = getattr(record, name)
        if value is not None:
            yield from bound.problems(prefix + name, value)
    for name, (low, high, item) in LISTS.get(type(record), {}).items():
        values = getattr(record, name)
        if not low <= len(values) <= high:
            yield Problem(prefix + name, f"from {low} to {high} items, not {len(values)}")
        elif item is not None:
            for i, value in enumerate(values):
                yield from item.problems(f"{prefix}{name}[{i}]", value)


# --- records ----------------------------------------------------------------------------------------


def article_problems(number: str, article: P.ArticleInput) -> list[Problem]:
    return [*ARTICLE_NUMBER.problems("number", number), *_fields(article)]


def customer_problems(customer: P.CustomerInput) -> list[Problem]:
    return list(_fields(customer))


def row_amount(row: P.DocumentRowInput, price: Decimal | None = None) -> Decimal:
    """|quantity × price| of a row; ``price`` overrides the row's own (the agent's list price)."""
    unit = price if price is not None else row.price
    return abs(row.quantity * (unit or Decimal(0)))


def amount_problems(
    document: P.DocumentInput, prices: Iterable[Decimal | None] | None = None
) -> list[Problem]:
    """The document's sum against ``MAX_DOCUMENT_AMOUNT`` (rows at ``prices`` when given)."""
    prices = list(prices) if prices is not None else [None] * len(document.rows)
    total = sum(
        (row_amount(row, price) for row, price in zip(document.rows, prices, strict=True)), Decimal(0)
    )
    total += (document.freight or 0) + (document.dispatch_fee or 0)
    if total > MAX_DOCUMENT_AMOUNT:
        return [Problem("rows", f"the document adds up to {total}, more than {MAX_DOCUMENT_AMOUNT}")]
    return []


def document_problems(document: P.DocumentInput) -> list[Problem]:
    """Everything about ``document`` the agent would refuse before writing; [] when it fits."""
    problems = list(_fields(document))
    for i, row in enumerate(document.rows):
        where = f"rows[{i}]."
        problems.extend(_fields(row, where))
        if row.article_number:
            # Credits and discounts are text rows with a negative price; an article row sells.
            if row.quantity <= 0:
                problems.append(Problem(where + "quantity", "an article row needs a positive quantity"))
            if row.price is not None and row.price < 0:
                problems.append(Problem(where + "price", "negative on an article row (use a text row)"))
        elif not row.text:
            problems.append(Problem(where + "text", "an article number or a text is required"))
        if row.discount_percent is not None and row.discount_amount is not None:
            problems.append(
                Problem(where + "discount_amount", "give a discount percent or an amount, not both")
            )
        elif (
            row.discount_amount is not None
            and row.price is not None
            and row.discount_amount > row_amount(row)
        ):
            problems.append(Problem(where + "discount_amount", "more than the row's amount"))
    problems.extend(amount_problems(document))
    return problems


def _check(problems: list[Problem]) -> None:
    if problems:
        raise OutOfBounds(problems)


def check_document(document: P.DocumentInput) -> None:
    """Raise ``OutOfBounds`` (a ``ProtocolError``) if the agent would refuse ``document``."""
    _check(document_problems(document))


def check_article(number: str, article: P.ArticleInput) -> None:
    _check(article_problems(number, article))


def check_customer(customer: P.CustomerInput) -> None:
    _check(customer_problems(customer))
