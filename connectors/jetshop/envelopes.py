"""Request envelopes, built explicitly with lxml in the shape the recorded traffic shows.

The operation element carries the default namespace ``WebServiceProvider`` and every child
inherits it (no prefixes); ``ShopId`` sits in the SOAP header without a namespace. Elements for
``None`` values are omitted rather than sent empty or nil: Jetshop faults on an empty
``DeliveryDate`` and treats a missing element as "leave unchanged".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from xml.sax.saxutils import escape

from lxml import etree

from connectors.jetshop.records import DynamicFieldInput, PriceListPrice, ProductInput, StockInput
from connectors.jetshop.wire import (
    NO_DISCOUNT,
    SERVICE_NS,
    SOAP12_NS,
    XSD_NS,
    XSI_NS,
    format_bool,
    format_datetime,
    format_number,
)

_NSMAP = {None: SERVICE_NS}
_PREFIX = "{" + SERVICE_NS + "}"

Scalar = str | int | bool | Decimal | datetime | None


def _text(value: Scalar) -> str:
    if isinstance(value, bool):
        return format_bool(value)
    if isinstance(value, Decimal | int):
        return format_number(value)
    if isinstance(value, datetime):
        return format_datetime(value)
    return str(value)


def add(parent: etree._Element, name: str, value: Scalar) -> None:
    """Append ``<name>value</name>`` unless ``value`` is None."""
    if value is None:
        return
    etree.SubElement(parent, _PREFIX + name).text = _text(value)


def operation(name: str) -> etree._Element:
    return etree.Element(_PREFIX + name, nsmap=_NSMAP)


def child(parent: etree._Element, name: str) -> etree._Element:
    return etree.SubElement(parent, _PREFIX + name)


def envelope(op: etree._Element, shop_id: str) -> bytes:
    body = etree.tostring(op, encoding="unicode")
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<soap12:Envelope xmlns:xsi="{XSI_NS}" xmlns:xsd="{XSD_NS}" xmlns:soap12="{SOAP12_NS}">'
        f"<soap12:Header><ShopId>{escape(shop_id)}</ShopId></soap12:Header>"
        f"<soap12:Body>{body}</soap12:Body></soap12:Envelope>"
    ).encode()


def product_get(article_number: str, culture: str) -> etree._Element:
    op = operation("Product_Get")
    options = child(op, "productOptions")
    add(options, "ArticleNumber", article_number)
    add(options, "Culture", culture)
    return op


def _stock(parent: etree._Element, stock: StockInput) -> None:
    el = child(parent, "StockData")
    add(el, "ArticleNumber", stock.article_number)
    add(el, "NewStockCount", stock.stock_count)
    add(el, "StockStatusId", stock.stock_status_id)
    add(el, "UseAdvancedStatus", stock.use_advanced_status)
    add(el, "StockStatusWhenOutOfStock", stock.stock_status_when_out_of_stock)
    add(el, "DeliveryDate", stock.delivery_date)


def product_add_update(products: Iterable[ProductInput]) -> etree._Element:
    op = operation("Product_AddUpdate")
    rows = child(op, "products")
    for p in products:
        el = child(rows, "ProductData")
        add(el, "ArticleNumber", p.article_number)
        add(el, "Culture", p.culture)
        add(el, "TemplateId", p.template_id)
        add(el, "Name", p.name)
        add(el, "SubName", p.sub_name)
        add(el, "ShortDescription", p.short_description)
        add(el, "ProductDescription", p.description)
        add(el, "Price", p.price)
        add(el, "Vat", p.vat)
        add(el, "EanCode", p.ean_code)
        add(el, "Weight", p.weight)
        add(el, "HideProduct", p.hide_product)
        add(el, "ParentArticleNumber", p.parent_article_number)
        add(el, "AttValue", p.attribute_value)
        if p.stock is not None:
            _stock(el, p.stock)
    return op


def product_delete(article_number: str) -> etree._Element:
    op = operation("Product_Delete")
    add(child(op, "productDeleteRequest"), "ArticleNumber", article_number)
    return op


def price_list_update(prices: Iterable[PriceListPrice]) -> etree._Element:
    op = operation("PriceList_UpdateArticleIncVAT")
    rows = child(op, "articlePriceLists")
    for p in prices:
        el = child(rows, "ArticlePriceListIncVat")
        add(el, "ArticleNumber", p.article_number)
        add(el, "PriceListId", p.price_list_id)
        add(el, "PriceIncVat", p.price_inc_vat)
        discounted = NO_DISCOUNT if p.discounted_price_inc_vat is None else p.discounted_price_inc_vat
        add(el, "DiscountedPriceIncVat", discounted)
        add(el, "HideProduct", p.hide_product)
        add(el, "DiscountedPriceIsMemberPrice", p.discounted_price_is_member_price)
        add(el, "UseDiscountDateSpan", p.use_discount_date_span)
        if p.use_discount_date_span:
            add(el, "DiscountStartDate", p.discount_start)
            add(el, "DiscountEndDate", p.discount_end)
    return op


def dynamic_field_save(inputs: Iterable[DynamicFieldInput]) -> etree._Element:
    op = operation("ProductDynamicField_SaveProductDynamicFieldData")
    rows = child(op, "dynamicFieldOnProductInputs")
    for item in inputs:
        el = child(rows, "DynamicFieldOnProductInput")
        add(el, "ArticleNumber", item.article_number)
        add(el, "Key", item.key)
        add(el, "ClearExistingListData", item.clear_existing_list_data)
        values = child(el, "ItemValues")
        for culture, text in item.values:
            localization = child(values, "Localization")
            add(localization, "Culture", culture)
            add(localization, "Value", text)
        # The working client always sends both list containers empty for plain text/bool fields.
        child(el, "DynamicFieldItemListData")
        child(el, "DynamicFieldItemMultiLevelListData")
    return op


def simple(name: str, params: Mapping[str, Scalar]) -> etree._Element:
    """An operation whose parameters are flat scalars (the order operations)."""
    op = operation(name)
    for key, value in params.items():
        add(op, key, value)
    return op
