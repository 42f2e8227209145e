"""The simulator's WSGI app: Basic auth, the SOAP endpoint, ``?WSDL``, faults and the side door."""

from __future__ import annotations

import base64
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from connectors.jetshop.simulator import orders, pricelists, products, seed, sidedoor, soap, wsdl
from connectors.jetshop.simulator.clock import Clock
from connectors.jetshop.simulator.faults import IIS_503, FaultPlan
from connectors.jetshop.simulator.server import ResetConnection
from connectors.jetshop.simulator.state import SimConfig, SimState
from connectors.jetshop.wire import ENDPOINT_PATH, SERVICE_NS, format_datetime

log = logging.getLogger(__name__)
Handler = Callable[[SimState, Clock, soap.Request], bytes]
StartResponse = Callable[..., Any]
LOG_SIZE = 2000
# Handlers that change nothing, so a state file need not be rewritten after them (it can hold a
# 100,000-product catalogue that is being paged through).
_READ_ONLY = frozenset(
    {products.product_get, products.products_changed, orders.get, orders.order_statuses, orders.channels}
)


class JetshopSimulator:
    """``JetshopSimulator(config, seed="demo")`` is a WSGI callable; state lives on the instance."""

    def __init__(self, config: SimConfig | None = None, seed_name: str = "demo") -> None:
        self.config = config or SimConfig()
        self.seed_name = seed_name
        self.clock = Clock()
        self.faults = FaultPlan()
        self.state = SimState(self.config)
        self.log: deque[dict[str, Any]] = deque(maxlen=LOG_SIZE)
        self.calls = 0
        stored = SimState.load(self.config.state_file) if self.config.state_file else None
        if stored is not None:
            self.state.data = stored
        else:
            seed.seed(self.state, self.clock, seed_name)
        ops = self.config.operation_names()
        self.handlers: dict[str, Handler] = {
            "Product_Get": products.product_get,
            "Product_AddUpdate": products.product_add_update,
            "Product_Delete": products.product_delete,
            "PriceList_UpdateArticleIncVAT": pricelists.price_list_update,
            "ProductDynamicField_SaveProductDynamicFieldData": pricelists.dynamic_field_save,
            "Product_AddUpdateImages": pricelists.images_add_update,
            ops["list_by_status"]: orders.get_by_status,
            ops["get"]: orders.get,
            ops["update_status"]: orders.update_status,
            ops["statuses"]: orders.order_statuses,
            ops["channels"]: orders.channels,
            ops["products_changed"]: products.products_changed,
        }
        # The placeholder operations' parameters, declared in the WSDL from the tables the
        # handlers read them with.
        placeholders = {**orders.PARAMETERS, **products.PARAMETERS}
        self.order_parameters = {ops[role]: params for role, params in placeholders.items()}

    def reset(self, seed_name: str | None = None, next_order_id: int | None = None) -> None:
        with self.state.lock:
            self.clock.reset()
            self.faults.clear()
            self.log.clear()
            self.calls = 0
            self.state.duplicate_deliveries = 0
            seed.seed(self.state, self.clock, seed_name or self.seed_name)
            if next_order_id is not None:
                self.state.data["next_order_id"] = max(self.state.data["next_order_id"], int(next_order_id))
            self.state.save()

    # -- WSGI -------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_sim/"):
            return sidedoor.handle(self, environ, start_response)
        if path.lower() != ENDPOINT_PATH.lower():
            return _reply(start_response, "404 Not Found", b"Not Found", "text/plain")
        refusal = self.refuse(environ)
        if refusal is not None:
            status, headers, body = refusal
            start_response(status, [*headers, ("Content-Length", str(len(body)))])
            return [body]
        method = environ.get("REQUEST_METHOD", "GET")
        if method == "GET" and environ.get("QUERY_STRING", "").lower() == "wsdl":
            location = f"http://{environ.get('HTTP_HOST', 'localhost')}{ENDPOINT_PATH}"
            body = wsdl.render(list(self.handlers), location, self.order_parameters)
            return _reply(start_response, "200 OK", body, "text/xml; charset=utf-8")
        if method != "POST":
            return _reply(start_response, "405 Method Not Allowed", b"Method Not Allowed", "text/plain")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        return self._soap(raw, start_response)

    @property
    def max_body_bytes(self) -> int:
        """The server answers 413 to a longer body without reading it."""
        return self.config.max_body_bytes

    def refuse(self, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes] | None:
        """The answer to give before the body is read, or None to go on (status, headers, body).

        The server calls this with the headers only, so an unauthenticated or oversized request
        is answered without reading what it sends (IIS does the same: 401 and 413 come first).
        """
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_sim/") or path.lower() != ENDPOINT_PATH.lower():
            return None
        if not self._authorised(environ):
            return (
                "401 Unauthorized",
                [("Content-Type", "text/html"), ("WWW-Authenticate", 'Basic realm="integration.jetshop.se"')],
                b"401 - Unauthorized: Access is denied due to invalid credentials.",
            )
        return None

    def _authorised(self, environ: dict[str, Any]) -> bool:
        header = environ.get("HTTP_AUTHORIZATION", "")
        if not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
        except ValueError:
            return False
        return (user, password) == (self.config.username, self.config.password)

    def _soap(self, raw: bytes, start_response: StartResponse) -> Iterable[bytes]:
        # "at" is the shop's (settable) clock; "received" is the real epoch time, for measuring rates
        # even while a test has the shop's clock frozen.
        entry: dict[str, Any] = {
            "at": format_datetime(self.clock.now()),
            "received": time.time(),
            "operation": None,
        }
        try:
            req = soap.Request(raw)
            entry.update(operation=req.operation, shop_id=req.shop_id)
            fault = self.faults.take(req.operation)
            if fault is not None:
                entry["fault"] = fault.kind
                injected = self._inject(fault, start_response, entry)
                if injected is not None:
                    return injected
            body = self._dispatch(req)
            status = "200 OK"
        except soap.SoapFault as exc:
            body, status = soap.fault_body(exc.code, exc.text), "500 Internal Server Error"
        except ResetConnection:
            raise  # an injected fault: the server drops the connection
        except Exception as exc:
            # ASMX answers anything a handler throws as a soap:Receiver fault, never plain text;
            # the traceback goes to stderr, where a simulator bug is seen.
            log.exception("simulator: %s failed", entry.get("operation"))
            error = soap.server_error(f"System.Exception: {type(exc).__name__}")
            body, status = soap.fault_body(error.code, error.text), "500 Internal Server Error"
        entry.update(status=int(status[:3]), request=raw.decode("utf-8", "replace"))
        entry["response"] = body.decode("utf-8", "replace")
        self._record(entry)
        return _reply(start_response, status, body, "application/soap+xml; charset=utf-8")

    def _dispatch(self, req: soap.Request) -> bytes:
        handler = self.handlers.get(req.operation) if req.namespace == SERVICE_NS else None
        if handler is None:
            raise soap.SoapFault(
                "soap:Sender",
                "System.Web.Services.Protocols.SoapException: Unable to handle request without a valid "
                "action parameter. Please supply a valid soap action.",
            )
        with self.state.lock:
            self.state.shop_ids_seen.append(req.shop_id)
            if self.config.strict_shop_id and req.shop_id != self.config.shop_id:
                raise soap.SoapFault("soap:Sender", "System.ArgumentException: Unknown ShopId.")
            body = handler(self.state, self.clock, req)
            if self.config.state_file is not None and handler not in _READ_ONLY:
                self.state.save()
        return body

    def _inject(self, fault, start_response: StartResponse, entry: dict[str, Any]) -> Iterable[bytes] | None:
        """Apply a fault; ``None`` means "carry on and answer normally" (delays, duplicates)."""
        if fault.kind == "delay":
            time.sleep(fault.delay_seconds(self.faults.rng))
            return None
        if fault.kind == "duplicate_delivery":
            with self.state.lock:
                self.state.duplicate_deliveries += 1
            return None
        entry["status"] = {"503": 503, "receiver": 500, "429": 429, "reset": 0}[fault.kind]
        self._record(entry)
        if fault.kind == "reset":
            raise ResetConnection()
        if fault.kind == "503":
            return _reply(start_response, "503 Service Unavailable", IIS_503, "text/html; charset=us-ascii")
        if fault.kind == "429":
            return _reply(
                start_response, "429 Too Many Requests", b"Too Many Requests", "text/plain",
                [("Retry-After", str(fault.retry_after))],
            )  # fmt: skip
        body = soap.fault_body(
            "soap:Receiver",
            "System.Web.Services.Protocols.SoapException: Server was unable to process request. ---> "
            "System.Data.SqlClient.SqlException: Timeout expired.",
        )
        return _reply(
            start_response, "500 Internal Server Error", body, "application/soap+xml; charset=utf-8"
        )

    def _record(self, entry: dict[str, Any]) -> None:
        self.calls += 1
        entry["seq"] = self.calls
        self.log.append(entry)


def _reply(
    start_response: StartResponse,
    status: str,
    body: bytes,
    content_type: str,
    extra: list[tuple[str, str]] | None = None,
) -> list[bytes]:
    headers = [("Content-Type", content_type), ("Content-Length", str(len(body))), *(extra or [])]
    start_response(status, headers)
    return [body]


def make_app(seed_name: str = "demo", state_file: Path | None = None, **config: Any) -> JetshopSimulator:
    return JetshopSimulator(SimConfig(state_file=state_file, **config), seed_name)
