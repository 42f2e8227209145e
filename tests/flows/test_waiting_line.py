"""One waiting order never holds up the others; the events of one order stay in sequence; a
condition of the whole Visma side (agent offline, company locked) still holds everything."""

from __future__ import annotations

import pytest
from django.utils import timezone

from flows.engine import runner
from flows.models import StatusRule, SyncItem
from flows.modes import Flow
from tests.flows.test_orders_flow import order_spec, transfer

pytestmark = pytest.mark.django_db(transaction=True)
ORDERS, STATUS = Flow.SHOP_ORDERS_TO_VISMA, Flow.VISMA_ORDER_STATUS_TO_SHOP


def mine(integration, flow, prefix) -> list[SyncItem]:
    return list(
        SyncItem.objects.filter(integration=integration, flow=flow, reference__startswith=prefix).order_by(
            "id"
        )
    )


def back_off_passed(integration) -> None:
    """The clock moves past every back-off (what the next polls would see a little later)."""
    SyncItem.objects.filter(integration=integration, not_before__isnull=False).update(
        not_before=timezone.now()
    )


def test_orders_with_single_transient_errors_do_not_hold_the_others(integration, shop, agent, prefix):
    shop.place(*[order_spec(customer_id=None, email=f"kund{n}-{prefix}@example.se") for n in range(30)])
    # The next five shop-status updates fail once each (a flaky shop, after Visma has the order).
    shop.fault(kind="503", count=5, operation="Order_UpdateStatus")
    runner.run_flow(integration.pk, ORDERS)
    items = mine(integration, ORDERS, prefix)
    statuses = [i.status for i in items]
    assert statuses.count("done") == 25, "all but the five went through within the one poll"
    waiting = [i for i in items if i.status == "queued"]
    assert len(waiting) == 5 and all(i.reason == "transient" and i.not_before for i in waiting)
    # The five are the first five: each failed, and the ones behind it went on.
    assert waiting == items[:5]

    # A poll before their back-off has passed leaves them alone; after it, they follow.
    runner.run_flow(integration.pk, ORDERS)
    assert [i.status for i in mine(integration, ORDERS, prefix)].count("queued") == 5
    back_off_passed(integration)
    runner.run_flow(integration.pk, ORDERS)
    items = mine(integration, ORDERS, prefix)
    assert {i.status for i in items} == {"done"}
    for item in items:
        assert len(agent.documents(item.reference)) == 1, "each order once in Visma"


def test_events_of_one_order_stay_in_sequence_while_other_orders_pass(integration, shop, agent, prefix):
    StatusRule.objects.create(integration=integration, event="invoiced", shop_status_id=2, send_email=False)
    placed = {p["number"]: p for p in shop.place(order_spec(), order_spec())}
    a, b = transfer(integration)
    shop_a, shop_b = placed[a.reference.removeprefix(prefix)], placed[b.reference.removeprefix(prefix)]
    # A's "delivered" meets a 503 at the shop and waits for its back-off ...
    agent.deliver(int(a.target_id), tracking="PN-A")
    shop.fault(kind="503", count=1, operation="Order_UpdateStatus")
    runner.run_flow(integration.pk, STATUS)
    # ... then A is invoiced and B delivered: A's "invoiced" waits behind A's "delivered", B goes on.
    agent.client.sim("POST", f"orders/{a.target_id}/invoice")
    agent.deliver(int(b.target_id), tracking="PN-B")
    runner.run_flow(integration.pk, STATUS)
    events = {(i.reference, i.payload["event"]): i.status for i in mine(integration, STATUS, prefix)}
    assert events == {
        (a.reference, "delivered"): "queued",
        (a.reference, "invoiced"): "queued",
        (b.reference, "delivered"): "done",
    }
    assert shop.order(shop_b["id"])["status_id"] == 3
    assert shop.order(shop_a["id"])["status_id"] == 2, "A unchanged: nothing applied out of order"

    back_off_passed(integration)
    runner.run_flow(integration.pk, STATUS)
    history = [h["to_status_id"] for h in shop.order(shop_a["id"])["history"]]
    assert history[-2:] == [3, 2], "delivered (3) applied before invoiced (2)"


def test_a_locked_visma_company_holds_the_line_as_locked_not_offline(integration, shop, agent, prefix):
    shop.place(*[order_spec(customer_id=None, email=f"l{n}-{prefix}@example.se") for n in range(3)])
    agent.client.sim("POST", "faults", {"code": 486, "operation": "write", "remaining": 1})
    runner.run_flow(integration.pk, ORDERS)
    items = mine(integration, ORDERS, prefix)
    assert [(i.status, i.reason) for i in items] == [("queued", "visma_locked")] + [("queued", "")] * 2
    assert [i.attempts for i in items] == [0, 0, 0], (
        "a locked company uses up no attempt, and the orders claimed with the first are put back untried"
    )
    integration.agent.refresh_from_db()
    assert integration.agent.offline_since is None, "the agent answered: it is not offline"

    runner.run_flow(integration.pk, ORDERS)
    assert {i.status for i in mine(integration, ORDERS, prefix)} == {"done"}


def test_a_chunk_out_of_time_puts_the_rest_back_and_the_run_takes_them_again(
    integration, shop, agent, prefix, monkeypatch
):
    # Every chunk runs out of time after its first order (a very slow Visma, say): its other
    # claims go back to the queue as never tried, and the run claims them again in their turn.
    monkeypatch.setattr(runner, "CHUNK_SECONDS", 0.0)
    shop.place(*[order_spec(customer_id=None, email=f"t{n}-{prefix}@example.se") for n in range(5)])
    runner.run_flow(integration.pk, ORDERS)
    items = mine(integration, ORDERS, prefix)
    assert [(i.status, i.attempts) for i in items] == [("done", 1)] * 5
    for item in items:
        assert len(agent.documents(item.reference)) == 1, "each order once in Visma"
        assert [s.step for s in item.steps.order_by("at", "id")] == [
            "received", "mapped", "in_visma", "shop_status"
        ]  # fmt: skip
