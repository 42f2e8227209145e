"""History is bounded: finished work goes after 90 days, what needs attention stays."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from flows import engine
from flows.engine import retention
from flows.models import ExternalRef, SyncItem, SyncRun
from flows.modes import Flow
from tests.factories import IntegrationFactory

pytestmark = pytest.mark.django_db


def test_old_successes_are_pruned_and_what_needs_attention_is_kept():
    integration = IntegrationFactory()
    run = engine.start_run(integration, Flow.SHOP_ORDERS_TO_VISMA)
    records = [
        engine.SourceRecord(source_id=s, version="1", payload={}, reference=s) for s in ("old", "new", "bad")
    ]
    engine.ingest(run, records)
    old, new, bad = (SyncItem.objects.get(source_id=s) for s in ("old", "new", "bad"))
    ExternalRef.objects.create(integration=integration, kind="order", shop_id="1:old", erp_id="order:1")
    SyncItem.objects.filter(pk__in=[old.pk, new.pk]).update(status="done")
    SyncItem.objects.filter(pk=bad.pk).update(status="parked")
    long_ago = timezone.now() - timedelta(days=120)
    SyncItem.objects.filter(pk__in=[old.pk, bad.pk]).update(updated_at=long_ago)
    SyncRun.objects.filter(pk=run.pk).update(status="succeeded", started_at=long_ago)

    counts = retention.prune()

    assert counts["items"] == 1 and counts["runs"] == 1
    assert set(SyncItem.objects.values_list("source_id", flat=True)) == {"new", "bad"}
    assert ExternalRef.objects.filter(shop_id="1:old").exists(), "the mapping is not history"
