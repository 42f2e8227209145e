"""Wire formats of the Jetshop SOAP service, shared by the client and the simulator.

Everything here mirrors what the recorded traffic shows (``shared/samples/jetshop``): invariant
culture numbers, prices with four decimals (``108.0000``), VAT as a fraction with eight
(``0.25000000``), and .NET ``DateTime`` values without an offset that behave as Swedish local time.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

SOAP12_NS = "http://www.w3.org/2003/05/soap-envelope"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
XSD_NS = "http://www.w3.org/2001/XMLSchema"
SERVICE_NS = "WebServiceProvider"
SOAP_CONTENT_TYPE = "application/soap+xml; charset=utf-8"
ENDPOINT_PATH = "/Webservice20/v3.0/webservice.asmx"

STOCKHOLM = ZoneInfo("Europe/Stockholm")
# .NET serialises an unset (non-nullable) DateTime as its minimum value.
DOTNET_MIN_DATE = "0001-01-01T00:00:00"
NO_DISCOUNT = Decimal(-1)  # Jetshop's sentinel for "no discounted price" (read and write)

_FOUR = Decimal("0.0001")
_EIGHT = Decimal("0.00000001")


def format_money(value: Decimal) -> str:
    """A price as the service returns it: four decimals, ``.`` separator (``-1.0000``)."""
    return str(value.quantize(_FOUR))


def format_vat(value: Decimal) -> str:
    """VAT as a fraction with eight decimals (``0.25000000``)."""
    return str(value.quantize(_EIGHT))


def format_number(value: Decimal | int) -> str:
    """Invariant-culture number for requests: no exponent, no thousands separator.

    Whole numbers go out without decimals (``123``), as the working client sent prices, because
    some price-list fields are integers on the server and a ``123.00`` there is a fault.
    """
    if isinstance(value, int):
        return str(value)
    if not value.is_finite():  # NaN/Infinity would go out as text .NET cannot read
        raise ValueError(f"not a finite number: {value}")
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


def parse_decimal(text: str | None) -> Decimal | None:
    if text is None or text == "":
        return None
    try:
        return Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(f"not a decimal: {text!r}") from exc


def format_bool(value: bool) -> str:
    return "true" if value else "false"


def parse_bool(text: str | None) -> bool | None:
    if text is None or text == "":
        return None
    return text.strip().lower() in ("true", "1")


def format_datetime(value: datetime) -> str:
    """Stockholm wall-clock time without offset; fraction trimmed like .NET (``09:30:47.69``)."""
    if value.tzinfo is not None:
        value = value.astimezone(STOCKHOLM)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += "." + f"{value.microsecond:06d}".rstrip("0")
    return text


def parse_datetime(text: str | None) -> datetime | None:
    """An aware datetime in Europe/Stockholm; ``None`` for empty, nil or .NET's minimum value.

    A wall-clock time inside the autumn DST overlap is ambiguous on the wire; ``fold=0`` picks
    the first (summer-time) occurrence, which is what a zone-less .NET value converts to.
    """
    if not text or text.startswith("0001-01-01"):
        return None
    text = text.strip()
    date_part, _, frac = text.partition(".")
    parsed = datetime.strptime(date_part[:19], "%Y-%m-%dT%H:%M:%S")
    if frac:
        digits = "".join(ch for ch in frac if ch.isdigit())
        parsed = parsed.replace(microsecond=int((digits + "000000")[:6]))
    return parsed.replace(tzinfo=STOCKHOLM)
