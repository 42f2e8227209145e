"""One codec for typed records (dataclasses) ↔ JSON-ready data, driven by their type hints.

The Visma agent's wire records (``visma/protocol.py``, both on the agent and in ``VismaClient``) and
the payloads the server stores before mapping them (``flows/engine/payloads.py``) are written and
read by it. Money stays exact: Decimals are strings, never in exponent notation. Reading follows
``Rules``: the agent's wire refuses what does not fit its record (a 400 naming the field); a stored
payload, written by this codec, is read back as it is. Unknown keys are ignored, so an older reader
keeps working with a newer writer.

Stdlib only: the agent imports it on Windows.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

T = TypeVar("T")  # a dataclass


@dataclass(frozen=True)
class Rules:
    """How strictly ``load`` reads."""

    error: type[Exception] = ValueError
    decimal: Callable[[Any, str], Decimal] = lambda value, name: Decimal(value)
    check_types: bool = False  # refuse a value of the wrong JSON type (and a missing required field)


AS_STORED = Rules()

# Resolving string annotations is slow; bulk reads decode 100,000 records, so do it once per class.
_HINTS: dict[type, dict[str, Any]] = {}
_FIELDS: dict[type, tuple[dataclasses.Field[Any], ...]] = {}


def hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def fields(cls: type) -> tuple[dataclasses.Field[Any], ...]:
    if cls not in _FIELDS:
        _FIELDS[cls] = dataclasses.fields(cls)
    return _FIELDS[cls]


def required(f: dataclasses.Field[Any]) -> bool:
    return f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING


def dump(value: Any) -> Any:
    """A dataclass (nested ones, lists, tuples, dicts, Decimals, datetimes included) as JSON-ready data."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: dump(getattr(value, f.name)) for f in fields(type(value))}
    if isinstance(value, Decimal):
        return format(value, "f")  # never exponent notation ("1E+3"): the wire pattern has none
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [dump(item) for item in value]
    if isinstance(value, dict):
        return {key: dump(item) for key, item in value.items()}
    return value


def load(cls: type[T], data: Any, rules: Rules = AS_STORED) -> T:
    """The inverse of ``dump``. A field listed in the class's ``choices`` must be one of them."""
    if not isinstance(data, dict):
        raise rules.error(f"{cls.__name__}: expected an object")
    types_of, kwargs = hints(cls), {}
    for f in fields(cls):
        if f.name in data:
            kwargs[f.name] = _value(types_of[f.name], data[f.name], f.name, rules)
        elif rules.check_types and required(f):
            raise rules.error(f"{cls.__name__}: missing {f.name}")
    choices: dict[str, tuple[str, ...]] = getattr(cls, "choices", {})
    for name, allowed in choices.items():
        if kwargs.get(name) is not None and kwargs[name] not in allowed:
            raise rules.error(f"{name}: one of {', '.join(allowed)}")
    return cls(**kwargs)


def _value(tp: Any, value: Any, name: str, rules: Rules) -> Any:
    origin = typing.get_origin(tp)
    if value is None and (origin in (typing.Union, types.UnionType) or not rules.check_types):
        return None
    if origin in (typing.Union, types.UnionType):
        (inner,) = [arg for arg in typing.get_args(tp) if arg is not type(None)]
        return _value(inner, value, name, rules)
    if origin in (list, tuple):
        if rules.check_types and not isinstance(value, list):
            raise rules.error(f"{name}: expected a list")
        inner = typing.get_args(tp)[0]
        items = [_value(inner, item, f"{name}[{i}]", rules) for i, item in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if tp is Decimal:
        return rules.decimal(value, name)
    if tp is datetime:
        return datetime.fromisoformat(value)
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        if rules.check_types and not isinstance(value, dict):
            raise rules.error(f"{name}: expected an object")
        return load(tp, value, rules)
    if rules.check_types and not _is(tp, value):
        raise rules.error(f"{name}: expected {_NAMES.get(tp, 'a value')}")
    return value


_NAMES = {bool: "a boolean", int: "an integer", str: "a string"}


def _is(tp: Any, value: Any) -> bool:
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return not isinstance(tp, type) or tp not in _NAMES or isinstance(value, tp)
