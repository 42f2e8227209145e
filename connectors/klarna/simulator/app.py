"""``/settlements/v1/payouts`` and ``/transactions`` over payouts held in memory.

Built from the API reference (OpenAPI 1.0.0-rc2): the same paths, parameters, paging object and
error shape (``{"error_code", "error_messages", "correlation_id"}``). A side door under ``/_sim``
adds payouts and injects a failure of the next N requests (500) for tests.
"""

from __future__ import annotations

import base64
import json
import threading
import uuid
from typing import Any
from urllib.parse import parse_qs

MAX_SIZE = 500


class KlarnaSimulator:
    def __init__(self, username: str = "klarna-user", password: str = "klarna-pass") -> None:
        self.credentials = (username, password)
        self.payouts: dict[str, dict[str, Any]] = {}
        self.transactions: dict[str, list[dict[str, Any]]] = {}
        self.fail_next = 0
        self.requests = 0
        self.lock = threading.Lock()

    def add_payout(self, payout: dict[str, Any], transactions: list[dict[str, Any]]) -> None:
        with self.lock:
            ref = str(payout["payment_reference"])
            self.payouts[ref] = payout
            self.transactions[ref] = [dict(t, payment_reference=ref) for t in transactions]

    # --- WSGI ------------------------------------------------------------------------------------

    def __call__(self, environ, start_response):
        status, body = self.handle(environ)
        data = json.dumps(body).encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
        return [data]

    @staticmethod
    def _error(status: str, code: str, message: str) -> tuple[str, dict]:
        return status, {"error_code": code, "error_messages": [message], "correlation_id": str(uuid.uuid4())}

    def _authorised(self, environ) -> bool:
        header = environ.get("HTTP_AUTHORIZATION", "")
        if not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return False
        return (user, password) == self.credentials

    def handle(self, environ) -> tuple[str, Any]:
        path = environ.get("PATH_INFO", "")
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        with self.lock:
            self.requests += 1
            if path.startswith("/_sim/"):
                return self._side_door(path, environ)
            if not self._authorised(environ):
                return self._error("401 Unauthorized", "UNAUTHORIZED", "Basic authentication failed")
            if self.fail_next > 0:
                self.fail_next -= 1
                return self._error("500 Internal Server Error", "INTERNAL_ERROR", "injected fault")
            try:
                offset = int(query.get("offset", 0))
                size = int(query.get("size", 20))
            except ValueError:
                return self._error("400 Bad Request", "BAD_VALUE", "offset and size must be integers")
            if offset < 0 or not 1 <= size <= MAX_SIZE:
                return self._error("400 Bad Request", "BAD_VALUE", f"size must be 1-{MAX_SIZE}")
            if path == "/settlements/v1/payouts":
                start, end = query.get("start_date", ""), query.get("end_date", "")
                items = [
                    p for p in sorted(self.payouts.values(), key=lambda p: p["payout_date"])
                    if (not start or p["payout_date"] >= start) and (not end or p["payout_date"] <= end)
                    and (not query.get("currency_code") or p["currency_code"] == query["currency_code"])
                ]  # fmt: skip
                return "200 OK", self._page("payouts", items, offset, size)
            if path.startswith("/settlements/v1/payouts/"):
                payout = self.payouts.get(path.rsplit("/", 1)[1])
                if payout is None:
                    return self._error("404 Not Found", "NOT_FOUND", "no such payout")
                return "200 OK", payout
            if path == "/settlements/v1/transactions":
                ref = query.get("payment_reference", "")
                return "200 OK", self._page("transactions", self.transactions.get(ref, []), offset, size)
            return self._error("404 Not Found", "NOT_FOUND", "no such resource")

    @staticmethod
    def _page(key: str, items: list, offset: int, size: int) -> dict[str, Any]:
        page = items[offset : offset + size]
        pagination = {"count": len(page), "total": len(items), "offset": offset}
        if offset + size < len(items):
            pagination["next"] = f"?offset={offset + size}&size={size}"
        return {key: page, "pagination": pagination}

    def _side_door(self, path: str, environ) -> tuple[str, Any]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = json.loads(environ["wsgi.input"].read(length) or b"{}") if length else {}
        if path == "/_sim/fail":
            self.fail_next = int(body.get("count", 1))
            return "200 OK", {"fail_next": self.fail_next}
        return self._error("404 Not Found", "NOT_FOUND", "no such side door")
