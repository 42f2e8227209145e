"""The OpenAPI 3 document of ``/v1``, built (with apispec) from the routes the agent serves
(``Router.describe`` serves it at ``/v1/openapi.json``).

Paths, parameters and their bounds come from the routes' declarations (``declare.py``); the records'
schemas from the wire codec itself (``protocol.json_schema``) with the input bounds of ``bounds.py``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from apispec import APISpec

from connectors.visma import bounds
from connectors.visma import protocol as P
from connectors.visma.agent import VERSION
from connectors.visma.agent.declare import Route

AUTH_TEXT = (
    "Every call except /v1/health is signed: X-Agent-Key (key id), X-Agent-Timestamp (Unix seconds) and "
    "X-Agent-Signature = lowercase hex HMAC-SHA256 with the secret over METHOD + '\\n' + path-with-query + "
    "'\\n' + timestamp + '\\n' + hex SHA-256 of the raw body. Timestamps outside ±300 s and replayed "
    "signatures are refused with 401."
)


def _json(schema: Any, description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERRORS = {
    "400": _json("ErrorResponse", "Malformed request"),
    "401": _json("ErrorResponse", "Signature refused"),
    "404": _json("ErrorResponse", "Not found (ADKE_NOT_FOUND)"),
    "409": _json("ErrorResponse", "Idempotency-Key reused with a different body"),
    "422": _json(
        "ErrorResponse",
        "Refused, permanently: by Visma (ADKE number in code), or before Visma because a value is out of"
        " the agent's bounds or outside Windows-1252 (field names the request's field)",
    ),
    "503": _json("ErrorResponse", "Busy, locked or unavailable: transient, see Retry-After"),
}


def _answer(route: Route, text: str) -> dict[str, Any]:
    if route.answer is None:
        return {"description": text}
    name = route.answer.__name__
    schema: Any = name
    if route.many:
        schema = {"type": "object", "properties": {"items": {"type": "array", "items": name}}}
    return _json(schema, text)


def operation(route: Route) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": route.summary}
    if route.params:
        op["parameters"] = [param.openapi() for param in route.params]
    if route.body is not None:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": route.body.__name__}},
        }
    op["responses"] = {str(route.status): _answer(route, route.answer_text)}
    if route.repeat_text:
        op["responses"]["200"] = _answer(route, route.repeat_text)
    op["responses"] |= {} if route.public else ERRORS
    op["security"] = [] if route.public else [{"agentKey": []}]
    return op


def _records(routes: list[Route]) -> dict[str, dict[str, Any]]:
    """The schemas of every record the routes read or answer, and of the records those refer to."""
    schemas: dict[str, dict[str, Any]] = {}
    todo = {P.ErrorInfo} | {r for route in routes for r in (route.body, route.answer) if r is not None}
    while todo:
        record = todo.pop()
        if record.__name__ not in schemas:
            schemas[record.__name__] = P.json_schema(record, bounds.schema_for, todo)
    return dict(sorted(schemas.items()))


def document(routes: Iterable[Route]) -> dict[str, Any]:
    routes = [route for route in routes if route.documented]
    spec = APISpec(
        title="Visma agent", version=VERSION, openapi_version="3.0.3", info={"description": AUTH_TEXT}
    )
    spec.components.security_scheme(
        "agentKey", {"type": "apiKey", "in": "header", "name": "X-Agent-Key", "description": AUTH_TEXT}
    )
    for name, schema in _records(routes).items():
        spec.components.schema(name, schema)
    spec.components.schema(
        "ErrorResponse", {"type": "object", "properties": {"error": "ErrorInfo"}, "required": ["error"]}
    )
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        paths.setdefault(route.path, {})[route.method.lower()] = operation(route)
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()
