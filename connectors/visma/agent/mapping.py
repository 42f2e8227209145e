"""Values across the ADK boundary: cp1252 text, doubles rounded to the field, YYYYMMDD dates.

Decimals from the wire become doubles here and nowhere else. A value with more decimals than the
field holds is refused with Visma's own ADKE_TOO_MANY_DECIMALS rather than rounded: silently
rounding a quantity or price would change the order.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from connectors.visma.agent import fields as F
from connectors.visma.agent.errors import AdkError
from connectors.visma.agent.text import prepare


def to_double(value: Decimal, spec: F.Field) -> float:
    quantum = Decimal(1).scaleb(-spec.decimals)
    if value.quantize(quantum) != value:
        raise AdkError(181, field=spec.name, detail=f"{value} has more than {spec.decimals} decimals")
    return float(value)


def to_date_long(value: str, field: str) -> int:
    try:
        parsed = date.fromisoformat(value)
    except ValueError as exc:
        raise AdkError(103, field=field, detail=f"not a date: {value[:20]!r}") from exc
    return int(parsed.strftime("%Y%m%d"))


def date_parts(value: int) -> tuple[int, int, int]:
    """A YYYYMMDD long (the ADK's date) as (year, month, day)."""
    return value // 10000, value // 100 % 100, value % 100


def date_text(value: int | None) -> str:
    if not value:
        return ""
    text = f"{int(value):08d}"
    return f"{text[:4]}-{text[4:6]}-{text[6:]}"


def to_adk(table: F.Table, values: Mapping[str, Any], warnings: list[str]) -> dict[str, Any]:
    """Convert wire values (None = leave unset) to ADK-typed values for ``table``."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        if value is None:
            continue
        spec = table.fields[name]
        if spec.type == F.CHAR:
            out[name] = prepare(str(value), field=name, length=spec.length, trim=spec.trim, warnings=warnings)
        elif spec.type == F.DOUBLE:
            out[name] = to_double(Decimal(value), spec)
        elif spec.type == F.BOOL:
            out[name] = bool(value)
        elif spec.type == F.DATE:
            out[name] = to_date_long(value, name) if isinstance(value, str) else int(value)
        else:
            raise AdkError(109, field=name)
    return out


def dec(value: float | None, decimals: int = 2) -> Decimal:
    """A double read from the ADK as a Decimal with the field's decimals (no binary noise)."""
    return Decimal(str(round(float(value or 0.0), decimals))).quantize(Decimal(1).scaleb(-decimals))


def qty(value: float | None) -> Decimal:
    """Quantities drop trailing zeros on the wire: "2" rather than "2.00"."""
    number = round(float(value or 0.0), 3)
    if number.is_integer():
        return Decimal(int(number))
    return Decimal(repr(number)).normalize()


def clean(value: Any) -> str:
    # .NET callers pad strings with spaces (reference §6.15): always trim what is read.
    return (value or "").strip() if isinstance(value, str) else str(value or "")
