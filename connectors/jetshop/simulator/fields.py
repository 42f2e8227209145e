"""Typed reading of request fields the way ASMX's XmlSerializer does it.

A value that does not convert to the field's .NET type is not a per-row error: the whole request
is rejected before anything runs, with HTTP 500 ``soap:Sender`` (verified for an empty/nil
``StockData/DeliveryDate`` and for a non-integer price-list int field).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from lxml import etree

from connectors.jetshop.simulator.soap import CUT, Request, SoapFault, find, unreadable, value
from connectors.jetshop.wire import format_datetime, format_money, format_vat, parse_datetime

_INT = re.compile(r"^\s*[+-]?\d+\s*$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?)?(Z|[+-]\d{2}:\d{2})?$")

PRODUCT_TYPES = {
    "TemplateId": "int",
    "FreightClassId": "int",
    "QuantitySuffix": "int",
    "Price": "money",
    "DiscountedPrice": "money",
    "Volume": "money",
    "Weight": "money",
    "Vat": "vat",
    "HidePrice": "bool",
    "HideProduct": "bool",
    "ShowSendTip": "bool",
    "UseAttributeChooseText": "bool",
    "UseComment": "bool",
    "UseCommentRequired": "bool",
    "UseDescriptionUrl": "bool",
    "UseDiscountDateSpan": "bool",
    "UseStockNotification": "bool",
    "DiscountedPriceIsMemberPrice": "bool",
    "DiscountStartDate": "datetime",
    "DiscountEndDate": "datetime",
    "PublishDate": "datetime?",
}
STOCK_TYPES = {
    "NewStockCount": "int",
    "StockStatusId": "int",
    "UseAdvancedStatus": "bool",
    "StockStatusWhenOutOfStock": "int",
    # DateTime, not DateTime?: empty and nil both fault (the recorded fault).
    "DeliveryDate": "datetime",
}
PRICE_LIST_TYPES = {
    "PriceIncVat": "decimal?",
    "DiscountedPriceIncVat": "decimal?",
    "HideProduct": "bool?",
    "DiscountedPriceIsMemberPrice": "bool?",
    "UseDiscountDateSpan": "bool",
    "DiscountStartDate": "datetime?",
    "DiscountEndDate": "datetime?",
}
_KIND_OF_FAULT = {"int": "int", "money": "decimal", "vat": "decimal", "decimal": "decimal", "bool": "bool"}


def convert(kind: str, text: str | None) -> str | None:
    """Normalised wire string, or raise ValueError the way XmlConvert would."""
    nullable = kind.endswith("?")
    kind = kind.rstrip("?")
    if text is None:
        if nullable:
            return None
        raise ValueError("nil")
    if kind == "text":
        return text
    if kind == "int":
        if not _INT.match(text):
            raise ValueError(text)
        return str(int(text))
    if kind in ("money", "vat", "decimal"):
        try:
            number = Decimal(text.strip())
        except InvalidOperation as exc:
            raise ValueError(text) from exc
        if not number.is_finite():
            raise ValueError(text)
        return format_vat(number) if kind == "vat" else format_money(number)
    if kind == "bool":
        lowered = text.strip()
        if lowered in ("true", "1"):
            return "true"
        if lowered in ("false", "0"):
            return "false"
        raise ValueError(text)
    if kind == "datetime":
        if not _DATETIME.match(text.strip()):
            raise ValueError(text)
        parsed = parse_datetime(text.strip()[:27].rstrip("Z"))
        if parsed is None:
            raise ValueError(text)
        return format_datetime(parsed.replace(tzinfo=None))
    raise AssertionError(kind)


def read_one(raw: bytes, element: etree._Element, kind: str, readers: list[str]) -> str | None:
    """One element's value as a normalised string, or the whole request's ``soap:Sender`` fault."""
    text = value(element)
    try:
        return convert(kind, text)
    except ValueError:
        fault_kind = _KIND_OF_FAULT.get(kind.rstrip("?"), "datetime")
        raise unreadable(raw, element, fault_kind, text, readers) from None


def parameters(req: Request, table: Sequence[tuple[str, str]], readers: list[str]) -> dict[str, str | None]:
    """A placeholder operation's flat parameters (``(name, kind)`` rows) as normalised strings.

    ``None`` when a parameter is absent or nil; a value that does not convert faults the call.
    """
    out: dict[str, str | None] = {}
    for name, kind in table:
        element = find(req.op, name)
        out[name] = None if element is None else read_one(req.raw, element, kind, readers)
    return out


def read(
    raw: bytes, parent: etree._Element, types: dict[str, str], readers: list[str]
) -> dict[str, str | None]:
    """All child elements of ``parent`` as normalised strings; untyped ones are text."""
    out: dict[str, str | None] = {}
    for child in parent:
        if not isinstance(child.tag, str) or len(child):
            continue
        out[child.tag[CUT:]] = read_one(raw, child, types.get(child.tag[CUT:], "text?"), readers)
    return out


__all__ = [
    "PRICE_LIST_TYPES", "PRODUCT_TYPES", "STOCK_TYPES", "SoapFault", "convert", "parameters", "read",
    "read_one",
]  # fmt: skip
