"""The signature contract: every refusal is a 401 and writes nothing."""

from __future__ import annotations

import json
import time

import pytest
import requests

from connectors.visma import protocol as P
from connectors.visma import signing
from connectors.visma.agent.auth import Authenticator, Unauthorized
from connectors.visma.agent.state import SeenSignatures
from connectors.visma.signing import IDEMPOTENCY_HEADER
from tests.connectors.visma.processes import KEY_ID, SECRET, config_file, seed, serving

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


def _send(base_url: str, method: str, path: str, body: bytes, headers: dict[str, str]) -> requests.Response:
    headers = {**headers, "Content-Type": "application/json"}
    return requests.request(method, base_url + path, data=body, headers=headers, timeout=10)


def test_replay_after_a_restart_is_refused(tmp_path):
    """A signed write captured before a restart is refused when replayed within the window after it."""
    company = seed(tmp_path / "company.sqlite")
    article = json.dumps({"name": "Original name"}).encode()
    customer = json.dumps({"number": "REPLAY-1", "name": "Replay Kund"}).encode()
    captured = {
        "article": signing.signed_headers(KEY_ID, SECRET, "PUT", "/v1/articles/REPLAY-A", article),
        "customer": {
            **signing.signed_headers(KEY_ID, SECRET, "POST", "/v1/customers", customer),
            IDEMPOTENCY_HEADER: "replay-customer",
        },
    }
    args = ("--company", str(company), "--config", config_file(tmp_path, {}))
    with serving(tmp_path, *args) as agent:
        assert _send(agent.base_url, "PUT", "/v1/articles/REPLAY-A", article, captured["article"]).ok
        assert _send(agent.base_url, "POST", "/v1/customers", customer, captured["customer"]).ok
        # A later change, which a replay of the first PUT would revert.
        agent.client.put_article("REPLAY-A", P.ArticleInput(name="Renamed by the merchant"))
    with serving(tmp_path, *args) as agent:  # a new agent process on the same state database
        replayed = _send(agent.base_url, "PUT", "/v1/articles/REPLAY-A", article, captured["article"])
        assert replayed.status_code == 401
        assert (
            _send(agent.base_url, "POST", "/v1/customers", customer, captured["customer"]).status_code == 401
        )
        assert agent.client.get_article("REPLAY-A").name == "Renamed by the merchant"
        assert len(agent.client.find_customers(number="REPLAY-1")) == 1
        assert "replayed signature" in agent.log_text()


def test_seen_signatures_outlive_the_authenticator(tmp_path):
    now = [1_700_000_000.0]
    path = f"/v1/identity?nonce={time.time()}"
    headers = signing.signed_headers(KEY_ID, SECRET, "GET", path, b"", now=now[0])
    first = SeenSignatures(tmp_path / "state.sqlite")
    assert Authenticator({KEY_ID: SECRET}, seen=first, clock=lambda: now[0]).verify("GET", path, headers, b"")
    first.close()
    second = SeenSignatures(tmp_path / "state.sqlite")
    restarted = Authenticator({KEY_ID: SECRET}, seen=second, clock=lambda: now[0])
    with pytest.raises(Unauthorized, match="replayed"):
        restarted.verify("GET", path, headers, b"")
    assert restarted.remembered == 1
    now[0] += 302  # out of the window: refused on the clock, and no longer held
    with pytest.raises(Unauthorized, match="outside"):
        restarted.verify("GET", path, headers, b"")
    fresh = "/v1/identity?nonce=later"
    restarted.verify("GET", fresh, signing.signed_headers(KEY_ID, SECRET, "GET", fresh, b"", now=now[0]), b"")
    assert restarted.remembered == 1
    second.close()


@pytest.mark.parametrize("stamp", ["²", "¹²³", "١٢٣", "12a", "-5", ""])
def test_malformed_timestamps_are_401_not_500(agent, stamp):
    body = json.dumps(ORDER).encode()
    headers = {**_headers(body), signing.TIMESTAMP_HEADER: stamp}
    # Header values travel as latin-1; "¹²³" and "²" fit it, the Arabic digits go as UTF-8 bytes.
    encoded = {k: v.encode("utf-8").decode("latin-1") if not v.isascii() else v for k, v in headers.items()}
    response = _post(agent.base_url, encoded, body)
    assert response.status_code == 401
    assert response.json()["error"]["category"] == "unauthorized"


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/v1/documents"), ("POST", "/v1/customers"), ("PUT", "/v1/articles/DEEP-1")],
)
def test_deeply_nested_json_is_400_not_500(agent, client, method, path):
    body = b"[" * 100_000 + b"]" * 100_000
    signed = signing.signed_headers(KEY_ID, SECRET, method, path, body)
    before = client.sim("GET", "counts")
    response = _send(agent.base_url, method, path, body, {**signed, "Idempotency-Key": "deep-json"})
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["error"]["message"]
    assert client.sim("GET", "counts") == before


@pytest.mark.parametrize("length", ["²", "¹²³"])
def test_unicode_digit_content_length_is_400(agent, length):
    # Only reachable below the HTTP server, so this goes through the WSGI app directly.
    from connectors.visma.agent.server import AgentApp, Router

    app = AgentApp(Router(), Authenticator({KEY_ID: SECRET}))
    status = []
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/v1/customers", "CONTENT_LENGTH": length}
    app(environ, lambda s, h: status.append(s))
    assert status == ["400 Bad Request"]
