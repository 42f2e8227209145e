"""Orders and status end to end with the agent in outbound mode (the normal one): the agent dials the
agent gateway (``manage.py agent_gateway``, its own process) and nothing listens at the merchant.

Same shops, same Celery worker on real Redis, same checks as ``test_orders_e2e.py``; what changes is
the road between the worker and the agent — and what can break on it: the gateway restarted in the
middle of a batch, the agent's line cut.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from flows.demo.setup import ChannelSpec, ShopSpec, configure
from flows.models import SyncItem, VismaAgent
from flows.modes import Flow
from tests.connectors.visma.outbound import (
    GatewayServer,
    Relay,
    gateway_client,
    wait_connected,
    wait_for_port,
)
from tests.e2e.conftest import Beat
from tests.e2e.test_orders_e2e import assert_exactly_once_and_to_the_ore, finished, place_orders
from tests.factories import CustomerFactory
from tests.simulators import AGENT_KEY, AGENT_SECRET, ROOT, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
ORDERS, STATUS = Flow.SHOP_ORDERS_TO_VISMA, Flow.VISMA_ORDER_STATUS_TO_SHOP


class DjangoGateway(GatewayServer):
    """``manage.py agent_gateway`` on the test database (it reads the agents' secrets there)."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.log = ROOT / "var" / "test" / f"gateway-{os.getpid()}-{self.port}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> DjangoGateway:
        db = settings.DATABASES["default"]
        env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{connection.settings_dict['NAME']}",
        }
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "agent_gateway", "--port", str(self.port),
             "--refresh", "1", "--ping", "1"],
            cwd=ROOT, env=env, stdout=self.log.open("ab"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_for_port(self.port, self.process, self.log)
        return self


class OutboundAgent:
    """The simulated agent dialling out (``serve --gateway``); the test reaches it through the gateway."""

    def __init__(self, company: Path, gateway_port: int) -> None:
        self.company = company
        self.log = company.with_suffix(f".{time.monotonic_ns()}.log")
        env = {**os.environ, "VISMA_AGENT_KEY_ID": AGENT_KEY, "VISMA_AGENT_SECRET": AGENT_SECRET}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "connectors.visma.agent", "serve", "--backend", "simulated",
             "--company", str(company), "--seed", "demo", "--gateway", f"ws://127.0.0.1:{gateway_port}"],
            cwd=ROOT, env=env, stdout=self.log.open("ab"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.client = gateway_client(AGENT_KEY, AGENT_SECRET)
        try:
            wait_connected(self.client, self.log, timeout=60)
        except AssertionError:
            self.stop()
            raise

    def documents(self, reference: str):  # type: ignore[no-untyped-def]
        return self.client.find_documents(reference)

    def deliver(self, number: int, tracking: str = "") -> dict:
        return self.client.sim("POST", f"orders/{number}/deliver", {"tracking_number": tracking})

    def counts(self) -> dict:
        return self.client.sim("GET", "counts")

    def stop(self) -> None:
        self.client.close()
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


@pytest.fixture
def gateway() -> Iterator[DjangoGateway]:
    running = DjangoGateway().start()
    yield running
    running.stop()


@pytest.fixture
def relay(gateway: DjangoGateway) -> Iterator[Relay]:
    """The merchant's line to the server: the agent dials the gateway through it."""
    line = Relay(gateway.port)
    yield line
    line.close()


@pytest.fixture
def start_agent(tmp_path: Path, relay: Relay) -> Iterator[Callable[[], OutboundAgent]]:
    """Started once the integration is configured: the gateway refuses a key it does not know yet."""
    started: list[OutboundAgent] = []

    def start() -> OutboundAgent:
        started.append(OutboundAgent(tmp_path / "company.sqlite", relay.port))
        return started[-1]

    yield start
    for agent in started:
        agent.stop()


def setup(shops):  # type: ignore[no-untyped-def]
    # No agent URL: the agent is outbound, the server only knows its key.
    return configure(
        CustomerFactory(),
        shops=[
            ShopSpec("Butik SE", shops[0].endpoint, "SE-", [ChannelSpec("1", "Sverige", "SEK", "sv-SE")]),
            ShopSpec("Butik NO", shops[1].endpoint, "NO-", [ChannelSpec("2", "Norge", "NOK", "nb-NO")]),
        ],
        key_id=AGENT_KEY,
        secret=AGENT_SECRET,
        agent_mode=VismaAgent.Mode.OUTBOUND,
    )


def connected(integration) -> bool:  # type: ignore[no-untyped-def]
    agent = VismaAgent.objects.get(integration=integration)
    return agent.connected_since is not None and agent.round_trip_ms is not None


def test_orders_reach_visma_exactly_once_and_statuses_come_back_outbound(
    worker, shops, gateway, relay, start_agent
):
    integration = setup(shops)
    outbound_agent = start_agent()
    placed = place_orders(shops, 40, seed=21)
    beat = Beat(integration.pk, (ORDERS, STATUS))
    beat.until(lambda: finished(integration, 40), timeout=180)
    assert_exactly_once_and_to_the_ore(outbound_agent, placed)
    assert outbound_agent.counts()["ooi_head"] == 40
    assert all(shops[0].order(o["id"])["status_id"] == 2 for ref, o in placed if ref.startswith("SE-"))

    se_orders = [(ref, o) for ref, o in placed if ref.startswith("SE-")][:5]
    for ref, _order in se_orders:
        [document] = outbound_agent.documents(ref)
        outbound_agent.deliver(document.number, tracking=f"PN-{ref}")
    beat.until(lambda: all(shops[0].order(o["id"])["status_id"] == 3 for _, o in se_orders), timeout=120)
    assert all(shops[0].order(o["id"])["tracking_numbers"] == [f"PN-{ref}"] for ref, o in se_orders)

    # The console's "connected since / last seen / round trip" come from the gateway.
    beat.until(lambda: connected(integration), timeout=30)
    row = VismaAgent.objects.get(integration=integration)
    assert row.offline_since is None and row.last_seen_at is not None and row.round_trip_ms < 1000
    assert "listening" not in outbound_agent.log.read_text()


def test_gateway_restarted_and_line_cut_mid_batch_lose_nothing_and_duplicate_nothing(
    worker, shops, gateway, relay, start_agent
):
    integration = setup(shops)
    outbound_agent = start_agent()
    placed = place_orders(shops, 120, seed=23)
    beat = Beat(integration.pk, (ORDERS,))
    done = SyncItem.objects.filter(integration=integration, status="done")
    errors: set[str] = set()  # what the waiting items were told (cleared once they are done)

    def reached(count: int) -> bool:
        errors.update(SyncItem.objects.filter(integration=integration).exclude(last_error="").values_list(
            "last_error", flat=True))  # fmt: skip
        return done.count() >= count

    beat.until(lambda: reached(20), timeout=120, every=0.2)
    gateway.kill()  # no goodbye: its claim on the agent stays in Redis until the agent reconnects
    gateway.start()
    beat.until(lambda: reached(60), timeout=120, every=0.2)
    relay.cut()  # the office's line drops with requests in flight
    beat.until(lambda: reached(80), timeout=120, every=0.2)
    assert done.count() < 120, "the cuts must come in the middle of the batch"
    relay.cut()
    beat.until(lambda: reached(120) and finished(integration, 120), timeout=240, every=0.2)
    assert done.count() == 120
    # The cuts hit requests in flight: they were told the connection went, or waited for an
    # answer that never came (which of the two depends on where in the request the cut fell).
    interrupted = ("lost its connection", "connection ended", "timeout waiting for the Visma agent")
    assert any(sign in e for e in errors for sign in interrupted), errors
    assert_exactly_once_and_to_the_ore(outbound_agent, placed)
    assert outbound_agent.counts()["ooi_head"] == 120


def test_the_agent_going_away_shows_offline_since_and_coming_back_clears_it(
    worker, shops, gateway, relay, start_agent, client, django_user_model
):
    integration = setup(shops)
    outbound_agent = start_agent()
    beat = Beat(integration.pk, ())
    beat.until(lambda: connected(integration), timeout=30)
    outbound_agent.stop()
    beat.until(lambda: VismaAgent.objects.get(integration=integration).offline_since is not None, timeout=30)
    assert VismaAgent.objects.get(integration=integration).connected_since is None
    client.force_login(django_user_model.objects.create_superuser("outbound-e2e", password="x"))
    page = client.get("/admin/flows/integration/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Visma agent offline" in page

    placed = place_orders(shops, 6, seed=25)
    beat = Beat(integration.pk, (ORDERS,))
    waiting = SyncItem.objects.filter(integration=integration, status="queued", reason="agent_offline")
    beat.until(waiting.exists, timeout=60)
    back = start_agent()
    beat.until(lambda: finished(integration, 6), timeout=120)
    assert_exactly_once_and_to_the_ore(back, placed)
    row = VismaAgent.objects.get(integration=integration)
    assert row.offline_since is None and row.connected_since is not None
