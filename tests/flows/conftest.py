"""A shop and a Visma agent on loopback, and a merchant configured against them."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator

import pytest

from flows.demo.setup import ShopSpec, configure
from tests.factories import CustomerFactory
from tests.simulators import AGENT_KEY, AGENT_SECRET, Agent, Shop

ORDER_IDS = itertools.count(1_000, 1_000)


@pytest.fixture(scope="session")
def _shop() -> Iterator[Shop]:
    shop = Shop.in_thread("demo")
    yield shop
    shop.stop()


@pytest.fixture
def shop(_shop: Shop) -> Shop:
    # New order ids each test, as a shop never reuses one: the Visma agent lives all session and
    # remembers the Idempotency-Keys made of them.
    _shop.side("POST", "reset", {"seed": "demo", "next_order_id": next(ORDER_IDS)})
    return _shop


@pytest.fixture(scope="session")
def agent(tmp_path_factory) -> Iterator[Agent]:
    # Its own process: like the ADK, the simulated backend opens one company per process, and
    # the connector tests hold theirs in this one.
    running = Agent.in_process(tmp_path_factory.mktemp("visma") / "company.sqlite")
    yield running
    running.stop()


@pytest.fixture
def prefix() -> str:
    """Orders of each test get their own reference prefix: the Visma company lives all session."""
    return uuid.uuid4().hex[:4].upper() + "-"


@pytest.fixture
def integration(db, shop: Shop, agent: Agent, prefix: str):
    return configure(
        CustomerFactory(),
        shops=[ShopSpec("Demobutiken", shop.endpoint, reference_prefix=prefix)],
        agent_url=agent.base_url,
        key_id=AGENT_KEY,
        secret=AGENT_SECRET,
    )
