"""The signature contract: every refusal is a 401 and writes nothing."""

from __future__ import annotations

import json
import time

import pytest
import requests

from connectors.visma import signing
from connectors.visma.agent.auth import Authenticator, Unauthorized
from tests.connectors.visma.processes import KEY_ID, SECRET

ORDER = {
    "kind": "order",
    "customer_number": "1001",
    "reference": "AUTH-1",
    "rows": [{"article_number": "1001", "quantity": "1", "price": "249.00"}],
}


def _post(base_url: str, headers: dict[str, str], body: bytes) -> requests.Response:
    headers = {**headers, "Content-Type": "application/json", "Idempotency-Key": "auth-test"}
    return requests.post(f"{base_url}/v1/documents", data=body, headers=headers, timeout=10)


def _headers(
    body: bytes, *, secret: str = SECRET, key: str = KEY_ID, now: float | None = None
) -> dict[str, str]:
    return signing.signed_headers(key, secret, "POST", "/v1/documents", body, now=now)


@pytest.mark.parametrize(
    "tamper_case",
    [
        "bad_signature",
        "wrong_secret",
        "unknown_key",
        "skew_past",
        "skew_future",
        "no_headers",
        "body_changed",
    ],
)
def test_refused_requests_change_nothing(agent, client, tamper_case):
    body = json.dumps(ORDER).encode()
    before = client.sim("GET", "counts")
    headers = {
        "bad_signature": {**_headers(body), signing.SIGNATURE_HEADER: "0" * 64},
        "wrong_secret": _headers(body, secret="another-secret-0123456789"),
        "unknown_key": _headers(body, key="someone-else"),
        "skew_past": _headers(body, now=time.time() - 301),
        "skew_future": _headers(body, now=time.time() + 301),
        "no_headers": {},
        "body_changed": _headers(b"{}"),
    }[tamper_case]
    response = _post(agent.base_url, headers, body)
    assert response.status_code == 401
    assert response.json()["error"]["category"] == "unauthorized"
    assert client.sim("GET", "counts") == before
    assert client.find_documents("AUTH-1") == []


def test_replayed_signature_is_refused(agent, client):
    body = json.dumps({**ORDER, "reference": "AUTH-REPLAY"}).encode()
    headers = _headers(body)
    assert _post(agent.base_url, headers, body).status_code == 201
    before = client.sim("GET", "counts")
    replay = _post(agent.base_url, headers, body)
    assert replay.status_code == 401
    assert client.sim("GET", "counts") == before
    assert len(client.find_documents("AUTH-REPLAY")) == 1


def test_timestamp_inside_window_is_accepted(agent):
    path = "/v1/identity"
    headers = signing.signed_headers(KEY_ID, SECRET, "GET", path, b"", now=time.time() - 250)
    assert requests.get(agent.base_url + path, headers=headers, timeout=10).status_code == 200


def test_query_string_is_signed(agent):
    signed = signing.signed_headers(KEY_ID, SECRET, "GET", "/v1/stock?limit=1", b"")
    response = requests.get(agent.base_url + "/v1/stock?limit=2", headers=signed, timeout=10)
    assert response.status_code == 401


def test_health_is_public_and_reveals_only_liveness(agent):
    response = requests.get(agent.base_url + "/v1/health", timeout=10)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize("path", ["/v1/identity", "/v1/openapi.json", "/v1/stock", "/_sim/counts"])
def test_everything_else_needs_a_signature(agent, path):
    assert requests.get(agent.base_url + path, timeout=10).status_code == 401


def test_replay_memory_holds_only_the_window():
    now = [1_700_000_000.0]
    auth = Authenticator({KEY_ID: SECRET}, clock=lambda: now[0])

    def signed(i: int) -> tuple[str, dict[str, str]]:
        path = f"/v1/identity?nonce={i}"
        return path, signing.signed_headers(KEY_ID, SECRET, "GET", path, b"", now=now[0])

    first = signed(0)
    for path, headers in [first, *(signed(i) for i in range(1, 5))]:
        assert auth.verify("GET", path, headers, b"") == KEY_ID
    assert auth.remembered == 5
    with pytest.raises(Unauthorized):
        auth.verify("GET", *first, b"")
    now[0] += 302  # the five have left the ±300 s window: a replay fails on the clock instead
    with pytest.raises(Unauthorized):
        auth.verify("GET", *first, b"")
    auth.verify("GET", *signed(5), b"")
    assert auth.remembered == 1
