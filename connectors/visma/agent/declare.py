"""The agent's HTTP API, declared once per route: method, path, parameters with their bounds, the request
and answer records. The router serves from these declarations (it parses and bounds the parameters and
decodes the body before the handler runs) and the OpenAPI document is built from the same ones
(``openapi.py``), so the two cannot drift.

Declare a route on the handler that answers it::

    @route("GET", "/v1/price-lists/{code}/prices", "Prices of a list", answer=P.PricePage,
           params=(path("code"), text("after", "next_after"), limit(1000)))
    def prices(self, request: Request) -> P.PricePage:
        return self.run(lambda: ...catalog.prices(request.args["code"], request.args["after"], ...))

and ``Router.include(handlers)`` serves every declared method of ``handlers``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from connectors.visma import bounds
from connectors.visma import protocol as P
from connectors.visma.signing import IDEMPOTENCY_HEADER

MAX_PAGE = 10_000
MAX_CURSOR = 10**9 - 1


def _text(name: str, raw: str | None) -> str | None:
    return raw


@dataclass(frozen=True)
class Param:
    """A path, query or header parameter: how it reads and what the document says of it."""

    name: str
    description: str = ""
    location: str = "query"  # "query", "path" or "header"
    required: bool = False
    schema: dict[str, Any] = field(default_factory=lambda: {"type": "string"})
    # (name, the raw text or None when absent) -> the value handlers get; raises ProtocolError (400) or
    # OutOfBounds (422 naming the parameter).
    read: Callable[[str, str | None], Any] = _text

    def openapi(self) -> dict[str, Any]:
        spec: dict[str, Any] = {"name": self.name, "in": self.location, "required": self.required}
        if self.description:
            spec["description"] = self.description
        return spec | {"schema": dict(self.schema)}


def text(name: str, description: str = "", *, required: bool = False) -> Param:
    return Param(name, description, required=required)


def path(name: str, schema: dict[str, Any] | None = None) -> Param:
    return Param(name, location="path", required=True, schema=schema or {"type": "string"})


def integer(name: str, description: str, *, default: int, low: int = 0, high: int = MAX_PAGE) -> Param:
    def read(name: str, raw: str | None) -> int:
        if raw is None or raw == "":
            return default
        if not re.fullmatch(r"[0-9]{1,9}", raw) or not low <= int(raw) <= high:
            raise P.ProtocolError(f"{name}: an integer from {low} to {high}")
        return int(raw)

    return Param(name, description, schema={"type": "integer", "minimum": low, "maximum": high}, read=read)


def decimal(name: str, description: str, bound: bounds.Number, *, default: str) -> Param:
    def read(name: str, raw: str | None) -> Decimal:
        value = P.parse_decimal(default if raw is None else raw, name)
        if problems := list(bound.problems(name, value)):
            raise bounds.OutOfBounds(problems)
        return value

    return Param(name, description, schema={"type": "string", **bound.schema()}, read=read)


def flag(name: str, description: str) -> Param:
    """``true`` or ``false``; anything else reads as false."""
    return Param(
        name,
        description,
        schema={"type": "string", "enum": ["true", "false"]},
        read=lambda n, raw: raw == "true",
    )


def _idempotency_key(name: str, raw: str | None) -> str:
    key = (raw or "").strip()
    if not key or len(key) > 200 or not (key.isascii() and key.isprintable()):
        raise P.ProtocolError(f"{IDEMPOTENCY_HEADER}: required, 1-200 printable ASCII characters")
    return key


IDEMPOTENCY_KEY = Param(
    IDEMPOTENCY_HEADER,
    location="header",
    required=True,
    schema={"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[!-~]([ -~]*[!-~])?$"},
    read=_idempotency_key,
)


def limit(default: int, high: int = MAX_PAGE) -> Param:
    return integer("limit", "page size", default=default, low=1, high=high)


def cursor(description: str) -> Param:
    return integer("after", description, default=0, high=MAX_CURSOR)


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    summary: str
    handler: Callable[..., Any]
    params: tuple[Param, ...] = ()
    body: type[P.Record] | None = None  # decoded into ``request.record`` (400 when it does not fit)
    answer: type[P.Record] | None = None
    many: bool = False  # the answer is {"items": [answer, ...]}
    status: int = 200  # the status of a plain answer; a handler may return a Response with another
    answer_text: str = "OK"
    repeat_text: str = ""  # also answers 200 with the same record: a repeat (Idempotency-Key)
    public: bool = False  # served without a signature (the liveness probe only)
    documented: bool = True  # in /v1/openapi.json (the simulator's side door is not)

    def read(self, source: dict[str, dict[str, str]]) -> dict[str, Any]:
        """The declared parameters' values from ``source[location][name]`` (raw text)."""
        missing = [
            p.name
            for p in self.params
            if p.required and p.location == "query" and not source["query"].get(p.name)
        ]
        if missing:
            raise P.ProtocolError(f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} required")
        return {p.name: p.read(p.name, source[p.location].get(p.name)) for p in self.params}


ROUTE_ATTRIBUTE = "_agent_route"


def route(
    method: str, path: str, summary: str, **declaration: Any
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare the route a handler method answers (see the module's docstring)."""

    def mark(handler: Callable[..., Any]) -> Callable[..., Any]:
        setattr(handler, ROUTE_ATTRIBUTE, Route(method, path, summary, handler, **declaration))
        return handler

    return mark


def creates_once(
    path: str, summary: str, body: type[P.Record], answer: type[P.Record]
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A POST that writes once per Idempotency-Key: 201, or 200 with the first answer on a repeat."""
    return route(
        "POST",
        path,
        summary,
        params=(IDEMPOTENCY_KEY,),
        body=body,
        answer=answer,
        status=201,
        answer_text="Created",
        repeat_text="Made before under this Idempotency-Key: the first answer",
    )


def declared(handlers: object) -> list[Route]:
    """The routes declared on ``handlers``' methods (an instance: bound to it; a class: unbound)."""
    cls = handlers if isinstance(handlers, type) else type(handlers)
    found = []
    for name, member in vars(cls).items():  # in the order they are written
        declaration = getattr(member, ROUTE_ATTRIBUTE, None)
        if isinstance(declaration, Route):
            found.append(replace(declaration, handler=getattr(handlers, name)))
    return found
