"""The JSON side door (``/_sim/...``) for tests and the demo. Never part of the real service.

POST /_sim/orders           place one order (object) or several ({"orders": [...]}) "in the shop"
GET  /_sim/orders[/<id>]    orders with status history, e-mails, tracking numbers, captures
GET  /_sim/products[/<art>] stored products (wire strings), stock, price-list rows, variants, and
                            "writes": the Product_AddUpdate rows applied to the article
POST /_sim/products         bulk-create products without SOAP: {"products": [...], "generate": {...}}
                            (see bulk.py) -> {"created": n, "first": article, "last": article}
POST /_sim/faults           {"kind", "count", "operation", "retry_after", "delay_ms", "delay_max_ms",
                            "after"}
GET  /_sim/faults           pending faults (and duplicate deliveries not yet served); DELETE clears
GET  /_sim/log              SOAP calls (newest last; "at" shop clock, "received" epoch s), ?operation=X
POST /_sim/reset            {"seed": "demo"|"empty", "next_order_id": N}: reseed, clear log, faults and
                            clock; new orders numbered from N (optional: ids a shop never reuses)
GET|POST /_sim/tables       seeded tables; POST {"order_statuses": [...], ...} replaces those given
GET|POST /_sim/clock        {"now": "2026-03-29T01:59:00", "frozen": true} or {"advance_seconds": 60}
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from connectors.jetshop.simulator import bulk, orders, seed
from connectors.jetshop.simulator.faults import Fault

if TYPE_CHECKING:
    from connectors.jetshop.simulator.app import JetshopSimulator


def _json(start_response, status: str, payload: Any) -> list[bytes]:
    body = json.dumps(payload, ensure_ascii=False, indent=1).encode("utf-8")
    start_response(
        status, [("Content-Type", "application/json; charset=utf-8"), ("Content-Length", str(len(body)))]
    )
    return [body]


def _body(environ: dict[str, Any]) -> Any:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    raw = environ["wsgi.input"].read(length) if length else b""
    return json.loads(raw) if raw.strip() else {}


def handle(sim: JetshopSimulator, environ: dict[str, Any], start_response) -> Iterable[bytes]:
    method = environ.get("REQUEST_METHOD", "GET")
    # PEP 3333: PATH_INFO arrives as latin-1 decoded bytes; article numbers may be UTF-8 (åäö).
    path = environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8", "replace")
    parts = path.strip("/").split("/")[1:]
    resource, ident = (parts + ["", ""])[:2]
    try:
        payload = _body(environ) if method in ("POST", "PUT") else {}
        with sim.state.lock:
            return _route(sim, method, resource, ident, payload, environ, start_response)
    except (ValueError, KeyError, TypeError) as exc:
        return _json(start_response, "400 Bad Request", {"error": f"{type(exc).__name__}: {exc}"})


def _with_writes(state, product: dict[str, Any]) -> dict[str, Any]:
    return {**product, "writes": state.product_writes.get(product["article"], 0)}


def _route(sim, method, resource, ident, payload, environ, start_response) -> Iterable[bytes]:
    state = sim.state
    if resource == "orders" and method == "POST":
        specs = payload["orders"] if "orders" in payload else [payload]
        placed = [orders.place(state, sim.clock, spec) for spec in specs]
        state.save()
        return _json(start_response, "201 Created", {"orders": placed})
    if resource == "products" and method == "POST" and not ident:
        created = bulk.create(state, sim.clock, payload)
        state.save()
        return _json(start_response, "201 Created", created)
    if resource in ("orders", "products") and ident:
        row = (state.orders if resource == "orders" else state.products).get(ident)
        if row is None:
            return _json(start_response, "404 Not Found", {"error": f"no {resource[:-1]} {ident}"})
        return _json(start_response, "200 OK", _with_writes(state, row) if resource == "products" else row)
    if resource == "orders":
        return _json(
            start_response, "200 OK", {"orders": sorted(state.orders.values(), key=lambda o: o["id"])}
        )
    if resource == "products":
        listed = [_with_writes(state, p) for p in state.products.values()]
        return _json(start_response, "200 OK", {"products": listed})
    if resource == "faults" and method == "POST":
        specs = payload["faults"] if "faults" in payload else [payload]
        for spec in specs:
            sim.faults.add(Fault.from_json(spec))
        return _json(start_response, "201 Created", {"faults": sim.faults.describe()})
    if resource == "faults" and method == "DELETE":
        sim.faults.clear()
        return _json(start_response, "200 OK", {"faults": []})
    if resource == "faults":
        # Duplicate deliveries taken from the plan but not yet served to a status pull.
        pending = {"faults": sim.faults.describe(), "duplicate_deliveries": state.duplicate_deliveries}
        return _json(start_response, "200 OK", pending)
    if resource == "log":
        query = environ.get("QUERY_STRING", "")
        wanted = query.split("operation=", 1)[1].split("&")[0] if "operation=" in query else None
        calls = [c for c in sim.log if wanted is None or c.get("operation") == wanted]
        return _json(start_response, "200 OK", {"calls": calls, "shop_ids": state.shop_ids_seen[-50:]})
    if resource == "reset" and method == "POST":
        sim.reset(payload.get("seed"), next_order_id=payload.get("next_order_id"))
        return _json(start_response, "200 OK", {"seed": payload.get("seed") or sim.seed_name})
    if resource == "tables":
        if method == "POST":
            state.data.update(seed.check_tables(payload))
            state.save()
        return _json(start_response, "200 OK", {table: state.data[table] for table in seed.TABLES})
    if resource == "clock":
        if method == "POST":
            if "now" in payload:
                sim.clock.set(
                    datetime.fromisoformat(payload["now"]), frozen=bool(payload.get("frozen", True))
                )
            if "advance_seconds" in payload:
                sim.clock.advance(float(payload["advance_seconds"]))
            if payload.get("reset"):
                sim.clock.reset()
        return _json(start_response, "200 OK", sim.clock.describe())
    return _json(start_response, "404 Not Found", {"error": f"no side-door route {method} {resource}"})
