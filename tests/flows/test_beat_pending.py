"""Beat sends an orders or status run only while none is pending (flows.engine.beat): a tick that
finds the last run still queued is dropped, and the run it waits for misses nothing."""

from __future__ import annotations

import uuid

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings
from django_celery_beat.models import PeriodicTask

from flows import tasks
from flows.engine import beat
from flows.engine.schedules import task_name
from flows.models import SyncItem
from flows.modes import Flow
from sharespine.celery import app
from tests.flows.test_orders_flow import order_spec

pytestmark = pytest.mark.django_db(transaction=True)
ORDERS = Flow.SHOP_ORDERS_TO_VISMA


@pytest.fixture
def ticks(integration):
    """Beat's scheduler, ticking the integration's orders schedule onto a queue of the test's own
    on the test Redis; yields (tick, messages waiting in the queue)."""
    periodic = PeriodicTask.objects.get(name=task_name(integration.pk, ORDERS))
    periodic.queue = f"test-pending-{uuid.uuid4().hex[:8]}"
    periodic.save()
    scheduler = beat.Scheduler(app=app, lazy=True)
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    cache.delete(beat.pending_key(integration.pk, ORDERS))

    def tick() -> None:
        scheduler.apply_async(scheduler.Entry(PeriodicTask.objects.get(pk=periodic.pk), app=app))

    yield tick, lambda: broker.llen(periodic.queue)
    broker.delete(periodic.queue)
    broker.close()
    cache.delete(beat.pending_key(integration.pk, ORDERS))


def test_a_tick_while_the_run_is_pending_is_dropped_and_the_run_takes_what_came_meanwhile(
    integration, shop, ticks
):
    tick, waiting = ticks
    shop.place(order_spec(customer_id=801))
    tick()
    assert waiting() == 1
    # The worker is busy elsewhere: the next ticks find the run still queued and send nothing.
    shop.place(order_spec(customer_id=802))
    tick()
    tick()
    assert waiting() == 1

    # The one run (as the worker runs its message) takes both orders.
    tasks.run_flow(integration.pk, ORDERS)
    items = SyncItem.objects.filter(integration=integration, flow=ORDERS)
    assert sorted(items.values_list("status", flat=True)) == ["done", "done"]

    # Over: the next tick sends a run again.
    tick()
    assert waiting() == 2


def test_orders_and_status_schedules_wait_for_the_pending_run_instead_of_expiring(integration):
    expiry = dict(
        PeriodicTask.objects.filter(name__startswith=f"flow:{integration.pk}:").values_list(
            "name", "expire_seconds"
        )
    )
    assert expiry[task_name(integration.pk, ORDERS)] is None
    assert expiry[task_name(integration.pk, Flow.VISMA_ORDER_STATUS_TO_SHOP)] is None
    # The heartbeat (and the catalogue flows, on the bulk queue) keep dropping a stale message.
    assert expiry[task_name(integration.pk, "agent-heartbeat")] == 60


def test_a_run_that_drains_a_backlog_stays_the_pending_one_until_its_last_batch(integration):
    kwargs = {"integration_id": integration.pk, "flow": ORDERS}
    key = beat.pending_key(integration.pk, ORDERS)
    cache.delete(key)
    assert beat.may_send(beat.RUN_FLOW_TASK, kwargs, 60)
    beat.run_ended(integration.pk, ORDERS, "schedule", continues=True)
    assert not beat.may_send(beat.RUN_FLOW_TASK, kwargs, 60)
    # A run someone started by hand neither waits for nor frees beat's.
    beat.run_ended(integration.pk, ORDERS, "manual")
    assert not beat.may_send(beat.RUN_FLOW_TASK, kwargs, 60)
    beat.run_ended(integration.pk, ORDERS, "schedule")
    assert beat.may_send(beat.RUN_FLOW_TASK, kwargs, 60)
    cache.delete(key)


def test_the_demo_without_redis_holds_runs_in_its_file_cache(tmp_path):
    """``make run`` has no Redis: beat and the worker share the file cache under var/."""
    files = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                         "LOCATION": str(tmp_path / "cache")}}  # fmt: skip
    kwargs = {"integration_id": 7, "flow": Flow.VISMA_ORDER_STATUS_TO_SHOP}
    with override_settings(CACHES=files):
        assert beat.may_send(beat.RUN_FLOW_TASK, kwargs, 60)
        assert not beat.may_send(beat.RUN_FLOW_TASK, kwargs, 60)
        # Other tasks and the catalogue flows are not held.
        assert beat.may_send(beat.RUN_FLOW_TASK, {"integration_id": 7, "flow": Flow.VISMA_STOCK_TO_SHOP}, 60)
        assert beat.may_send("flows.tasks.sweep_stuck", {}, 60)
        beat.run_ended(7, Flow.VISMA_ORDER_STATUS_TO_SHOP, "schedule")
        assert beat.may_send(beat.RUN_FLOW_TASK, kwargs, 60)
