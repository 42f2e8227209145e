"""Catalogue end to end: a 10,000-article initial sync survives SIGKILL, and orders keep flowing.

Production runs one worker per queue (docker-compose.yml, Procfile); so does this test: an
``orders`` worker and a ``bulk`` worker, the bulk one killed in the middle of the sync.
"""

from __future__ import annotations

import random
import subprocess
import sys
import time

import pytest
from django.utils import translation

from flows import initial_sync, later
from flows.demo.setup import ChannelSpec, ShopSpec, configure
from flows.models import InitialSync, SyncItem, SyncRun
from flows.modes import Flow
from tests.e2e.conftest import Beat, Worker
from tests.e2e.test_orders_e2e import finished, random_order
from tests.factories import CustomerFactory
from tests.simulators import AGENT_KEY, AGENT_SECRET, ROOT, Agent, Shop

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
ARTICLES = 10_000


@pytest.fixture
def big_agent(tmp_path):
    company = tmp_path / "company.sqlite"
    subprocess.run(
        [sys.executable, "-m", "connectors.visma.agent", "seed", "--company", str(company),
         "--articles", str(ARTICLES)],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    running = Agent.in_process(company)
    yield running
    running.stop()


@pytest.fixture
def workers():
    orders, bulk = Worker("orders", concurrency=1).start(), Worker("bulk", concurrency=1).start()
    yield orders, bulk
    orders.stop()
    bulk.stop()


def test_initial_sync_killed_midway_resumes_each_article_written_once_while_orders_flow(big_agent, workers):
    shop = Shop.in_process("empty")
    try:
        integration = configure(
            CustomerFactory(),
            shops=[ShopSpec("Butik", shop.endpoint, "SE-", [ChannelSpec("1", "Sverige", "SEK", "sv-SE")])],
            agent_url=big_agent.base_url, key_id=AGENT_KEY, secret=AGENT_SECRET,
        )  # fmt: skip
        sync = InitialSync.objects.create(
            integration=integration, shop=integration.shops.get(), direction="visma_to_shop"
        )
        initial_sync.start(sync)
        beat = Beat(integration.pk, (Flow.SHOP_ORDERS_TO_VISMA,))
        beat.until(lambda: InitialSync.objects.get(pk=sync.pk).status == "preview", timeout=120)
        sync.refresh_from_db()
        assert sync.report["counts"]["only_in_source"] >= ARTICLES and shop.calls("Product_AddUpdate") == []

        # A shop that answers each write in 100 ms makes the sync last long enough to watch.
        shop.fault(kind="delay", delay_ms=100, count=10_000, operation="Product_AddUpdate")
        initial_sync.confirm(sync)
        progress = lambda: InitialSync.objects.get(pk=sync.pk).done  # noqa: E731
        beat.until(lambda: progress() >= 2_000, timeout=120, every=0.2)

        # Orders placed now go through while the bulk worker is busy with the sync.
        placed = shop.place(*[random_order(random.Random(n), n, 1) for n in range(10)])
        beat.until(lambda: finished(integration, 10), timeout=60)
        assert InitialSync.objects.get(pk=sync.pk).status == "applying", "orders did not wait for the sync"
        assert all(big_agent.documents(f"SE-{o['number']}") for o in placed)

        # Kill the bulk worker while a batch is on its way to the shop (saved as in flight).
        _orders_worker, bulk_worker = workers
        in_flight = lambda: InitialSync.objects.get(pk=sync.pk).in_flight  # noqa: E731
        deadline = time.monotonic() + 30
        while not in_flight() and time.monotonic() < deadline:
            time.sleep(0.02)
        bulk_worker.kill()
        assert in_flight() and progress() < sync.total
        bulk_worker.start()
        beat.until(lambda: InitialSync.objects.get(pk=sync.pk).status == "done", timeout=240)

        products = shop.side("GET", "products")["products"]
        writes = {p["article"]: p["writes"] for p in products}
        assert len(writes) >= ARTICLES
        assert set(writes.values()) == {1}, "each article written exactly once"
        assert not SyncItem.objects.filter(integration=integration, status__in=["failed", "parked"]).exists()
        # Run logs keep each line as its message and values, put in the reader's language when read.
        with translation.override("en"):
            lines = [
                line
                for run in SyncRun.objects.filter(integration=integration)
                for line in later.read_log(run.log)
            ]
        resumed = [line for line in lines if "articles in flight had arrived" in line]
        assert resumed, "the batch in flight was checked against the shop on resume"
    finally:
        shop.stop()
