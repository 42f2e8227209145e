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

from connectors.jetshop.simulator.soap import (
    CUT,
    Request,
    SoapFault,
    arithmetic_overflow,
    find,
    unreadable,
    value,
)
from connectors.jetshop.wire import format_datetime, format_money, format_vat, parse_datetime

_INT = re.compile(r"^\s*[+-]?\d+\s*$")
# .NET's limits: XmlConvert.ToInt32 and ToDecimal throw OverflowException beyond them.
INT32_MAX = 2**31 - 1
DECIMAL_MAX = Decimal(2**96 - 1)
# The columns behind the fields (SQL Server) [inferred]: prices are ``money`` (the service answers
# them with four decimals), VAT a fraction with eight decimals, decimal(18, 8). A value .NET reads
# but the column cannot hold fails when saved, with SQL Server's arithmetic overflow.
COLUMN_MAX = {"money": Decimal("922337203685477.5807"), "vat": Decimal("9999999999.99999999")}
COLUMN_TYPE = {"money": "money", "vat": "numeric", "decimal": "money"}


class Overflow(ValueError):
    """The value is outside the .NET type's range (OverflowException, not FormatException)."""


class ColumnOverflow(ValueError):
    """Read fine, but too large for the database column it is saved into."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.column_type = COLUMN_TYPE[kind]


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
        number = int(text)
        if not -INT32_MAX - 1 <= number <= INT32_MAX:
            raise Overflow(text)
        return str(number)
    if kind in ("money", "vat", "decimal"):
        try:
            number = Decimal(text.strip())
        except InvalidOperation as exc:
            raise ValueError(text) from exc
        # .NET's decimal reads no exponent, NaN or infinity (NumberStyles.Float aside, XmlConvert
        # takes plain digits), and nothing beyond its 96-bit range.
        if not number.is_finite() or "e" in text.lower():
            raise ValueError(text)
        if abs(number) > DECIMAL_MAX:
            raise Overflow(text)
        if abs(number) > COLUMN_MAX["vat" if kind == "vat" else "money"]:
            raise ColumnOverflow(kind)
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
    except ColumnOverflow as exc:
        raise arithmetic_overflow(exc.column_type) from None
    except Overflow:
        fault_kind = "int_overflow" if kind.rstrip("?") == "int" else "decimal_overflow"
        raise unreadable(raw, element, fault_kind, text, readers) from None
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
