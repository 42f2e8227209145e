"""Response parsing: SOAP envelope → fault or result element → typed records."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from lxml import etree

from connectors.jetshop.records import (
    Address,
    Channel,
    DeleteResult,
    DynamicFieldResult,
    Order,
    OrderRow,
    OrderStatus,
    OrderStatusResult,
    PriceListResult,
    Product,
    ProductResult,
    StockInfo,
)
from connectors.jetshop.wire import (
    NO_DISCOUNT,
    SERVICE_NS,
    SOAP12_NS,
    parse_bool,
    parse_datetime,
    parse_decimal,
)

_PREFIX = "{" + SERVICE_NS + "}"
_CUT = len(_PREFIX)
_BODY = "{" + SOAP12_NS + "}Body"
_FAULT = "{" + SOAP12_NS + "}Fault"
_XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
# Never resolve entities or fetch DTDs from a response body.
Row = TypeVar("Row")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_blank_text=True)


class MalformedResponse(ValueError):
    """The body is not a SOAP 1.2 envelope we understand."""


@dataclass(frozen=True, slots=True)
class SoapFault:
    code: str  # e.g. "soap:Sender" as sent, prefix included
    reason: str

    @property
    def is_sender(self) -> bool:
        return self.code.rpartition(":")[2] == "Sender"


def parse_envelope(body: bytes) -> etree._Element | SoapFault:
    """The first element inside ``soap:Body`` (the ``{Op}Response``), or the fault."""
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise MalformedResponse(f"not XML: {exc}") from exc
    soap_body = root.find(_BODY)
    if soap_body is None or len(soap_body) == 0:
        raise MalformedResponse("no SOAP 1.2 Body in response")
    first = soap_body[0]
    if first.tag == _FAULT:
        code = first.findtext(f"{{{SOAP12_NS}}}Code/{{{SOAP12_NS}}}Value") or ""
        reason = first.findtext(f"{{{SOAP12_NS}}}Reason/{{{SOAP12_NS}}}Text") or ""
        return SoapFault(code=code.strip(), reason=reason)
    return first


def result_element(response: etree._Element, operation: str) -> etree._Element:
    result = response.find(_PREFIX + operation + "Result")
    if result is None:
        raise MalformedResponse(f"no {operation}Result in response")
    return result


def fields(el: etree._Element) -> dict[str, str | None]:
    """Child local name → text; nil and empty elements both give ``None``."""
    out: dict[str, str | None] = {}
    for c in el:
        if not isinstance(c.tag, str):
            continue
        out[c.tag[_CUT:]] = None if c.get(_XSI_NIL) == "true" else (c.text or None)
    return out


def _each(result: etree._Element, row: Callable[[dict[str, str | None]], Row]) -> list[Row]:
    """One record per child element of a result (the per-row answers of a batch call)."""
    return [row(fields(el)) for el in result]


def _int(text: str | None) -> int | None:
    return None if text in (None, "") else int(text)


def _dec(text: str | None, default: str = "0") -> Decimal:
    value = parse_decimal(text)
    return Decimal(default) if value is None else value


def _product_result(f: dict[str, str | None]) -> ProductResult:
    return ProductResult(
        article_number=f.get("ArticleNumber") or "",
        product_id=_int(f.get("ProductId")),
        culture=f.get("Culture") or "",
        status=f.get("StatusMainProductCreateDelete") or "",
        stock_result=f.get("ResultStockCreateUpdate") or "",
        attribute_result=f.get("ResultAttributeCreateUpdate") or "",
    )


def product_results(result: etree._Element) -> list[ProductResult]:
    return _each(result, _product_result)


def _stock(el: etree._Element | None) -> StockInfo | None:
    if el is None:
        return None
    f = fields(el)
    return StockInfo(
        stock_count=_int(f.get("NewStockCount")),
        stock_status_id=_int(f.get("StockStatusId")),
        stock_status_name=f.get("StockStatusName") or "",
        use_advanced_status=parse_bool(f.get("UseAdvancedStatus")),
        stock_status_when_out_of_stock=_int(f.get("StockStatusWhenOutOfStock")),
        delivery_date=parse_datetime(f.get("DeliveryDate")),
    )


def product(result: etree._Element) -> Product | None:
    """``Product_GetResult``: empty for an unknown article (HTTP 200, not a fault)."""
    data = result.find(_PREFIX + "ProductData")
    return None if data is None else product_data(data)


def products(result: etree._Element) -> list[Product]:
    """A result holding one ``ProductData`` per product (the product enumeration)."""
    return [product_data(el) for el in result if el.tag == _PREFIX + "ProductData"]


def product_data(data: etree._Element) -> Product:
    """One ``ProductData`` element, as ``Product_Get`` renders it."""
    f = fields(data)
    discounted = parse_decimal(f.get("DiscountedPrice"))
    variants = data.find(_PREFIX + "VariantArticleNumbers")
    return Product(
        article_number=f.get("ArticleNumber") or "",
        culture=f.get("Culture") or "",
        product_id=int(f.get("ProductId") or 0),
        name=f.get("Name") or "",
        sub_name=f.get("SubName") or "",
        short_description=f.get("ShortDescription") or "",
        description=f.get("ProductDescription") or "",
        price=_dec(f.get("Price")),
        discounted_price=None if discounted is None or discounted == NO_DISCOUNT else discounted,
        vat=_dec(f.get("Vat")),
        hide_product=bool(parse_bool(f.get("HideProduct"))),
        # Jetshop echoes GUIDs upper-case while requests use lower case: normalise for comparison.
        price_list_id=(f.get("PriceListIdOrName") or "").lower() or None,
        template_id=_int(f.get("TemplateId")),
        ean_code=f.get("EanCode") or "",
        stock=_stock(data.find(_PREFIX + "StockData")),
        modified=parse_datetime(f.get("ModifiedDate")),
        has_attributes=bool(parse_bool(f.get("HasAttributes"))),
        parent_article_number=f.get("ParentArticleNumber"),
        attribute_value=f.get("AttValue"),
        variant_article_numbers=tuple(v.text or "" for v in variants) if variants is not None else (),
    )


def _price_list_result(f: dict[str, str | None]) -> PriceListResult:
    return PriceListResult(
        article_number=f.get("ArticleNumber") or "",
        price_list_id=(f.get("PriceListId") or "").lower(),
        success=bool(parse_bool(f.get("Success"))),
        message=f.get("Message") or "",
    )


def price_list_results(result: etree._Element) -> list[PriceListResult]:
    return _each(result, _price_list_result)


def delete_result(result: etree._Element) -> DeleteResult:
    f = fields(result)
    return DeleteResult(
        article_number=f.get("Identifier") or "", result=f.get("Result") or "", message=f.get("Message") or ""
    )


def _dynamic_field_result(f: dict[str, str | None]) -> DynamicFieldResult:
    return DynamicFieldResult(
        article_number=f.get("ArticleNumber") or "",
        key=f.get("Key") or "",
        product_id=_int(f.get("ProductId")) or None,  # 0 when the article is unknown
        success=bool(parse_bool(f.get("Success"))),
        message=f.get("Message") or "",
    )


def dynamic_field_results(result: etree._Element) -> list[DynamicFieldResult]:
    return _each(result, _dynamic_field_result)


_ADDRESS_NAMES = (
    "Company",
    "FirstName",
    "LastName",
    "Address",
    "Co",
    "ZipCode",
    "City",
    "CountryCode",
    "Phone",
)


def _address(f: dict[str, str | None], side: str) -> Address:
    def g(name: str) -> str:
        return f.get(side + name) or ""

    return Address(
        company=g("Company"),
        first_name=g("FirstName"),
        last_name=g("LastName"),
        address=g("Address"),
        co=g("Co"),
        zip_code=g("ZipCode"),
        city=g("City"),
        country_code=g("CountryCode"),
        phone=g("Phone"),
    )


# The OrderData elements the placeholder model reads (jetshop-commerce.md §2.2); others are extra.
_ORDER_FIELDS = frozenset(
    "OrderId OrderNumber OrderDate OrderStatusId ChannelId CurrencyCode Culture CustomerId Email "
    "PaymentMethod DeliveryMethod FreightPriceIncVat FreightVat TotalIncVat TotalVat ModifiedDate "
    "OrderDiscountIncVat FeeIncVat FeeVat OrgNumber OrderRows".split()
    + [side + name for side in ("BillTo", "ShipTo") for name in _ADDRESS_NAMES]
)


def _extra(data: etree._Element) -> dict[str, str]:
    """The plain elements of an order the model does not read, by name (nil and empty give "")."""
    out = {}
    for c in data:
        if isinstance(c.tag, str) and len(c) == 0 and (name := c.tag[_CUT:]) not in _ORDER_FIELDS:
            out[name] = "" if c.get(_XSI_NIL) == "true" else (c.text or "")
    return out


def order(data: etree._Element) -> Order:
    f = fields(data)
    rows = []
    rows_el = data.find(_PREFIX + "OrderRows")
    for row_el in rows_el if rows_el is not None else ():
        r = fields(row_el)
        rows.append(
            OrderRow(
                article_number=r.get("ArticleNumber") or "",
                name=r.get("Name") or "",
                quantity=_dec(r.get("Quantity")),
                unit_price_inc_vat=_dec(r.get("UnitPriceIncVat")),
                vat=_dec(r.get("Vat")),
                discount_inc_vat=_dec(r.get("Discount")),
                product_id=_int(r.get("ProductId")),
            )
        )
    return Order(
        order_id=int(f.get("OrderId") or 0),
        order_number=f.get("OrderNumber") or "",
        order_date=parse_datetime(f.get("OrderDate")),
        status_id=int(f.get("OrderStatusId") or 0),
        channel_id=_int(f.get("ChannelId")),
        currency_code=f.get("CurrencyCode") or "",
        culture=f.get("Culture") or "",
        customer_id=_int(f.get("CustomerId")),
        email=f.get("Email") or "",
        bill_to=_address(f, "BillTo"),
        ship_to=_address(f, "ShipTo"),
        payment_method=f.get("PaymentMethod") or "",
        delivery_method=f.get("DeliveryMethod") or "",
        freight_inc_vat=_dec(f.get("FreightPriceIncVat")),
        freight_vat=_dec(f.get("FreightVat")),
        total_inc_vat=_dec(f.get("TotalIncVat")),
        total_vat=_dec(f.get("TotalVat")),
        rows=tuple(rows),
        modified=parse_datetime(f.get("ModifiedDate")),
        discount_inc_vat=_dec(f.get("OrderDiscountIncVat")),
        fee_inc_vat=_dec(f.get("FeeIncVat")),
        fee_vat=_dec(f.get("FeeVat")) if f.get("FeeVat") else Decimal("0.25"),
        org_number=f.get("OrgNumber") or "",
        extra=_extra(data),
    )


def orders(result: etree._Element) -> list[Order]:
    return [order(el) for el in result if el.tag == _PREFIX + "OrderData"]


def order_status_result(result: etree._Element) -> OrderStatusResult:
    f = fields(result)
    return OrderStatusResult(
        order_id=int(f.get("OrderId") or 0),
        status_id=int(f.get("OrderStatusId") or 0),
        success=bool(parse_bool(f.get("Success"))),
        message=f.get("Message") or "",
    )


def order_statuses(result: etree._Element) -> list[OrderStatus]:
    return _each(
        result, lambda f: OrderStatus(status_id=int(f.get("OrderStatusId") or 0), name=f.get("Name") or "")
    )


def channels(result: etree._Element) -> list[Channel]:
    out = []
    for el in result:
        f = fields(el)
        cultures_el = el.find(_PREFIX + "Cultures")
        out.append(
            Channel(
                channel_id=int(f.get("ChannelId") or 0),
                name=f.get("Name") or "",
                domain=f.get("Domain") or "",
                currency_code=f.get("CurrencyCode") or "",
                cultures=tuple(c.text or "" for c in cultures_el) if cultures_el is not None else (),
                price_list_id=(f.get("PriceListId") or "").lower() or None,
            )
        )
    return out
