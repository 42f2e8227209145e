"""The agent ↔ gateway wire format, and how an agent proves who it is when it connects.

Kept free of third-party imports: the agent imports it on Windows with nothing but its own
requirements.

One WebSocket per agent. The gateway sends ``request`` messages, the agent answers each with a
``response`` message carrying the same id; several may be in flight at once. Both are JSON text
frames with the HTTP body in base64, so the bytes the server signed reach the agent's handlers
unchanged. The request is the exact signed HTTP request ``VismaClient`` would have sent over HTTP
(method, path with query, headers, body): the agent verifies the server's HMAC signature and
idempotency key itself, as in direct mode, so the transport adds no trust.

Connecting: ``GET /agent/v1/connect?nonce=<random>`` with the agent's ``X-Agent-Key``,
``X-Agent-Timestamp`` and ``X-Agent-Signature`` headers, signed exactly like a request to the agent
(``connectors/visma/signing.py``) with the agent's own secret. The gateway refuses (HTTP 401) an
unknown key, a bad signature, a timestamp outside ±300 s or a signature it has seen before.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

from connectors.visma import signing

CONNECT_PATH = "/agent/v1/connect"
# The agent's own limit on a request body is 8 MiB (agent/server.py MAX_BODY); base64 adds a third.
MAX_MESSAGE = 12 * 1024 * 1024
MAX_HEADERS = 50
MAX_ID = 64
# A closing code of our own (4000-4999 are the application's): the same key connected again.
CLOSE_REPLACED = 4000
CLOSE_REPLACED_REASON = "replaced by a newer connection for this key"


class WireError(ValueError):
    """A message that is not one of ours (refused, never half-understood)."""


def connect_request(key_id: str, secret: str, *, now: float | None = None) -> tuple[str, dict[str, str]]:
    """The path and headers an agent connects with."""
    path = f"{CONNECT_PATH}?nonce={secrets.token_hex(16)}"
    return path, signing.signed_headers(key_id, secret, "GET", path, b"", now=now)


def verify_connect(
    path: str,
    headers: Any,
    secret: str | None,
    *,
    now: float | None = None,
    max_skew: int = signing.MAX_SKEW_SECONDS,
) -> str:
    """Return "" when the key's secret signed this connection, or why it is refused."""
    if not secret:
        return "unknown key id"
    stamp = headers.get(signing.TIMESTAMP_HEADER, "") or ""
    given = (headers.get(signing.SIGNATURE_HEADER, "") or "").strip()
    if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= 12):
        return "missing or malformed timestamp"
    if abs((time.time() if now is None else now) - int(stamp)) > max_skew:
        return f"timestamp outside ±{max_skew} s"
    expected = signing.signature(secret, "GET", path, stamp, b"")
    return "" if signing.signatures_match(expected, given) else "bad signature"


@dataclass
class Message:
    kind: str  # "request" or "response"
    id: str
    method: str = ""
    path: str = ""
    status: int = 0
    headers: dict[str, str] | None = None
    body: bytes = b""
    deadline: float = 0.0  # Unix time after which the caller no longer waits (requests only)

    def encode(self) -> str:
        data: dict[str, Any] = {
            "type": self.kind,
            "id": self.id,
            "headers": self.headers or {},
            "body": base64.b64encode(self.body).decode("ascii"),
        }
        if self.kind == "request":
            data.update(method=self.method, path=self.path, deadline=self.deadline)
        else:
            data["status"] = self.status
        return json.dumps(data, separators=(",", ":"))


def request(
    rid: str, method: str, path: str, headers: dict[str, str], body: bytes, deadline: float
) -> Message:
    return Message("request", rid, method=method, path=path, headers=headers, body=body, deadline=deadline)


def response(rid: str, status: int, headers: dict[str, str], body: bytes) -> Message:
    return Message("response", rid, status=status, headers=headers, body=body)


def decode(text: str | bytes) -> Message:
    """Parse and check one message; anything else is a ``WireError``."""
    if len(text) > MAX_MESSAGE:
        raise WireError("message too large")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise WireError("not JSON") from exc
    if not isinstance(data, dict) or data.get("type") not in ("request", "response"):
        raise WireError("not a request or response")
    rid, headers = data.get("id"), data.get("headers", {})
    if not isinstance(rid, str) or not 0 < len(rid) <= MAX_ID:
        raise WireError("bad id")
    if (
        not isinstance(headers, dict)
        or len(headers) > MAX_HEADERS
        or not all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items())
    ):
        raise WireError("bad headers")
    try:
        body = base64.b64decode(data.get("body", ""), validate=True)
    except (binascii.Error, TypeError, ValueError) as exc:
        raise WireError("bad body") from exc
    if data["type"] == "request":
        method, path, deadline = data.get("method"), data.get("path"), data.get("deadline", 0)
        if method not in ("GET", "POST", "PUT", "DELETE", "PATCH") or not isinstance(path, str):
            raise WireError("bad method or path")
        if not path.startswith("/") or len(path) > 8192 or not isinstance(deadline, int | float):
            raise WireError("bad path or deadline")
        return request(rid, method, path, headers, body, float(deadline))
    status = data.get("status")
    if not isinstance(status, int) or not 100 <= status <= 599:
        raise WireError("bad status")
    return response(rid, status, headers, body)
