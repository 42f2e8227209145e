"""Back-off with jitter: items that failed together come back spread out, never sooner than asked."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from flows import engine
from flows.models import SyncItem
from flows.modes import Flow
from tests.factories import IntegrationFactory

pytestmark = pytest.mark.django_db


def failed_together(count: int, attempts: int) -> list[SyncItem]:
    integration = IntegrationFactory()
    records = [
        engine.SourceRecord(source_id=f"j{i}", version="1", payload={}, reference=f"j{i}")
        for i in range(count)
    ]
    items = [
        engine.claim(i)
        for i in engine.ingest(engine.start_run(integration, Flow.SHOP_ORDERS_TO_VISMA), records)
    ]
    SyncItem.objects.filter(pk__in=[i.pk for i in items]).update(attempts=attempts)
    for item in items:
        item.attempts = attempts
    return items


def test_items_failing_together_come_back_spread_over_the_upper_half_of_their_step():
    items = failed_together(20, attempts=3)  # step 40 s: back between 20 and 40 s from now
    started = timezone.now()
    delays = [engine.back_off(item, "HTTP 503") for item in items]
    finished = timezone.now()

    assert all(20 <= d <= 40 for d in delays)
    assert max(delays) - min(delays) > 5, "not all in the same second"
    for item in SyncItem.objects.filter(pk__in=[i.pk for i in items]):
        assert item.status == "queued"
        assert started + timedelta(seconds=20) <= item.not_before <= finished + timedelta(seconds=40)


def test_retry_after_is_the_floor_of_the_wait():
    [item] = failed_together(1, attempts=8)  # a long exponential step does not apply
    before = timezone.now()

    delay = engine.back_off(item, "HTTP 429", retry_after=3)

    item.refresh_from_db()
    assert delay == 3
    assert item.not_before >= before + timedelta(seconds=3)
