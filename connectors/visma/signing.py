"""The agent's request signature, shared by the agent (verifies) and ``VismaClient`` (signs).

Wire contract (any client can be written from this):

* ``X-Agent-Key``: the key id;
* ``X-Agent-Timestamp``: Unix seconds as a decimal integer;
* ``X-Agent-Signature``: lowercase hex HMAC-SHA256 with the secret over the UTF-8 string
  ``METHOD + "\\n" + path-with-query + "\\n" + timestamp + "\\n" + hex SHA-256 of the raw body``
  (an empty body hashes as the SHA-256 of the empty string).

A signature is accepted once: two identical requests within the same second would sign alike, so
clients add a unique ``nonce`` query parameter to every request (the agent ignores its value).

Kept free of third-party imports: the agent runs with waitress only.
"""

from __future__ import annotations

import hashlib
import hmac
import time

KEY_HEADER = "X-Agent-Key"
TIMESTAMP_HEADER = "X-Agent-Timestamp"
SIGNATURE_HEADER = "X-Agent-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
NONCE_PARAM = "nonce"
MAX_SKEW_SECONDS = 300


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body or b"").hexdigest()


def string_to_sign(method: str, path_with_query: str, timestamp: str, body: bytes) -> str:
    return "\n".join((method.upper(), path_with_query, timestamp, body_digest(body)))


def signature(secret: str, method: str, path_with_query: str, timestamp: str, body: bytes) -> str:
    message = string_to_sign(method, path_with_query, timestamp, body).encode("utf-8")
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signed_headers(
    key_id: str, secret: str, method: str, path_with_query: str, body: bytes, *, now: float | None = None
) -> dict[str, str]:
    """The three authentication headers for one request."""
    timestamp = str(int(time.time() if now is None else now))
    return {
        KEY_HEADER: key_id,
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: signature(secret, method, path_with_query, timestamp, body),
    }


def signatures_match(expected: str, given: str) -> bool:
    # Constant-time comparison: a timing side channel would leak the signature byte by byte.
    return hmac.compare_digest(expected.encode("ascii"), given.encode("ascii", "replace"))
