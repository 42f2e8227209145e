"""Wire records of the agent's JSON API (``/v1``), shared by the agent and ``VismaClient``.

Money and quantities are ``Decimal`` in Python and strings on the wire, so no amount ever passes
through a binary float between the shop and the agent; the agent converts to doubles only at the
ADK boundary, rounded to the field's decimals. Records are written and read by the shared codec
(``connectors/codec.py``) under the wire's rules (``WIRE``); unknown keys are ignored by ``from_dict``
so that an older client keeps working against a newer agent.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar, TypeVar

from connectors import codec

API_VERSION = "v1"
DOCUMENT_KINDS = ("order", "invoice")
EVENT_KINDS = ("delivered", "invoiced", "paid", "cancelled")
# Every decimal on the wire, both ways: at most nine integer digits and six decimals (the OpenAPI
# pattern says the same). Doubles stay exact at the ADK boundary, and the agent's input bounds
# (``bounds.py``) keep what it writes inside what it can answer.
MAX_ABS_DECIMAL = Decimal("1e9")
MAX_DECIMAL_PLACES = 6

R = TypeVar("R", bound="Record")


class ProtocolError(ValueError):
    """A payload that does not fit the record: answered with 400, never retried."""


def parse_decimal(value: Any, name: str = "value") -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise ProtocolError(f"{name}: expected a decimal string")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ProtocolError(f"{name}: not a decimal: {str(value)[:40]!r}") from exc
    if not number.is_finite() or abs(number) >= MAX_ABS_DECIMAL:
        raise ProtocolError(f"{name}: out of range")
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_DECIMAL_PLACES:
        raise ProtocolError(f"{name}: more than {MAX_DECIMAL_PLACES} decimals")
    return number


def encode(value: Any) -> Any:
    """Records (nested in dicts and lists too) and Decimals as JSON-ready data."""
    return codec.dump(value)


# Every decimal on the wire, as the JSON schema states it (input fields narrow it: ``bounds.py``).
DECIMAL_SCHEMA = {"type": "string", "pattern": r"^-?[0-9]{1,9}(\.[0-9]{1,6})?$", "example": "199.00"}
FieldSchema = Callable[[type["Record"], str], dict[str, Any]]


def _schema(tp: Any, found: set[type[Record]]) -> dict[str, Any]:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        (inner,) = [a for a in typing.get_args(tp) if a is not type(None)]
        return {**_schema(inner, found), "nullable": True}
    if origin is list:
        return {"type": "array", "items": _schema(typing.get_args(tp)[0], found)}
    if tp is Decimal:
        return dict(DECIMAL_SCHEMA)
    if isinstance(tp, type) and issubclass(tp, Record):
        found.add(tp)
        return {"$ref": f"#/components/schemas/{tp.__name__}"}
    return {"type": {str: "string", int: "integer", bool: "boolean"}[tp]}


def json_schema(cls: type[Record], field_schema: FieldSchema, found: set[type[Record]]) -> dict[str, Any]:
    """The JSON schema (OpenAPI 3.0) of what ``encode`` writes and ``from_dict`` reads for ``cls``.

    ``field_schema(cls, name)`` adds keywords per field (the bounds); records ``cls`` refers to are
    added to ``found``.
    """
    hints = codec.hints(cls)
    properties, required = {}, []
    for f in codec.fields(cls):
        prop = _schema(hints[f.name], found) | field_schema(cls, f.name)
        if f.name in cls.choices:
            prop["enum"] = list(cls.choices[f.name])
        properties[f.name] = prop
        if codec.required(f):
            required.append(f.name)
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


# The wire refuses what does not fit a record: 400 naming the field, never retried.
WIRE = codec.Rules(error=ProtocolError, decimal=parse_decimal, check_types=True)


class Record:
    """Mixin for the dataclasses below: the shared codec under the wire's rules."""

    # Fields that must be one of a fixed set of strings (checked in from_dict).
    choices: ClassVar[dict[str, tuple[str, ...]]] = {}

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = codec.dump(self)
        return data

    @classmethod
    def from_dict(cls: type[R], data: Any) -> R:
        return codec.load(cls, data, WIRE)


# --- identity -----------------------------------------------------------------------------------


@dataclass
class Health(Record):
    status: str = "ok"


@dataclass
class Identity(Record):
    agent_version: str
    backend: str
    program_variant: str
    api_licensed: bool
    company_name: str
    org_number: str
    queue_depth: int
    last_successful_write: str | None = None
    odbc_enabled: bool = False
    started_at: str | None = None


# --- articles and stock ---------------------------------------------------------------------------


@dataclass
class Article(Record):
    number: str
    name: str
    unit: str = ""
    group: str = ""
    accounting_code: str = ""
    vat_code: str = ""
    stock_goods: bool = False
    webshop: bool = False
    inactive: bool = False
    in_stock: Decimal = Decimal(0)
    reserved: Decimal = Decimal(0)
    disposable: Decimal = Decimal(0)
    bar_code: str = ""
    weight: Decimal = Decimal(0)
    timestamp: str = ""


@dataclass
class ArticleInput(Record):
    """Create or update an article (shop-master modes). Stock figures are Visma's own."""

    name: str
    unit: str | None = None
    group: str | None = None
    accounting_code: str | None = None
    stock_goods: bool | None = None
    webshop: bool | None = None
    inactive: bool | None = None
    bar_code: str | None = None
    weight: Decimal | None = None


@dataclass
class ArticlePage(Record):
    items: list[Article]
    next_cursor: str | None = None


@dataclass
class StockLine(Record):
    article_number: str
    in_stock: Decimal
    reserved: Decimal
    disposable: Decimal
    stock_goods: bool
    webshop: bool
    timestamp: str


@dataclass
class StockPage(Record):
    items: list[StockLine]
    # Pass as ``after`` to get the next page; None at the end.
    next_after: str | None = None
    source: str = "adk"


# --- prices ---------------------------------------------------------------------------------------


@dataclass
class PriceList(Record):
    code: str
    text: str
    currency: str
    including_vat: bool
    timestamp: str = ""


@dataclass
class Price(Record):
    price_list: str
    article_number: str
    quantity: Decimal  # the quantity break: this price applies from this quantity up
    price: Decimal
    timestamp: str = ""


@dataclass
class PricePage(Record):
    items: list[Price]
    next_after: str | None = None


@dataclass
class CustomerPrice(Record):
    customer_number: str
    article_number: str
    quantity: Decimal
    price: Decimal
    price_list: str
    currency: str


@dataclass
class VatCode(Record):
    """A document VAT code and its rate in percent (``PRM2_VAT1..4``; "0" is exempt)."""

    code: str
    rate: Decimal


# The company's code lists a consultant picks from (``GET /v1/codes/{kind}``); price lists and VAT
# codes have their own endpoints. Kind -> the ADK code table it is read from.
CODE_KINDS = {
    "terms-of-payment": "ADK_DB_CODE_OF_TERMS_OF_PAYMENT",
    "way-of-delivery": "ADK_DB_CODE_OF_WAY_OF_DELIVERY",
    "terms-of-delivery": "ADK_DB_CODE_OF_TERMS_OF_DELIVERY",
    "article-account": "ADK_DB_CODE_OF_ARTICLE_ACCOUNT",
}


@dataclass
class Code(Record):
    """One row of a Visma code list. ``vat_code`` is an article account's VAT code, else empty."""

    code: str
    text: str
    vat_code: str = ""


@dataclass
class CodeList(Record):
    kind: str
    items: list[Code]


# --- customers ------------------------------------------------------------------------------------


@dataclass
class Customer(Record):
    number: str
    name: str
    email: str = ""
    org_number: str = ""
    vat_number: str = ""
    mailing_address: str = ""
    mailing_address2: str = ""
    zipcode: str = ""
    city: str = ""
    country_code: str = ""
    delivery_name: str = ""
    delivery_address: str = ""
    delivery_address2: str = ""
    delivery_zipcode: str = ""
    delivery_city: str = ""
    delivery_country_code: str = ""
    phone: str = ""
    mobile_phone: str = ""
    price_list: str = ""
    terms_of_payment: str = ""
    way_of_delivery: str = ""
    currency: str = ""
    category: str = ""  # ADK_CUSTOMER_CATEGORY, a code of the company's customer categories
    timestamp: str = ""
    warnings: list[str] = field(default_factory=list)


@dataclass
class CustomerInput(Record):
    name: str
    number: str | None = None  # None: the next number of the company's customer series
    email: str | None = None
    org_number: str | None = None
    ignore_org_number_check: bool = False
    vat_number: str | None = None
    mailing_address: str | None = None
    mailing_address2: str | None = None
    zipcode: str | None = None
    city: str | None = None
    country_code: str | None = None
    delivery_name: str | None = None
    delivery_address: str | None = None
    delivery_address2: str | None = None
    delivery_zipcode: str | None = None
    delivery_city: str | None = None
    delivery_country_code: str | None = None
    phone: str | None = None
    mobile_phone: str | None = None
    price_list: str | None = None
    terms_of_payment: str | None = None
    way_of_delivery: str | None = None
    currency: str | None = None
    category: str | None = None


# --- documents ------------------------------------------------------------------------------------


@dataclass
class DocumentRowInput(Record):
    quantity: Decimal = Decimal(0)
    article_number: str | None = None  # None: a text row
    text: str | None = None
    price: Decimal | None = None  # per unit, incl. or excl. VAT as the document says
    discount_percent: Decimal | None = None
    discount_amount: Decimal | None = None
    vat_code: str | None = None  # None: the article's VAT code (via its account code)
    unit: str | None = None


@dataclass
class DocumentInput(Record):
    choices: ClassVar[dict[str, tuple[str, ...]]] = {"kind": DOCUMENT_KINDS}

    kind: str
    customer_number: str
    rows: list[DocumentRowInput]
    reference: str | None = None  # the shop's order reference → ADK_OOI_HEAD_CUSTOMER_ORDER_NUMBER
    including_vat: bool = True
    date: str | None = None  # YYYY-MM-DD; default today
    currency: str | None = None
    price_list: str | None = None
    our_reference: str | None = None
    customer_reference: str | None = None
    texts: list[str] = field(default_factory=list)  # up to three printed free texts
    local_remark: str | None = None
    customer_name: str | None = None
    mailing_address1: str | None = None
    mailing_address2: str | None = None
    zipcode: str | None = None
    city: str | None = None
    country_code: str | None = None
    delivery_name: str | None = None
    delivery_address1: str | None = None
    delivery_address2: str | None = None
    delivery_zipcode: str | None = None
    delivery_city: str | None = None
    delivery_country_code: str | None = None
    freight: Decimal | None = None
    freight_vat_code: str | None = None
    dispatch_fee: Decimal | None = None
    dispatch_fee_vat_code: str | None = None
    terms_of_payment: str | None = None
    way_of_delivery: str | None = None
    terms_of_delivery: str | None = None
    project: str | None = None  # a project's code (ADK_OOI_HEAD_PROJECT_CODE)
    profit_centre: str | None = None  # a profit centre's code (ADK_OOI_HEAD_PROFIT_CENTRE)
    # Order only: a partial delivery leaves no backorder (ADK_OOI_HEAD_DO_NOT_CREATE_BACKORDER).
    do_not_create_backorder: bool | None = None


@dataclass
class DocumentRow(Record):
    row_number: int
    article_number: str
    text: str
    quantity_ordered: Decimal
    quantity_delivered: Decimal
    price: Decimal
    discount: Decimal
    amount: Decimal
    vat_code: str
    unit: str = ""


@dataclass
class VatLine(Record):
    vat_code: str
    rate: Decimal
    basis: Decimal
    amount: Decimal


@dataclass
class Document(Record):
    kind: str
    number: int
    customer_number: str
    customer_name: str
    reference: str
    date: str
    including_vat: bool
    cancelled: bool
    delivered: bool
    excluding_vat: Decimal
    vat_amount: Decimal
    round_off: Decimal
    total: Decimal
    balance: Decimal
    vat: list[VatLine] = field(default_factory=list)
    rows: list[DocumentRow] = field(default_factory=list)
    invoice_number: int | None = None  # order: the invoice made from it
    order_number: int | None = None  # invoice: the order it was made from
    tracking_number: str = ""
    freight: Decimal = Decimal(0)
    timestamp: str = ""
    warnings: list[str] = field(default_factory=list)
    project: str = ""
    profit_centre: str = ""


@dataclass
class DocumentStatus(Record):
    """A document's head-only status: cheap to read, no rows (served over ODBC when enabled)."""

    kind: str
    number: int
    reference: str
    delivered: bool
    cancelled: bool
    total: Decimal
    balance: Decimal
    timestamp: str = ""


@dataclass
class DocumentStatusList(Record):
    items: list[DocumentStatus]
    source: str = ""  # the backend's name, or "odbc"


@dataclass
class DocumentEvent(Record):
    choices: ClassVar[dict[str, tuple[str, ...]]] = {"event": EVENT_KINDS}

    id: str  # the cursor: pass the last one seen as ``after``
    event: str
    kind: str
    number: int
    reference: str
    occurred_at: str
    tracking_number: str = ""
    invoice_number: int | None = None
    amount: Decimal | None = None


@dataclass
class EventPage(Record):
    items: list[DocumentEvent]
    next_cursor: str


@dataclass
class OpenInvoice(Record):
    number: int
    customer_number: str
    reference: str
    date: str
    due_date: str
    total: Decimal
    balance: Decimal
    last_payment: str = ""


@dataclass
class OpenInvoicePage(Record):
    items: list[OpenInvoice]
    next_after: str | None = None


# --- errors ---------------------------------------------------------------------------------------


@dataclass
class ErrorInfo(Record):
    """The body of every non-2xx answer: ``{"error": {...}}``."""

    category: str  # validation, not_found, conflict, transient, bad_request, unauthorized, internal
    message: str
    code: int | None = None  # the ADK error number (ADKE_*), when the error came from Visma
    name: str = ""  # the ADKE_* constant name
    # The ADK field constant the error refers to, when known; for a request refused before Visma
    # saw it (``bounds.OutOfBounds``), the request's own field path ("rows[2].quantity").
    field: str = ""
    transient: bool = False
