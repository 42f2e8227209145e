"""The agent's WSGI application: routing, authentication, JSON in and out, error mapping.

Error answers carry ``{"error": ErrorInfo}``. Status codes: 400 malformed request, 401 refused
signature, 404 unknown record (``ADKE_NOT_FOUND``), 409 Idempotency-Key reused with another body,
422 Visma refused the data (permanent; the ADKE number is in ``code``), 503 with Retry-After when
the company is busy, locked, unavailable or the queue is full (transient).
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, quote

from connectors.visma import protocol as P
from connectors.visma.agent import openapi
from connectors.visma.agent.auth import Authenticator, Unauthorized
from connectors.visma.agent.declare import Route, declared
from connectors.visma.agent.errors import AdkError, CompanyUnavailable, Conflict, adke_name
from connectors.visma.agent.worker import QueueFull, WorkerTimeout
from connectors.visma.bounds import OutOfBounds

log = logging.getLogger("connectors.visma.agent.server")
MAX_BODY = 8 * 1024 * 1024
JSON_TYPE = "application/json; charset=utf-8"
STATUS_TEXT = {
    200: "OK",
    201: "Created",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Payload Too Large",
    422: "Unprocessable Entity",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class HttpError(Exception):
    def __init__(self, status: int, category: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.category = category
        self.message = message


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    params: dict[str, str] = field(default_factory=dict)  # the path's parameters, raw
    remote_addr: str = ""
    args: dict[str, Any] = field(default_factory=dict)  # the declared parameters, read and bounded
    record: Any = None  # the declared body record, decoded

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except (ValueError, UnicodeDecodeError) as exc:
            raise P.ProtocolError("the body is not valid JSON") from exc
        except RecursionError as exc:  # e.g. 100,000 nested arrays: no record of ours is that deep
            raise P.ProtocolError("the body is nested too deeply") from exc


@dataclass
class Response:
    status: int
    body: Any = None  # records (nested in dicts and lists too) are encoded by their own codec
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Request], Any]  # a Response, or the answer's body for the route's own status


class Router:
    """Serves declared routes (``declare.py``): reads their parameters and body, then calls the handler."""

    def __init__(self) -> None:
        self.routes: list[tuple[re.Pattern[str], Route]] = []

    def include(self, handlers: object) -> None:
        """Serve every route declared on ``handlers``' methods."""
        for declared_route in declared(handlers):
            self.serve(declared_route)

    def add(self, method: str, pattern: str, handler: Handler, summary: str = "", **declaration: Any) -> None:
        """Serve one route; ``declaration`` as for ``declare.route``."""
        self.serve(Route(method, pattern, summary, handler, **declaration))

    def describe(self, path: str) -> None:
        """Serve, at ``path``, the OpenAPI document of every documented route (this one included)."""
        self.add(
            "GET", path, lambda request: self.document, "This document", answer_text="OpenAPI 3 document"
        )

    @functools.cached_property
    def document(self) -> dict[str, Any]:
        return openapi.document(route for _, route in self.routes)  # built once all routes are in

    def serve(self, declared_route: Route) -> None:
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", declared_route.path)
        self.routes.append((re.compile(f"^{regex}$"), declared_route))

    @property
    def public(self) -> set[str]:
        return {r.path for _, r in self.routes if r.public}

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
        allowed = False
        for regex, declared_route in self.routes:
            found = regex.match(path)
            if found:
                if declared_route.method == method:
                    return declared_route, found.groupdict()
                allowed = True
        if allowed:
            raise HttpError(405, "bad_request", "method not allowed")
        raise HttpError(404, "not_found", "no such endpoint")

    def dispatch(self, request: Request) -> Response:
        declared_route, request.params = self.match(request.method, request.path)
        request.args = declared_route.read(
            {"path": request.params, "query": request.query, "header": request.headers}
        )
        if declared_route.body is not None:
            request.record = declared_route.body.from_dict(request.json())
        answer = declared_route.handler(request)
        return answer if isinstance(answer, Response) else Response(declared_route.status, answer)


def error_body(category: str, message: str, exc: AdkError | None = None, *, transient: bool = False) -> dict:
    info = P.ErrorInfo(category=category, message=message, transient=transient)
    if exc is not None:
        info.code, info.name, info.field, info.transient = exc.code, exc.name, exc.field, exc.transient
    return {"error": info.to_dict()}


def unavailable_body(exc: CompanyUnavailable) -> dict:
    """Cannot open the company: transient whatever the cause, with the ADK number when there is one."""
    body = error_body("transient", str(exc), transient=True)
    if exc.code is not None:
        body["error"].update(code=exc.code, name=adke_name(exc.code))
    return body


def map_exception(exc: BaseException) -> Response:
    if isinstance(exc, HttpError):
        return Response(exc.status, error_body(exc.category, exc.message))
    if isinstance(exc, OutOfBounds):  # well-formed, but not something Visma can hold or we can answer
        body = error_body("validation", str(exc))
        first = exc.first
        body["error"].update(field=first.field)
        if first.code is not None:
            body["error"].update(code=first.code, name=adke_name(first.code))
        return Response(422, body)
    if isinstance(exc, P.ProtocolError):
        return Response(400, error_body("bad_request", str(exc)))
    if isinstance(exc, Unauthorized):
        return Response(401, error_body("unauthorized", "request refused"))
    if isinstance(exc, Conflict):
        return Response(409, error_body("conflict", str(exc)))
    if isinstance(exc, AdkError):
        if exc.transient:
            return Response(503, error_body("transient", str(exc), exc), {"Retry-After": "5"})
        if exc.code == 115:
            return Response(404, error_body("not_found", str(exc), exc))
        return Response(422, error_body("validation", str(exc), exc))
    if isinstance(exc, CompanyUnavailable):
        return Response(503, unavailable_body(exc), {"Retry-After": "30"})
    if isinstance(exc, QueueFull):
        return Response(
            503, error_body("transient", "the agent is busy", transient=True), {"Retry-After": "1"}
        )
    if isinstance(exc, WorkerTimeout):
        return Response(
            503, error_body("transient", "timed out waiting", transient=True), {"Retry-After": "5"}
        )
    log.exception("internal error", exc_info=exc)
    return Response(500, error_body("internal", "internal error"))


class AgentApp:
    """WSGI callable. Routes declared ``public`` skip authentication (only the liveness probe)."""

    def __init__(self, router: Router, auth: Authenticator) -> None:
        self.router = router
        self.auth = auth

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        try:
            response = self.handle(environ)
        except BaseException as exc:  # every failure becomes a JSON answer, never a stack trace
            response = map_exception(exc)
        payload = b"" if response.body is None else json.dumps(P.encode(response.body)).encode("utf-8")
        headers = [("Content-Type", JSON_TYPE), ("Content-Length", str(len(payload)))]
        headers.extend(response.headers.items())
        start_response(f"{response.status} {STATUS_TEXT.get(response.status, 'Status')}", headers)
        return [payload]

    def handle(self, environ: dict[str, Any]) -> Response:
        method = environ.get("REQUEST_METHOD", "GET").upper()
        # WSGI hands PATH_INFO over as latin-1-decoded bytes; get the real (UTF-8) text back.
        path = environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8", "replace")
        query_string = environ.get("QUERY_STRING", "")
        raw_uri = environ.get("REQUEST_URI") or quote(path) + (f"?{query_string}" if query_string else "")
        length = environ.get("CONTENT_LENGTH") or "0"
        if not re.fullmatch(r"[0-9]{1,12}", length):  # not isdigit(): "²" passes it and breaks int()
            raise HttpError(400, "bad_request", "bad Content-Length")
        if int(length) > MAX_BODY:
            raise HttpError(413, "bad_request", "body too large")
        body = environ["wsgi.input"].read(int(length)) if int(length) else b""
        headers = {
            key[5:].replace("_", "-").title(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        if path not in self.router.public:
            self.auth.verify(method, raw_uri, headers, body)
        query = {
            k: v[-1] for k, v in parse_qs(query_string, keep_blank_values=True, errors="replace").items()
        }
        request = Request(method, path, query, headers, body, remote_addr=environ.get("REMOTE_ADDR", ""))
        return self.router.dispatch(request)
