"""Outbound mode over real processes: a gateway on loopback, agents dialling out to it, real Redis.

What the transport must not change: the server signs, the agent verifies (a wrong signature is
still the agent's 401), an Idempotency-Key still makes a create safe to repeat. What it adds: the
agent's connection is authenticated, the newest one per key wins, and a cut connection or a
restarted gateway loses and duplicates nothing.
"""

from __future__ import annotations

import threading
import time
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from connectors.errors import ConnectorError, PermanentError, TransientError
from connectors.visma import protocol as P
from connectors.visma.agent.config import build
from connectors.visma.gateway import wire
from tests.connectors.visma.outbound import (
    GatewayProcess,
    Relay,
    dialling_out,
    gateway_client,
    sqlite_client,
    wait_connected,
)
from tests.connectors.visma.processes import seed

SECRET = "outbound-secret-0123456789abcdef"
pytestmark = pytest.mark.timeout(120)


def order(reference: str) -> P.DocumentInput:
    row = P.DocumentRowInput(article_number="1001", quantity=Decimal(2), price=Decimal("249.00"))
    return P.DocumentInput(kind="order", customer_number="1001", reference=reference, rows=[row])


@pytest.fixture
def key() -> str:
    return f"k-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def gateway(tmp_path: Path, key: str):
    running = GatewayProcess(tmp_path, {key: SECRET, f"{key}-other": SECRET}).start()
    yield running
    running.stop()


@pytest.fixture
def company(tmp_path: Path) -> Path:
    return seed(tmp_path / "company.sqlite")


def test_requests_through_the_gateway_are_signed_end_to_end_and_idempotent(tmp_path, gateway, key, company):
    with dialling_out(tmp_path, gateway.url, "--company", str(company), key_id=key, secret=SECRET) as agent:
        client = agent.client
        assert client.identity().company_name
        first = client.create_document(order("OUT-1"), "out-1")
        again = client.create_document(order("OUT-1"), "out-1")
        assert again.number == first.number
        assert len(client.find_documents("OUT-1")) == 1
        with pytest.raises(PermanentError) as reused:
            client.create_document(order("OUT-2"), "out-1")
        assert reused.value.code == 409
        # The gateway adds no trust: a request signed with another secret is the agent's 401.
        forged = gateway_client(key, "not-the-agents-secret-0123456789")
        with pytest.raises(PermanentError) as refused:
            forged.identity()
        assert refused.value.code == 401
        forged.close()
    assert "listening" not in agent.log_text()  # outbound only: no port at the merchant


def test_an_agent_with_a_wrong_key_is_refused_and_logged(tmp_path, gateway, key, company):
    other = str(tmp_path / "c2.sqlite")
    with (
        dialling_out(tmp_path, gateway.url, "--company", str(company), key_id=key, secret="wrong-" + SECRET,
                     wait=False) as wrong,
        dialling_out(tmp_path, gateway.url, "--company", other, key_id="nobody-knows", secret=SECRET,
                     wait=False) as unknown,
    ):  # fmt: skip
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and "unknown key id" not in gateway.log_text():
            time.sleep(0.1)
        while time.monotonic() < deadline and "refused this agent's key" not in wrong.log_text():
            time.sleep(0.1)
        log = gateway.log_text()
        assert f"refused agent connection from 127.0.0.1 for key {key!r}: bad signature" in log
        assert "refused agent connection from 127.0.0.1 for key 'nobody-knows': unknown key id" in log
        assert "refused this agent's key" in wrong.log_text()
        assert "refused this agent's key" in unknown.log_text()
        assert SECRET not in log
        started = time.monotonic()
        with pytest.raises(TransientError, match="not connected"):
            wrong.client.identity()
        # At once, not after the client's read timeout (30 s); the margin is for a busy machine.
        assert time.monotonic() - started < 10, "an unconnected agent is reported at once"


def test_a_replayed_connection_handshake_is_refused(gateway, key):
    path, headers = wire.connect_request(key, SECRET)
    with connect(gateway.url + path, additional_headers=headers):
        pass
    with pytest.raises(InvalidStatus) as replay:
        connect(gateway.url + path, additional_headers=headers)
    assert replay.value.response.status_code == 401
    assert "replayed signature" in gateway.log_text()
    stale_path, stale = wire.connect_request(key, SECRET, now=time.time() - 301)
    with pytest.raises(InvalidStatus):
        connect(gateway.url + stale_path, additional_headers=stale)


def test_the_newest_connection_for_a_key_wins(tmp_path, gateway, key, company):
    with dialling_out(tmp_path, gateway.url, "--company", str(company), key_id=key, secret=SECRET) as first:
        owner = first.client.http.broker.owner(key)
        other = str(tmp_path / "c2.sqlite")
        with dialling_out(
            tmp_path, gateway.url, "--company", other, key_id=key, secret=SECRET, wait=False
        ) as second:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and first.client.http.broker.owner(key) in (owner, None):
                time.sleep(0.05)
            assert first.client.http.broker.owner(key) not in (owner, None)
            while (
                time.monotonic() < deadline and "another connection uses the same key" not in first.log_text()
            ):
                time.sleep(0.05)
            assert "another connection uses the same key" in first.log_text()
            # Requests go to the newest: the second agent's own (empty) company answers.
            assert second.client.sim("GET", "counts")["ooi_head"] == 0


def _create_in_background(client, reference: str, key: str) -> tuple[threading.Thread, list]:
    outcome: list = []

    def create() -> None:
        try:
            outcome.append(client.create_document(order(reference), key))
        except ConnectorError as exc:
            outcome.append(exc)

    thread = threading.Thread(target=create)
    thread.start()
    return thread, outcome


def test_a_connection_cut_mid_request_loses_nothing_and_duplicates_nothing(tmp_path, gateway, key, company):
    relay = Relay(gateway.port)
    relayed = f"ws://127.0.0.1:{relay.port}"
    try:
        with dialling_out(tmp_path, relayed, "--company", str(company), key_id=key, secret=SECRET) as agent:
            client = agent.client
            client.sim("POST", "faults", {"operation": "write", "delay": 1.5})
            thread, outcome = _create_in_background(client, "CUT-1", "cut-1")
            time.sleep(0.6)  # the agent is writing the order now
            started = time.monotonic()
            relay.cut()
            thread.join(30)
            [error] = outcome
            assert isinstance(error, TransientError), error  # the engine's transient path retries
            assert time.monotonic() - started < 5, (
                "the caller hears of the cut, it does not wait out its timeout"
            )
            wait_connected(client, agent.log)  # the agent dials again by itself
            time.sleep(2)  # the write the cut interrupted has finished in Visma by now
            client.sim("DELETE", "faults")
            retried = client.create_document(order("CUT-1"), "cut-1")  # what the engine's retry sends
            assert [d.number for d in client.find_documents("CUT-1")] == [retried.number]
    finally:
        relay.close()


def test_a_gateway_restarted_mid_request_loses_nothing_and_duplicates_nothing(
    tmp_path, gateway, key, company
):
    with dialling_out(tmp_path, gateway.url, "--company", str(company), key_id=key, secret=SECRET) as agent:
        client = agent.client
        client.sim("POST", "faults", {"operation": "write", "delay": 1.5})
        thread, outcome = _create_in_background(client, "GW-1", "gw-1")
        time.sleep(0.6)
        gateway.kill()  # no goodbye: its claims stay in Redis until the agent connects elsewhere
        gateway.start()
        thread.join(30)
        [error] = outcome
        assert isinstance(error, TransientError), error
        # A request sent while the agent reconnects waits for it instead of failing.
        gateway.kill()
        gateway.start()
        assert client.sim("DELETE", "faults") == {"items": []}
        retried = client.create_document(order("GW-1"), "gw-1")
        assert [d.number for d in client.find_documents("GW-1")] == [retried.number]


def test_without_redis_the_sqlite_broker_carries_the_same_requests(tmp_path, key, company):
    """``make run`` has no Redis: the gateway and the workers share a SQLite file under var/."""
    broker_file = tmp_path / "agent-gateway.sqlite3"
    gateway = GatewayProcess(tmp_path, {key: SECRET}, sqlite=broker_file).start()
    try:
        with dialling_out(tmp_path, gateway.url, "--company", str(company), key_id=key, secret=SECRET,
                          wait=False) as agent:  # fmt: skip
            client = sqlite_client(broker_file, key, SECRET)
            wait_connected(client, agent.log)
            first = client.create_document(order("SQL-1"), "sql-1")
            assert client.create_document(order("SQL-1"), "sql-1").number == first.number
            assert [d.number for d in client.find_documents("SQL-1")] == [first.number]
            client.close()
    finally:
        gateway.stop()


def test_the_gateway_setting_is_checked_at_start():
    base = {"key_id": "k", "secret": SECRET, "company": "c.sqlite"}
    assert build(base | {"gateway": "wss://integration.example"}, None).gateway
    for wrong, message in [
        ("https://integration.example", "wss://"),
        ("wss://integration.example/agent", "address only"),
    ]:
        with pytest.raises(SystemExit, match=message):
            build(base | {"gateway": wrong}, None)
    with pytest.raises(SystemExit, match="proxy"):
        build(base | {"gateway": "wss://integration.example", "proxy": "socks5://p:1080"}, None)
