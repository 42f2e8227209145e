"""Typed records ↔ the JSON kept in ``SyncItem.payload``: the raw input, stored before it is mapped.

Money stays exact (Decimals as strings) and timestamps keep their offset, so a parked order that is
retried a week later is mapped from exactly what the shop sent.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

T = TypeVar("T")


def dump(value: Any) -> Any:
    """A dataclass (nested ones, tuples, Decimals, datetimes included) as JSON-ready data."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: dump(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [dump(item) for item in value]
    return value


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def load(cls: type[T], data: dict[str, Any]) -> T:
    """The inverse of ``dump``; keys the class does not know are ignored, missing ones defaulted."""
    hints = _hints(cls)
    kwargs = {
        f.name: _convert(hints[f.name], data[f.name]) for f in dataclasses.fields(cls) if f.name in data
    }
    return cls(**kwargs)


def _convert(tp: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        (inner,) = [arg for arg in typing.get_args(tp) if arg is not type(None)]
        return _convert(inner, value)
    if origin is tuple:
        inner = typing.get_args(tp)[0]
        return tuple(_convert(inner, item) for item in value)
    if tp is Decimal:
        return Decimal(value)
    if tp is datetime:
        return datetime.fromisoformat(value)
    if dataclasses.is_dataclass(tp):
        return load(tp, value)
    return value
