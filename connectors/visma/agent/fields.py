"""The one field map, in ADK constant names, used by every backend.

The simulator builds its SQLite tables from it (column = ADK constant, §7 of the reference), the
``adk`` backend resolves the same names on the wrapper's ``Api`` class, and the agent's mapping
layer converts values with it (cp1252 text trimmed to ``length``, Decimals to doubles rounded to
``decimals``). Lengths are PROVISIONAL: nothing public lists them (§2.9); they follow the buffer
sizes seen in third-party code and can be overridden from the agent config until a schema harvest
on a real installation replaces them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

CHAR, DOUBLE, BOOL, DATE, STAMP = "C", "D", "B", "T", "S"  # S: *_TIMESTAMP (ISO text in the simulator)
# The ADK header's field type of each (ADK_FIELD_TYPE): *_TIMESTAMP fields are eDate there. The whole
# map is held against the header's constants (adk-constants.tsv beside this file) by a test.
ADK_TYPES = {CHAR: "eChar", DOUBLE: "eDouble", BOOL: "eBool", DATE: "eDate", STAMP: "eDate"}


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    length: int = 0
    decimals: int = 0
    # Free text may be shortened with a warning; keys and references may not (a cut article
    # number would point at another article), so for those Visma's ADKE_TOO_MANY_SIGNS stands.
    trim: bool = True


@dataclass(frozen=True)
class Table:
    db: str  # ADK_DB_* constant
    sql: str  # simulator table
    key: tuple[str, ...]
    fields: dict[str, Field] = field(default_factory=dict)
    kind: str = ""  # ooi_head/ooi_row: the simulator's sim_doc_kind discriminator

    @property
    def timestamp(self) -> str | None:
        """The change timestamp field; None for the settings tables (PRM, PRM2), which have none."""
        return next((name for name in self.fields if name.endswith("_TIMESTAMP")), None)


def _f(spec: str) -> dict[str, Field]:
    """Parse ``NAME:TYPE[:LENGTH|DECIMALS][:key]`` lines (key = never trimmed)."""
    out: dict[str, Field] = {}
    for line in spec.split():
        name, ftype, *rest = line.split(":")
        size = int(rest[0]) if rest else 0
        trim = "key" not in rest
        if ftype == DOUBLE:
            out[name] = Field(name, ftype, decimals=size)
        else:
            out[name] = Field(name, ftype, length=size, trim=trim)
    return out


_CODE3 = "_CODE:C:6:key _TEXT:C:30 _TIMESTAMP:S"


def _code_table(db: str, sql: str, prefix: str, extra: str = "") -> Table:
    spec = " ".join(prefix + part for part in _CODE3.split()) + " " + extra
    return Table(db, sql, (prefix + "_CODE",), _f(spec))


PRM = Table(
    "ADK_DB_PRM",
    "prm",
    ("ADK_PRM_NAME",),
    _f(
        "ADK_PRM_NAME:C:50 ADK_PRM_ORGANISATION_NUMBER:C:15 ADK_PRM_CODE_OF_CURRENCY:C:4 "
        "ADK_PRM_PRICE_4_DECIMALS_ACTIVATED:B ADK_PRM_PROGRAM:C:20 ADK_PRM_DATABASE_VERSION:D:0"
    ),
)
PRM2 = Table(
    "ADK_DB_PRM2",
    "prm2",
    ("ADK_PRM2_DEFAULT_PRICELIST",),
    _f(
        "ADK_PRM2_VAT1:D:2 ADK_PRM2_VAT2:D:2 ADK_PRM2_VAT3:D:2 ADK_PRM2_VAT4:D:2 "
        "ADK_PRM2_DEFAULT_PRICELIST:C:6 ADK_PRM2_DEFAULT_VATCODE_CARGO_FEE:C:2 "
        "ADK_PRM2_DEFAULT_VATCODE_DISPATCH_FEE:C:2 ADK_PRM2_NEXT_CUSTOMER_NO:C:16 "
        "ADK_PRM2_NEXT_ARTICLE_NO:C:16"
    ),
)
TERMS_OF_PAYMENT = _code_table(
    "ADK_DB_CODE_OF_TERMS_OF_PAYMENT",
    "code_of_terms_of_payment",
    "ADK_CODE_OF_TERMS_OF_PAYMENT",
    "ADK_CODE_OF_TERMS_OF_PAYMENT_PAYMENT_CODE:C:6",
)
TERMS_OF_DELIVERY = _code_table(
    "ADK_DB_CODE_OF_TERMS_OF_DELIVERY", "code_of_terms_of_delivery", "ADK_CODE_OF_TERMS_OF_DELIVERY"
)
WAY_OF_DELIVERY = _code_table(
    "ADK_DB_CODE_OF_WAY_OF_DELIVERY", "code_of_way_of_delivery", "ADK_CODE_OF_WAY_OF_DELIVERY"
)
CURRENCY = Table(
    "ADK_DB_CODE_OF_CURRENCY",
    "code_of_currency",
    ("ADK_CODE_OF_CURRENCY_CODE",),
    _f(
        "ADK_CODE_OF_CURRENCY_CODE:C:4:key ADK_CODE_OF_CURRENCY_UNIT:D:0 ADK_CODE_OF_CURRENCY_SELL:D:4 "
        "ADK_CODE_OF_CURRENCY_BUY:D:4 ADK_CODE_OF_CURRENCY_TIMESTAMP:S"
    ),
)
UNIT = Table(
    "ADK_DB_CODE_OF_UNIT",
    "code_of_unit",
    ("ADK_CODE_OF_UNIT_CODE",),
    _f(
        "ADK_CODE_OF_UNIT_CODE:C:4:key ADK_CODE_OF_UNIT_TEXT:C:20 ADK_CODE_OF_UNIT_DECIMALS:D:0 "
        "ADK_CODE_OF_UNIT_TIMESTAMP:S"
    ),
)
ARTICLE_GROUP = _code_table(
    "ADK_DB_CODE_OF_ARTICLE_GROUP", "code_of_article_group", "ADK_CODE_OF_ARTICLE_GROUP"
)
ARTICLE_ACCOUNT = _code_table(
    "ADK_DB_CODE_OF_ARTICLE_ACCOUNT",
    "code_of_article_account",
    "ADK_CODE_OF_ARTICLE_ACCOUNT",
    "ADK_CODE_OF_ARTICLE_ACCOUNT_SALES:C:6 ADK_CODE_OF_ARTICLE_ACCOUNT_VAT:C:2",
)
PRICE_LIST = Table(
    "ADK_DB_CODE_OF_PRICE_LIST",
    "code_of_price_list",
    ("ADK_CODE_OF_PRICE_LIST_CODE",),
    _f(
        "ADK_CODE_OF_PRICE_LIST_CODE:C:6:key ADK_CODE_OF_PRICE_LIST_TEXT:C:30 "
        "ADK_CODE_OF_PRICE_LIST_CURRENCY_CODE:C:4 ADK_CODE_OF_PRICE_LIST_INCLUDING_VAT:B "
        "ADK_CODE_OF_PRICE_LIST_CHANGE_DATE:T ADK_CODE_OF_PRICE_LIST_TIMESTAMP:S "
        "ADK_CODE_OF_PRICE_LIST_INTERVAL1:D:2 ADK_CODE_OF_PRICE_LIST_INTERVAL2:D:2 "
        "ADK_CODE_OF_PRICE_LIST_INTERVAL3:D:2 ADK_CODE_OF_PRICE_LIST_INTERVAL4:D:2 "
        "ADK_CODE_OF_PRICE_LIST_ROUND_OFF1:D:2 ADK_CODE_OF_PRICE_LIST_ROUND_OFF2:D:2 "
        "ADK_CODE_OF_PRICE_LIST_ROUND_OFF3:D:2 ADK_CODE_OF_PRICE_LIST_ROUND_OFF4:D:2"
    ),
)
DISCOUNT_AGREEMENT = _code_table(
    "ADK_DB_DISCOUNT_AGREEMENT",
    "discount_agreement",
    "ADK_DISCOUNT_AGREEMENT",
    "ADK_DISCOUNT_AGREEMENT_PRICE_LIST:C:6:key ADK_DISCOUNT_AGREEMENT_INVOICE_DISCOUNT:D:2 "
    "ADK_DISCOUNT_AGREEMENT_ROW_DISCOUNT:D:2",
)
CUSTOMER = Table(
    "ADK_DB_CUSTOMER",
    "customer",
    ("ADK_CUSTOMER_NUMBER",),
    _f(
        "ADK_CUSTOMER_NUMBER:C:16:key ADK_CUSTOMER_NAME:C:50 ADK_CUSTOMER_SHORT_NAME:C:10 "
        "ADK_CUSTOMER_MAILING_ADDRESS:C:35 ADK_CUSTOMER_MAILING_ADDRESS2:C:35 ADK_CUSTOMER_ZIPCODE:C:10 "
        "ADK_CUSTOMER_CITY:C:24 ADK_CUSTOMER_COUNTRY:C:24 ADK_CUSTOMER_CODE_OF_COUNTRY:C:2 "
        "ADK_CUSTOMER_DELIVERY_NAME:C:50 ADK_CUSTOMER_DELIVERY_ADDRESS:C:35 "
        "ADK_CUSTOMER_DELIVERY_ADDRESS2:C:35 ADK_CUSTOMER_DELIVERY_ZIPCODE:C:10 "
        "ADK_CUSTOMER_DELIVERY_CITY:C:24 ADK_CUSTOMER_DELIVERY_CODE_OF_COUNTRY:C:2 "
        "ADK_CUSTOMER_TELEPHONE:C:20 ADK_CUSTOMER_MOBILE_PHONE:C:20 ADK_CUSTOMER_EMAIL:C:80:key "
        "ADK_CUSTOMER_REFERENCE:C:50 ADK_CUSTOMER_ORGANISATION_NUMBER:C:15:key "
        "ADK_CUSTOMER_IGNORE_ORGANISATION_NUMBER_CHECK:B ADK_CUSTOMER_VAT_NUMBER:C:20:key "
        "ADK_CUSTOMER_CODE_OF_TERMS_OF_PAYMENT:C:6:key ADK_CUSTOMER_CODE_OF_TERMS_OF_DELIVERY:C:6:key "
        "ADK_CUSTOMER_CODE_OF_WAY_OF_DELIVERY:C:6:key ADK_CUSTOMER_CODE_OF_CURRENCY:C:4:key "
        "ADK_CUSTOMER_PRICE_LIST:C:6:key ADK_CUSTOMER_INVOICE_DISCOUNT:D:2 ADK_CUSTOMER_ROW_DISCOUNT:D:2 "
        "ADK_CUSTOMER_EXPORT:B ADK_CUSTOMER_EU_CUSTOMER:B ADK_CUSTOMER_CREDIT_LIMIT:D:2 "
        "ADK_CUSTOMER_INACTIVE:B ADK_CUSTOMER_TIMESTAMP:S ADK_CUSTOMER_CARGO_FEE:B "
        "ADK_CUSTOMER_DISPATCH_FEE:B ADK_CUSTOMER_DISCOUNT_AGREEMENT:C:6:key"
    ),
)
DELIVERY_ADDRESS = Table(
    "ADK_DB_DELIVERY_ADDRESS",
    "delivery_address",
    ("ADK_DELIVERY_CUSTOMER_NUMBER", "ADK_DELIVERY_ID"),
    _f(
        "ADK_DELIVERY_CUSTOMER_NUMBER:C:16:key ADK_DELIVERY_ID:D:0 ADK_DELIVERY_NAME:C:50 "
        "ADK_DELIVERY_ADDRESS:C:35 ADK_DELIVERY_ADDRESS2:C:35 ADK_DELIVERY_ZIPCODE:C:10 "
        "ADK_DELIVERY_CITY:C:24 ADK_DELIVERY_CODE_OF_COUNTRY:C:2 ADK_DELIVERY_TIMESTAMP:S"
    ),
)
ARTICLE = Table(
    "ADK_DB_ARTICLE",
    "article",
    ("ADK_ARTICLE_NUMBER",),
    _f(
        "ADK_ARTICLE_NUMBER:C:16:key ADK_ARTICLE_NAME:C:30 ADK_ARTICLE_NAME_X:C:30 "
        "ADK_ARTICLE_GROUP:C:6:key ADK_ARTICLE_ACCOUNTING_CODE:C:6:key ADK_ARTICLE_UNIT_CODE:C:4:key "
        "ADK_ARTICLE_STOCK_GOODS:B ADK_ARTICLE_QUANTITY_IN_STOCK:D:2 ADK_ARTICLE_QUANTITY_RESERVED:D:2 "
        "ADK_ARTICLE_ORDERED_QUANTITY:D:2 ADK_ARTICLE_DISPOSABLE_IN_STOCK:D:2 ADK_ARTICLE_ORDER_POINT:D:2 "
        "ADK_ARTICLE_PLACE_IN_STOCK:C:10 ADK_ARTICLE_WEIGHT:D:3 ADK_ARTICLE_BAR_CODE:C:20:key "
        "ADK_ARTICLE_ESTIMATED_PURCHASE_PRICE:D:2 ADK_ARTICLE_WEBSHOP:B ADK_ARTICLE_INACTIVE:B "
        "ADK_ARTICLE_TIMESTAMP:S ADK_ARTICLE_BAR_CODE_TYPE:D:0 ADK_ARTICLE_PARCEL:B"
    ),
)
PRICE = Table(
    "ADK_DB_PRICE",
    "price",
    ("ADK_PRICE_PRICE_LIST", "ADK_PRICE_ARTICLE_NUMBER", "ADK_PRICE_QUANTITY"),
    _f(
        "ADK_PRICE_PRICE_LIST:C:6:key ADK_PRICE_ARTICLE_NUMBER:C:16:key ADK_PRICE_QUANTITY:D:2 "
        "ADK_PRICE_PRICE:D:2 ADK_PRICE_BASE:B ADK_PRICE_PER_CENT:D:2 ADK_PRICE_DATE_OF_CHANGE:T "
        "ADK_PRICE_TIMESTAMP:S"
    ),
)
_HEAD = (
    "ADK_OOI_HEAD_DOCUMENT_NUMBER:D:0 ADK_OOI_HEAD_DOCUMENT_CONNECTION_NUMBER1:D:0 "
    "ADK_OOI_HEAD_DOCUMENT_CONNECTION_NUMBER2:D:0 ADK_OOI_HEAD_DOCUMENT_CONNECTION_NUMBER3:D:0 "
    "ADK_OOI_HEAD_DOCUMENT_CONNECTION_NUMBER4:D:0 ADK_OOI_HEAD_DOCUMENT_NOT_DONE:B "
    "ADK_OOI_HEAD_DOCUMENT_PRINTED:B ADK_OOI_HEAD_DOCUMENT_CANCELLED:B ADK_OOI_HEAD_DOCUMENT_DATE1:T "
    "ADK_OOI_HEAD_DOCUMENT_DATE2:T ADK_OOI_HEAD_ORDER_DELIVERED:B ADK_OOI_HEAD_ORDER_PICK_PRINTED:B "
    "ADK_OOI_HEAD_ORDER_DELIVERY_NOTE_PRINTED:B ADK_OOI_HEAD_TYPE_OF_INVOICE:C:1:key "
    "ADK_OOI_HEAD_CUSTOMER_NUMBER:C:16:key ADK_OOI_HEAD_CUSTOMER_NAME:C:50 "
    "ADK_OOI_HEAD_MAILING_ADDRESS1:C:35 ADK_OOI_HEAD_MAILING_ADDRESS2:C:35 ADK_OOI_HEAD_ZIPCODE:C:10 "
    "ADK_OOI_HEAD_CITY:C:24 ADK_OOI_HEAD_COUNTRY:C:24 ADK_OOI_HEAD_CODE_OF_COUNTRY:C:2 "
    "ADK_OOI_HEAD_DELIVERY_NAME:C:50 ADK_OOI_HEAD_DELIVERY_MAILING_ADDRESS1:C:35 "
    "ADK_OOI_HEAD_DELIVERY_MAILING_ADDRESS2:C:35 ADK_OOI_HEAD_DELIVERY_ZIPCODE:C:10 "
    "ADK_OOI_HEAD_DELIVERY_CITY:C:24 ADK_OOI_HEAD_DELIVERY_CODE_OF_COUNTRY:C:2 "
    "ADK_OOI_HEAD_CUSTOMER_REFERENCE_NAME:C:50 ADK_OOI_HEAD_CUSTOMER_ORDER_NUMBER:C:20:key "
    "ADK_OOI_HEAD_OUR_REFERENCE_NAME:C:50 ADK_OOI_HEAD_CURRENCY_CODE:C:4:key "
    "ADK_OOI_HEAD_CURRENCY_RATE:D:4 ADK_OOI_HEAD_INCLUDING_VAT:B ADK_OOI_HEAD_DO_NOT_CREATE_BACKORDER:B "
    "ADK_OOI_HEAD_LIST_OF_PRICE_CODE:C:6:key ADK_OOI_HEAD_CODE_OF_TERMS_OF_PAYMENT:C:6:key "
    "ADK_OOI_HEAD_CODE_OF_TERMS_OF_DELIVERY:C:6:key ADK_OOI_HEAD_CODE_OF_WAY_OF_DELIVERY:C:6:key "
    "ADK_OOI_HEAD_TEXT1:C:60 ADK_OOI_HEAD_TEXT2:C:60 ADK_OOI_HEAD_TEXT3:C:60 "
    "ADK_OOI_HEAD_LOCAL_REMARK:C:120 ADK_OOI_HEAD_CARGO_AMOUNT:D:2 ADK_OOI_HEAD_CARGO_VAT_CODE:C:2:key "
    "ADK_OOI_HEAD_DISPATCH_FEE:D:2 ADK_OOI_HEAD_VAT_CODE_DISPATCH_FEE:C:2:key ADK_OOI_HEAD_ROUND_OFF:D:2 "
    "ADK_OOI_HEAD_BASIS_OF_VAT0:D:2 ADK_OOI_HEAD_BASIS_OF_VAT1:D:2 ADK_OOI_HEAD_BASIS_OF_VAT2:D:2 "
    "ADK_OOI_HEAD_BASIS_OF_VAT3:D:2 ADK_OOI_HEAD_BASIS_OF_VAT4:D:2 ADK_OOI_HEAD_AMOUNT_OF_VAT1:D:2 "
    "ADK_OOI_HEAD_AMOUNT_OF_VAT2:D:2 ADK_OOI_HEAD_AMOUNT_OF_VAT3:D:2 ADK_OOI_HEAD_AMOUNT_OF_VAT4:D:2 "
    "ADK_OOI_HEAD_EXCLUDING_OF_VAT:D:2 ADK_OOI_HEAD_VAT_AMOUNT:D:2 ADK_OOI_HEAD_TOTAL_AMOUNT:D:2 "
    "ADK_OOI_HEAD_BALANCE:D:2 ADK_OOI_HEAD_LAST_PAYMENT:T ADK_OOI_HEAD_NUMBER_OF_ORIGINAL_INVOICE:D:0 "
    "ADK_OOI_HEAD_STOCK_SHIP_VER_DATE:T ADK_OOI_HEAD_NROWS:D:0 ADK_OOI_HEAD_TIMESTAMP:S"
)
_ROW = (
    "ADK_OOI_ROW_ROWNUMBER:D:0 ADK_OOI_ROW_TYPE_OF_ROW:C:2:key ADK_OOI_ROW_ARTICLE_NUMBER:C:16:key "
    "ADK_OOI_ROW_TEXT:C:60 ADK_OOI_ROW_QUANTITY1:D:2 ADK_OOI_ROW_QUANTITY2:D:2 ADK_OOI_ROW_QUANTITY3:D:2 "
    "ADK_OOI_ROW_UNIT:C:4:key ADK_OOI_ROW_PRICE_EACH_CURRENT_CURRENCY:D:2 ADK_OOI_ROW_DISCOUNT:D:2 "
    "ADK_OOI_ROW_AMOUNT_DISCOUNT_FLAG:B ADK_OOI_ROW_AMOUNT_CURRENT_CURRENCY:D:2 "
    "ADK_OOI_ROW_AMOUNT_DOMESTIC_CURRENCY:D:2 ADK_OOI_ROW_VAT_CODE:C:2:key "
    "ADK_OOI_ROW_ACCOUNT_NUMBER:C:6:key ADK_OOI_ROW_FROM_TYPE:D:0 ADK_OOI_ROW_FROM_DOCUMENT:D:0 "
    "ADK_OOI_ROW_FROM_DOCROW:C:6 ADK_OOI_ROW_TIMESTAMP:S"
)
_HEAD_KEY = ("ADK_OOI_HEAD_DOCUMENT_NUMBER",)
ORDER_HEAD = Table("ADK_DB_ORDER_HEAD", "ooi_head", _HEAD_KEY, _f(_HEAD), kind="ORDER")
ORDER_ROW = Table("ADK_DB_ORDER_ROW", "ooi_row", ("ADK_OOI_ROW_ROWNUMBER",), _f(_ROW), kind="ORDER")
INVOICE_HEAD = Table("ADK_DB_INVOICE_HEAD", "ooi_head", _HEAD_KEY, _f(_HEAD), kind="INVOICE")
INVOICE_ROW = Table("ADK_DB_INVOICE_ROW", "ooi_row", ("ADK_OOI_ROW_ROWNUMBER",), _f(_ROW), kind="INVOICE")
CUSTOMERPAYMENT = Table(
    "ADK_DB_CUSTOMERPAYMENT",
    "customerpayment",
    ("ADK_CUSTOMERPAYMENT_NR", "ADK_CUSTOMERPAYMENT_ROW_NUMBER"),
    _f(
        "ADK_CUSTOMERPAYMENT_NR:D:0 ADK_CUSTOMERPAYMENT_ROW_NUMBER:D:0 "
        "ADK_CUSTOMERPAYMENT_INVOICE_NUMBER:D:0 ADK_CUSTOMERPAYMENT_DATE:T ADK_CUSTOMERPAYMENT_AMOUNT_KR:D:2 "
        "ADK_CUSTOMERPAYMENT_PAYMENT_CODE:C:6 ADK_CUSTOMERPAYMENT_STATUS_C:C:2 "
        "ADK_CUSTOMERPAYMENT_CANCELLED:B ADK_CUSTOMERPAYMENT_TIMESTAMP:S"
    ),
)


def _manual(db: str, sql: str, prefix: str) -> Table:
    spec = (
        f"{prefix}_DOCUMENT_NUMBER:D:0 {prefix}_DATE:T {prefix}_ARTICLE_NUMBER:C:16:key "
        f"{prefix}_QUANTITY:D:2 {prefix}_CANCELLED:B {prefix}_TIMESTAMP:S"
    )
    return Table(db, sql, (f"{prefix}_DOCUMENT_NUMBER",), _f(spec))


MANUAL_IN = _manual("ADK_DB_MANUAL_DELIVERY_IN", "manual_delivery_in", "ADK_MANUAL_DELIVERY_IN")
MANUAL_OUT = _manual("ADK_DB_MANUAL_DELIVERY_OUT", "manual_delivery_out", "ADK_MANUAL_DELIVERY_OUT")

TABLES: dict[str, Table] = {
    t.db: t
    for t in (
        PRM,
        PRM2,
        TERMS_OF_PAYMENT,
        TERMS_OF_DELIVERY,
        WAY_OF_DELIVERY,
        CURRENCY,
        UNIT,
        ARTICLE_GROUP,
        ARTICLE_ACCOUNT,
        PRICE_LIST,
        DISCOUNT_AGREEMENT,
        CUSTOMER,
        DELIVERY_ADDRESS,
        ARTICLE,
        PRICE,
        ORDER_HEAD,
        ORDER_ROW,
        INVOICE_HEAD,
        INVOICE_ROW,
        CUSTOMERPAYMENT,
        MANUAL_IN,
        MANUAL_OUT,
    )
}
HEAD_TABLES = {"order": ORDER_HEAD, "invoice": INVOICE_HEAD}
ROW_TABLES = {"ADK_DB_ORDER_HEAD": ORDER_ROW, "ADK_DB_INVOICE_HEAD": INVOICE_ROW}


def override_lengths(overrides: dict[str, int]) -> None:
    """Apply field lengths from the agent config (e.g. harvested on the real installation)."""
    for table in TABLES.values():
        for name, length in overrides.items():
            if name in table.fields:
                old = table.fields[name]
                table.fields[name] = Field(old.name, old.type, int(length), old.decimals, old.trim)
