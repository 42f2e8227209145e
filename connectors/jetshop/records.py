"""Typed records going into and coming out of the Jetshop client.

Money is ``Decimal``; VAT is a fraction (``Decimal("0.25")``); timestamps are aware datetimes in
Europe/Stockholm. ``None`` on an input record means "leave unchanged" (the element is omitted),
which is how Jetshop treats missing elements in ``Product_AddUpdate``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class StockInput:
    """``ProductData/StockData``. ``delivery_date=None`` omits the element: Jetshop faults on nil."""

    article_number: str
    stock_count: int | None = None
    stock_status_id: int | None = None
    use_advanced_status: bool | None = None
    stock_status_when_out_of_stock: int | None = None
    delivery_date: datetime | None = None


@dataclass(frozen=True, slots=True)
class ProductInput:
    """One ``ProductData`` row: one article in one culture (Jetshop wants a row per culture)."""

    article_number: str
    culture: str
    template_id: int = 1
    name: str | None = None
    sub_name: str | None = None
    short_description: str | None = None
    description: str | None = None
    price: Decimal | None = None
    vat: Decimal | None = None
    ean_code: str | None = None
    hide_product: bool | None = None
    stock: StockInput | None = None
    # Variant layout on the wire is unverified; these two elements are the simulator's guess.
    parent_article_number: str | None = None
    attribute_value: str | None = None
    weight: Decimal | None = None  # ProductData/Weight, as Product_Get shows it (kg is [inferred])


@dataclass(frozen=True, slots=True)
class ProductResult:
    """``ProductResult``: per-row outcome of ``Product_AddUpdate``."""

    article_number: str
    product_id: int | None
    culture: str
    status: str  # SuccessNew, SuccessUpdate, or another (unverified) failure value
    stock_result: str
    attribute_result: str

    @property
    def ok(self) -> bool:
        return self.status in ("SuccessNew", "SuccessUpdate")


@dataclass(frozen=True, slots=True)
class StockInfo:
    stock_count: int | None
    stock_status_id: int | None
    stock_status_name: str
    use_advanced_status: bool | None
    stock_status_when_out_of_stock: int | None
    delivery_date: datetime | None


@dataclass(frozen=True, slots=True)
class Product:
    """``Product_Get`` result for one article and culture."""

    article_number: str
    culture: str
    product_id: int
    name: str
    sub_name: str
    short_description: str
    description: str
    price: Decimal
    discounted_price: Decimal | None  # -1 on the wire
    vat: Decimal
    hide_product: bool
    price_list_id: str | None
    template_id: int | None
    ean_code: str
    stock: StockInfo | None
    modified: datetime | None
    has_attributes: bool = False
    parent_article_number: str | None = None
    attribute_value: str | None = None
    variant_article_numbers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PriceListPrice:
    """``ArticlePriceListIncVat``: one article's price in one price list, incl. VAT."""

    article_number: str
    price_list_id: str
    price_inc_vat: Decimal
    discounted_price_inc_vat: Decimal | None = None  # None is sent as -1 ("no discounted price")
    hide_product: bool | None = None
    discounted_price_is_member_price: bool | None = None
    discount_start: datetime | None = None
    discount_end: datetime | None = None

    @property
    def use_discount_date_span(self) -> bool:
        return self.discount_start is not None and self.discount_end is not None


@dataclass(frozen=True, slots=True)
class PriceListResult:
    article_number: str
    price_list_id: str
    success: bool
    message: str


@dataclass(frozen=True, slots=True)
class DeleteResult:
    article_number: str
    result: str  # Success or NotFound
    message: str

    @property
    def deleted(self) -> bool:
        return self.result == "Success"


@dataclass(frozen=True, slots=True)
class DynamicFieldInput:
    """``DynamicFieldOnProductInput``: one custom attribute (``Key``) of one article, per culture.

    ``values`` holds ``(culture, text)`` pairs (a tuple, so the record stays hashable); the key
    must already be connected to the product in the shop, otherwise the row fails with
    ``Success=false`` (verified).
    """

    article_number: str
    key: str
    values: tuple[tuple[str, str], ...] = ()  # sent in this order
    clear_existing_list_data: bool = False


@dataclass(frozen=True, slots=True)
class DynamicFieldResult:
    """``DynamicFieldItemResult``: per-row outcome of a dynamic-field save."""

    article_number: str
    key: str
    product_id: int | None
    success: bool
    message: str


@dataclass(frozen=True, slots=True)
class Address:
    company: str = ""
    first_name: str = ""
    last_name: str = ""
    address: str = ""
    co: str = ""
    zip_code: str = ""
    city: str = ""
    country_code: str = ""
    phone: str = ""


@dataclass(frozen=True, slots=True)
class OrderRow:
    article_number: str
    name: str
    quantity: Decimal
    unit_price_inc_vat: Decimal
    vat: Decimal  # fraction
    discount_inc_vat: Decimal = Decimal(0)  # whole-row discount amount, incl. VAT
    product_id: int | None = None


@dataclass(frozen=True, slots=True)
class Order:
    """The placeholder ``OrderData`` model: field names are inferred, see jetshop-commerce.md §2.2."""

    order_id: int
    order_number: str
    order_date: datetime | None
    status_id: int
    channel_id: int | None
    currency_code: str
    culture: str
    customer_id: int | None
    email: str
    bill_to: Address
    ship_to: Address
    payment_method: str
    delivery_method: str
    freight_inc_vat: Decimal
    freight_vat: Decimal
    total_inc_vat: Decimal
    total_vat: Decimal
    rows: tuple[OrderRow, ...] = ()
    modified: datetime | None = None
    # Also placeholders [inferred]: an order-level discount (a voucher) incl. VAT, spread over the
    # rows' VAT rates by whoever books it; a fee (invoice or handling fee) with its VAT; and the
    # buyer's organisation number on company orders.
    discount_inc_vat: Decimal = Decimal(0)
    fee_inc_vat: Decimal = Decimal(0)
    fee_vat: Decimal = Decimal("0.25")
    org_number: str = ""
    # Every other plain element of ``OrderData``, by its element name: what a shop's real WSDL
    # carries beyond the placeholders (an order comment, a free field) is not known [unverified],
    # so it is kept as it comes for rules to read ("dynamic field <name>"), never interpreted.
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class OrderStatusResult:
    order_id: int
    status_id: int
    success: bool
    message: str


@dataclass(frozen=True, slots=True)
class OrderStatus:
    status_id: int
    name: str


@dataclass(frozen=True, slots=True)
class Channel:
    channel_id: int
    name: str
    domain: str
    currency_code: str
    cultures: tuple[str, ...] = field(default_factory=tuple)
    price_list_id: str | None = None
