"""Orders and status end to end: two shops, a Visma agent and a real Celery worker, over real HTTP.

The test plays beat (it sends the same tasks beat would, every second) and plays the people: it
places orders in the shops, delivers them in Visma, pulls the plug on the agent, kills the worker.
"""

from __future__ import annotations

import random
from datetime import datetime
from decimal import Decimal

import pytest

from flows.demo.setup import ChannelSpec, ShopSpec, configure
from flows.models import JourneyStep, SyncItem, SyncRun, VismaAgent
from flows.modes import Flow
from tests.e2e.conftest import Beat
from tests.factories import CustomerFactory
from tests.simulators import AGENT_KEY, AGENT_SECRET, Agent

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
ORDERS, STATUS = Flow.SHOP_ORDERS_TO_VISMA, Flow.VISMA_ORDER_STATUS_TO_SHOP
# Visma demo articles by VAT rate (connectors/visma/agent/backends/simulated/seed.py)
ARTICLES = {
    "0.25": ["1001", "1002", "1003"],
    "0.12": ["2001", "2002"],
    "0.06": ["3001", "3002"],
    "0": ["4001"],
}
PEOPLE = [("Åsa", "Öberg"), ("Lars", "Nilsson"), ("Kari", "Nordmann"), ("Zoë", "Brännström")]


def setup(shops, agent, **options):
    return configure(
        CustomerFactory(),
        shops=[
            ShopSpec("Butik SE", shops[0].endpoint, "SE-", [ChannelSpec("1", "Sverige", "SEK", "sv-SE")]),
            ShopSpec("Butik NO", shops[1].endpoint, "NO-", [ChannelSpec("2", "Norge", "NOK", "nb-NO")]),
        ],
        agent_url=agent.base_url,
        key_id=AGENT_KEY,
        secret=AGENT_SECRET,
        **options,
    )


def random_order(rng: random.Random, n: int, channel: int) -> dict:
    first, last = rng.choice(PEOPLE)
    company = "Bygg & Järn AB" if n % 7 == 0 else ""
    rows = []
    for _ in range(rng.randint(1, 4)):
        vat = rng.choice(list(ARTICLES))
        unit = Decimal(rng.randint(1000, 99999)) / 100
        quantity = rng.randint(1, 5)
        discount = (unit * quantity / 10).quantize(Decimal("0.01")) if rng.random() < 0.2 else Decimal(0)
        rows.append(
            {"article_number": rng.choice(ARTICLES[vat]), "name": "vara", "quantity": quantity,
             "unit_price_inc_vat": str(unit), "vat": vat, "discount_inc_vat": str(discount)}
        )  # fmt: skip
    registered = n % 3 != 0
    return {
        "channel_id": channel,
        "currency": "SEK" if channel == 1 else "NOK",
        "culture": "sv-SE" if channel == 1 else "nb-NO",
        "customer_id": 1000 + n % 40 if registered else None,
        "email": f"kund{n % 40 if registered else n}@example.se",
        "bill_to": {"company": company, "first_name": first, "last_name": last, "address": f"Gatan {n}",
                    "zip_code": "111 22", "city": "Oslo" if channel == 2 else "Stockholm"},
        "payment_method": rng.choice(["KlarnaCheckout", "Invoice", "Dibs"]),
        "delivery_method": rng.choice(["PostNord MyPack", "Bring"]),
        "freight_inc_vat": rng.choice(["0", "49.00", "79.00"]),
        "rows": rows,
    }  # fmt: skip


def place_orders(shops, count: int, seed: int = 7) -> list[tuple[str, dict]]:
    """``count`` orders, half in each shop; returns (reference, placed order) pairs."""
    rng = random.Random(seed)
    placed = []
    for index, (shop, prefix, channel) in enumerate([(shops[0], "SE-", 1), (shops[1], "NO-", 2)]):
        specs = [random_order(rng, n, channel) for n in range(index * count, index * count + count // 2)]
        placed += [(prefix + o["number"], o) for o in shop.place(*specs)]
    return placed


def finished(integration, count: int) -> bool:
    open_items = SyncItem.objects.filter(integration=integration, flow=ORDERS).exclude(
        status__in=["done", "parked", "failed", "skipped"]
    )
    return (
        SyncItem.objects.filter(integration=integration, flow=ORDERS).count() >= count
        and not open_items.exists()
    )


def assert_exactly_once_and_to_the_ore(agent: Agent, placed) -> None:
    for reference, order in placed:
        documents = agent.documents(reference)
        assert len(documents) == 1, f"{reference}: {len(documents)} documents"
        [document] = documents
        # The shop's total to the öre; Visma then rounds to whole kronor (its own round-off line).
        assert document.total - document.round_off == Decimal(order["total_inc_vat"]), reference
        shop_rows = [(r["article_number"], Decimal(r["quantity"])) for r in order["rows"]]
        visma_rows = [(r.article_number, r.quantity_ordered) for r in document.rows if r.article_number]
        assert visma_rows == shop_rows, reference
        customer = agent.client.find_customers(number=document.customer_number)[0]
        assert customer.email == order["email"], reference


def test_200_orders_over_two_shops_reach_visma_exactly_once_and_bad_ones_wait(worker, shops, agent):
    integration = setup(shops, agent)
    placed = place_orders(shops, 200)
    bad = shops[0].place(
        {**random_order(random.Random(1), 900, 1), "rows": [{"article_number": "FINNS-EJ", "quantity": 1,
                                                            "unit_price_inc_vat": "10", "vat": "0.25"}]},
        {**random_order(random.Random(2), 901, 1), "payment_method": "Swish"},
    )  # fmt: skip
    beat = Beat(integration.pk, (ORDERS,))
    beat.until(lambda: finished(integration, 202), timeout=240)

    assert_exactly_once_and_to_the_ore(agent, placed)
    parked = SyncItem.objects.filter(integration=integration, status="parked").order_by("id")
    assert [(i.reference, i.result) for i in parked] == [
        (f"SE-{bad[0]['number']}", {"kind": "article", "value": "FINNS-EJ"}),
        (f"SE-{bad[1]['number']}", {"kind": "payment", "value": "Swish"}),
    ]
    assert agent.counts()["ooi_head"] == 200
    assert all(shops[0].order(o["id"])["status_id"] == 2 for ref, o in placed if ref.startswith("SE-"))


def test_worker_killed_mid_batch_still_exactly_once(worker, shops, agent):
    integration = setup(shops, agent)
    placed = place_orders(shops, 200, seed=11)
    beat = Beat(integration.pk, (ORDERS,))
    done = SyncItem.objects.filter(integration=integration, status="done")
    beat.until(lambda: done.count() >= 40, timeout=120, every=0.2)
    worker.kill()
    assert done.count() < 200, "the worker must die in the middle of the batch"
    worker.start()
    beat.until(lambda: finished(integration, 200), timeout=240)
    assert done.count() == 200
    assert_exactly_once_and_to_the_ore(agent, placed)


def test_agent_offline_orders_wait_and_drain_in_order(worker, shops, agent, client, django_user_model):
    integration = setup(shops, agent)
    port = int(agent.base_url.rsplit(":", 1)[1])
    agent.stop()
    placed = place_orders(shops, 20, seed=3)
    beat = Beat(integration.pk, (ORDERS,))
    waiting = SyncItem.objects.filter(integration=integration, status="queued", reason="agent_offline")
    beat.until(lambda: waiting.exists() and VismaAgent.objects.get(integration=integration).offline_since)
    # Three whole runs of the flow while the agent is away (counted, not slept for): none finished
    # an order, none gave one up.
    finished_runs = SyncRun.objects.filter(integration=integration, flow=ORDERS, finished_at__isnull=False)
    seen = finished_runs.count()
    beat.until(lambda: finished_runs.count() >= seen + 3)
    assert not SyncItem.objects.filter(integration=integration, status__in=["done", "failed"]).exists()
    # (A transactional test has no role groups: the migration's rows are flushed between tests.)
    client.force_login(django_user_model.objects.create_superuser("console-e2e", password="x"))
    page = client.get("/admin/flows/integration/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Visma agent offline" in page

    back = Agent.in_process(agent.company, port=port)
    try:
        beat.until(lambda: finished(integration, 20), timeout=120)
        assert_exactly_once_and_to_the_ore(back, placed)
        items = SyncItem.objects.filter(integration=integration).order_by("id")
        numbers = [int(i.target_id) for i in items]
        assert numbers == sorted(numbers), "orders drain oldest first"
        assert VismaAgent.objects.get(integration=integration).offline_since is None
    finally:
        back.stop()


def test_jetshop_429_and_503_bursts_lose_nothing_and_retry_after_is_honoured(worker, shops, agent):
    integration = setup(shops, agent)
    placed = place_orders(shops, 40, seed=5)
    shops[0].fault(kind="429", count=3, retry_after=3)
    shops[1].fault(kind="503", count=4)
    shops[0].fault(kind="429", count=2, retry_after=2, operation="Order_UpdateStatus")
    beat = Beat(integration.pk, (ORDERS,))
    beat.until(lambda: finished(integration, 40), timeout=180)
    assert_exactly_once_and_to_the_ore(agent, placed)
    assert SyncItem.objects.filter(integration=integration, status="done").count() == 40

    calls = sorted(shops[0].side("GET", "log")["calls"], key=lambda c: c["seq"])
    throttled = [(a, b) for a, b in zip(calls, calls[1:], strict=False) if a.get("status") == 429]
    assert len(throttled) == 5
    for refused, following in throttled:
        waited = (_at(following["at"]) - _at(refused["at"])).total_seconds()
        assert waited >= 1.9, f"called again {waited:.2f} s after a 429 that asked for 2-3 s"


def test_delivery_in_visma_gives_one_email_and_one_capture_even_when_the_event_comes_twice(
    worker, shops, agent
):
    integration = setup(shops, agent)
    placed = place_orders(shops, 10, seed=9)
    beat = Beat(integration.pk, (ORDERS, STATUS))
    beat.until(lambda: finished(integration, 10), timeout=120)
    se_orders = [(ref, o) for ref, o in placed if ref.startswith("SE-")]
    for ref, _order in se_orders:
        [document] = agent.documents(ref)
        agent.deliver(document.number, tracking=f"PN-{ref}")
    shops[0].fault(kind="duplicate_delivery", count=3)
    shipped = lambda: all(shops[0].order(o["id"])["status_id"] == 3 for _, o in se_orders)  # noqa: E731
    beat.until(shipped, timeout=120)
    # Every duplicate the shop was told to deliver has been served to a status pull, and a whole
    # status run has finished since then (runs of one flow do not overlap): the repeats were seen.
    beat.until(lambda: duplicates_served(shops[0]), timeout=60)
    status_runs = SyncRun.objects.filter(integration=integration, flow=STATUS, finished_at__isnull=False)
    # Empty polls roll up into one run with their count, so polls are counted, not rows.
    polls = lambda: sum(max(n, 1) for n in status_runs.values_list("empty_polls", flat=True))  # noqa: E731
    seen = polls()
    beat.until(lambda: polls() >= seen + 2, timeout=60)
    for ref, order in se_orders:
        state = shops[0].order(order["id"])
        assert state["status_id"] == 3
        # Card and Klarna payments are captured on delivery; an invoice has nothing to capture.
        captures = 0 if order["payment_method"] == "Invoice" else 1
        assert len(state["emails"]) == 1 and len(state["captures"]) == captures, ref
        assert state["tracking_numbers"] == [f"PN-{ref}"]
        steps = set(JourneyStep.objects.filter(order_ref=ref).values_list("step", flat=True))
        assert {"received", "mapped", "in_visma", "delivered", "shop_status", "email"} <= steps


def test_dry_run_writes_nothing_to_either_system(worker, shops, agent):
    integration = setup(shops, agent, live=False)
    placed = place_orders(shops, 10, seed=13)
    before = agent.counts()
    beat = Beat(integration.pk, (ORDERS, STATUS))
    beat.until(lambda: finished(integration, 10), timeout=120)
    assert agent.counts() == before
    assert all(not agent.documents(ref) for ref, _ in placed)
    for shop in shops:
        assert all(o["status_id"] == 1 and not o["history"] for o in shop.side("GET", "orders")["orders"])
    assert JourneyStep.objects.filter(integration=integration, step="would_write").count() == 10


def duplicates_served(shop) -> bool:
    pending = shop.side("GET", "faults")
    return not pending["faults"] and pending["duplicate_deliveries"] == 0


def _at(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp)
