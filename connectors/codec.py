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


# Values ``dump`` passes through as they are; checked first, as most values are these.
_PLAIN = frozenset({str, int, bool, float, type(None)})


def dump(value: Any) -> Any:
    """A dataclass (nested ones, lists, tuples, dicts, Decimals, datetimes included) as JSON-ready data."""
    if type(value) in _PLAIN:
        return value
    if isinstance(value, Decimal):
        return format(value, "f")  # never exponent notation ("1E+3"): the wire pattern has none
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [dump(item) for item in value]
    if isinstance(value, dict):
        return {key: dump(item) for key, item in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: dump(getattr(value, f.name)) for f in fields(type(value))}
    return value


def load(cls: type[T], data: Any, rules: Rules = AS_STORED) -> T:
    """The inverse of ``dump``. A field listed in the class's ``choices`` must be one of them."""
    if not isinstance(data, dict):
        raise rules.error(f"{cls.__name__}: expected an object")
    kwargs = {}
    for name, decode, needed in _plan(cls, rules):
        if name in data:
            kwargs[name] = decode(data[name], name)
        elif needed:
            raise rules.error(f"{cls.__name__}: missing {name}")
    choices: dict[str, tuple[str, ...]] = getattr(cls, "choices", {})
    for name, allowed in choices.items():
        if kwargs.get(name) is not None and kwargs[name] not in allowed:
            raise rules.error(f"{name}: one of {', '.join(allowed)}")
    return cls(**kwargs)


# How to read each field of a class, and each type, under given rules: worked out from the type
# hints once, not for every value (a bulk read decodes 100,000 records; an order, ~150 values).
Decode = Callable[[Any, str], Any]
_PLANS: dict[tuple[type, Rules], list[tuple[str, Decode, bool]]] = {}
_DECODERS: dict[tuple[Any, Rules], Decode] = {}


def _plan(cls: type, rules: Rules) -> list[tuple[str, Decode, bool]]:
    """(field, its decoder, whether a missing value is refused) for each field of ``cls``."""
    plan = _PLANS.get((cls, rules))
    if plan is None:
        types_of = hints(cls)
        plan = _PLANS[(cls, rules)] = [
            (f.name, _decoder(types_of[f.name], rules), rules.check_types and required(f))
            for f in fields(cls)
        ]
    return plan


def _decoder(tp: Any, rules: Rules) -> Decode:
    decode = _DECODERS.get((tp, rules))
    if decode is None:
        decode = _DECODERS[(tp, rules)] = _make_decoder(tp, rules)
    return decode


def _make_decoder(tp: Any, rules: Rules) -> Decode:
    """None reads as None for an optional field, and for any field unless types are checked."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        (inner,) = [arg for arg in typing.get_args(tp) if arg is not type(None)]
        decode = _decoder(inner, rules)
    else:
        decode = _make_required(tp, origin, rules)
        if rules.check_types:
            return decode
    return lambda value, name: None if value is None else decode(value, name)


def _make_required(tp: Any, origin: Any, rules: Rules) -> Decode:
    error, check = rules.error, rules.check_types
    if origin in (list, tuple):
        item = _decoder(typing.get_args(tp)[0], rules)
        as_tuple = origin is tuple

        def sequence(value: Any, name: str) -> Any:
            if check and not isinstance(value, list):
                raise error(f"{name}: expected a list")
            items = [item(each, f"{name}[{i}]") for i, each in enumerate(value)]
            return tuple(items) if as_tuple else items

        return sequence
    if tp is Decimal:
        return rules.decimal
    if tp is datetime:
        return lambda value, name: datetime.fromisoformat(value)
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):

        def record(value: Any, name: str) -> Any:
            if check and not isinstance(value, dict):
                raise error(f"{name}: expected an object")
            return load(tp, value, rules)

        return record
    if check:

        def plain(value: Any, name: str) -> Any:
            if not _is(tp, value):
                raise error(f"{name}: expected {_NAMES.get(tp, 'a value')}")
            return value

        return plain
    return lambda value, name: value


_NAMES = {bool: "a boolean", int: "an integer", str: "a string"}


def _is(tp: Any, value: Any) -> bool:
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return not isinstance(tp, type) or tp not in _NAMES or isinstance(value, tp)
