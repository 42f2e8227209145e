"""The OpenAPI 3 document of ``/v1``, with schemas generated from ``connectors/visma/protocol.py``.

Generating the schemas from the wire dataclasses keeps the document and the code from drifting.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from decimal import Decimal
from typing import Any

from connectors.visma import bounds
from connectors.visma import protocol as P
from connectors.visma.agent import VERSION

# Every decimal on the wire (protocol.parse_decimal); input fields narrow it (bounds.py).
DECIMAL = {"type": "string", "pattern": r"^-?[0-9]{1,9}(\.[0-9]{1,6})?$", "example": "199.00"}
AUTH_TEXT = (
    "Every call except /v1/health is signed: X-Agent-Key (key id), X-Agent-Timestamp (Unix seconds) and "
    "X-Agent-Signature = lowercase hex HMAC-SHA256 with the secret over METHOD + '\\n' + path-with-query + "
    "'\\n' + timestamp + '\\n' + hex SHA-256 of the raw body. Timestamps outside ±300 s and replayed "
    "signatures are refused with 401."
)


def _schema(tp: Any) -> dict[str, Any]:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        (inner,) = [a for a in typing.get_args(tp) if a is not type(None)]
        return {**_schema(inner), "nullable": True}
    if origin is list:
        return {"type": "array", "items": _schema(typing.get_args(tp)[0])}
    if tp is Decimal:
        return dict(DECIMAL)
    if isinstance(tp, type) and issubclass(tp, P.Record):
        return {"$ref": f"#/components/schemas/{tp.__name__}"}
    return {"type": {str: "string", int: "integer", bool: "boolean"}[tp]}


def record_schema(cls: type[P.Record]) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    properties, required = {}, []
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        prop = _schema(hints[f.name]) | bounds.schema_for(cls, f.name)
        if f.name in cls.choices:
            prop["enum"] = list(cls.choices[f.name])
        properties[f.name] = prop
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            required.append(f.name)
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _items(name: str) -> dict[str, Any]:
    return {"type": "object", "properties": {"items": {"type": "array", "items": _ref(name)}}}


def _q(name: str, description: str, schema: dict[str, Any] | None = None, required: bool = False) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": schema or {"type": "string"},
    }


def _p(name: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema or {"type": "string"}}


ARTICLE_NUMBER = {"type": "string", **bounds.ARTICLE_NUMBER.schema()}
CURSOR = {"type": "integer", "minimum": 0, "maximum": 999_999_999}


ERRORS = {
    "400": _json(_ref("ErrorResponse"), "Malformed request"),
    "401": _json(_ref("ErrorResponse"), "Signature refused"),
    "404": _json(_ref("ErrorResponse"), "Not found (ADKE_NOT_FOUND)"),
    "409": _json(_ref("ErrorResponse"), "Idempotency-Key reused with a different body"),
    "422": _json(
        _ref("ErrorResponse"),
        "Refused, permanently: by Visma (ADKE number in code), or before Visma because a value is out of"
        " the agent's bounds or outside Windows-1252 (field names the request's field)",
    ),
    "503": _json(_ref("ErrorResponse"), "Busy, locked or unavailable: transient, see Retry-After"),
}
LIMIT = {"type": "integer", "minimum": 1, "maximum": 10000}


def _op(
    summary: str,
    ok: dict[str, Any],
    *,
    params: list[dict[str, Any]] | None = None,
    body: str | None = None,
    status: str = "200",
) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "responses": {status: ok, **ERRORS},
        "security": [{"agentKey": []}],
    }
    if params:
        op["parameters"] = params
    if body:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": _ref(body)}}}
    return op


@functools.cache
def openapi_document() -> dict[str, Any]:
    records = [
        obj
        for obj in vars(P).values()
        if isinstance(obj, type) and issubclass(obj, P.Record) and obj is not P.Record
    ]
    schemas = {cls.__name__: record_schema(cls) for cls in records}
    schemas["ErrorResponse"] = {
        "type": "object",
        "properties": {"error": _ref("ErrorInfo")},
        "required": ["error"],
    }
    idem = {
        "name": "Idempotency-Key",
        "in": "header",
        "required": True,
        "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[!-~]([ -~]*[!-~])?$"},
    }
    paths = {
        "/v1/health": {
            "get": {
                "summary": "Liveness (unauthenticated)",
                "security": [],
                "responses": {"200": _json(_ref("Health"))},
            }
        },
        "/v1/identity": {
            "get": _op("Agent and company identity, queue depth, last write", _json(_ref("Identity")))
        },
        "/v1/articles": {
            "get": _op(
                "Articles changed since a cursor (timestamp order)",
                _json(_ref("ArticlePage")),
                params=[_q("cursor", "next_cursor of the previous page"), _q("limit", "page size", LIMIT)],
            )
        },
        "/v1/articles/{number}": {
            "get": _op("One article", _json(_ref("Article")), params=[_p("number")]),
            "put": _op(
                "Create or update an article",
                _json(_ref("Article")),
                params=[_p("number", ARTICLE_NUMBER)],
                body="ArticleInput",
            ),
        },
        "/v1/stock": {
            "get": _op(
                "Stock figures by article number, paged",
                _json(_ref("StockPage")),
                params=[
                    _q("after", "next_after of the previous page"),
                    _q("limit", "page size", LIMIT),
                    _q(
                        "webshop_only",
                        "only web-shop articles",
                        {"type": "string", "enum": ["true", "false"]},
                    ),
                ],
            )
        },
        "/v1/price-lists": {"get": _op("Price lists", _json(_items("PriceList")))},
        "/v1/price-lists/{code}/prices": {
            "get": _op(
                "Prices of a list, quantity breaks included",
                _json(_ref("PricePage")),
                params=[_p("code"), _q("after", "next_after"), _q("limit", "page size", LIMIT)],
            )
        },
        "/v1/customer-price": {
            "get": _op(
                "Effective price for a customer (AdkGetCustomerPrice)",
                _json(_ref("CustomerPrice")),
                params=[
                    _q("customer", "customer number", required=True),
                    _q("article", "article number", required=True),
                    _q("quantity", "quantity", {"type": "string", **bounds.QUANTITY.schema()}),
                ],
            )
        },
        "/v1/vat-codes": {"get": _op("VAT codes and their rates in percent", _json(_items("VatCode")))},
        "/v1/customers": {
            "get": _op(
                "Find customers by number, e-mail or organisation number",
                _json(_items("Customer")),
                params=[
                    _q("number", "customer number"),
                    _q("email", "e-mail"),
                    _q("org_number", "organisation number"),
                ],
            ),
            "post": _op(
                "Create a customer", _json(_ref("Customer"), "Created"), body="CustomerInput", status="201"
            ),
        },
        "/v1/documents": {
            "post": _op(
                "Create an order or invoice exactly once per Idempotency-Key (200 on a repeat)",
                _json(_ref("Document"), "Created"),
                params=[idem],
                body="DocumentInput",
                status="201",
            ),
            "get": _op(
                "Documents by the shop's order reference",
                _json(_items("Document")),
                params=[_q("reference", "ADK_OOI_HEAD_CUSTOMER_ORDER_NUMBER", required=True)],
            ),
        },
        "/v1/document-status": {
            "get": _op(
                "Head-only status of the documents with the shop's reference (ODBC when enabled)",
                _json(_ref("DocumentStatusList")),
                params=[_q("reference", "ADK_OOI_HEAD_CUSTOMER_ORDER_NUMBER", required=True)],
            )
        },
        "/v1/documents/{kind}/{number}": {
            "get": _op("One document", _json(_ref("Document")), params=[_p("kind"), _p("number")])
        },
        "/v1/document-events": {
            "get": _op(
                "Delivered/invoiced/paid/cancelled events after a cursor",
                _json(_ref("EventPage")),
                params=[
                    _q("after", "last event id seen", CURSOR),
                    _q("limit", "page size", LIMIT),
                ],
            )
        },
        "/v1/open-invoices": {
            "get": _op(
                "Unpaid invoices and their balances",
                _json(_ref("OpenInvoicePage")),
                params=[
                    _q("customer", "customer number"),
                    _q("after", "next_after", CURSOR),
                    _q("limit", "page size", LIMIT),
                ],
            )
        },
    }
    paths["/v1/openapi.json"] = {"get": _op("This document", {"description": "OpenAPI 3 document"})}
    from connectors.visma.agent.ledger_openapi import add_ledger  # reconciliation endpoints

    add_ledger(paths, schemas, op=_op, json=_json, ref=_ref, record_schema=record_schema, idem=idem, query=_q)
    from connectors.visma.agent.codes_api import add_codes  # code lists

    add_codes(paths, op=_op, json=_json, ref=_ref, path_param=_p)
    return {
        "openapi": "3.0.3",
        "info": {"title": "Visma agent", "version": VERSION, "description": AUTH_TEXT},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "agentKey": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-Agent-Key",
                    "description": AUTH_TEXT,
                }
            },
        },
    }
