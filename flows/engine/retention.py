"""Bounded history (peers-and-lessons.md P13): successes are pruned, failures kept far longer.

What stays forever: ``ExternalRef`` (it is the mapping, not history), ``Cursor``, and items that
need attention (parked or failed) until someone resolves them.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from flows.models import JourneyStep, SyncItem, SyncRun

DONE_DAYS = 90  # finished work: long enough for any question about last quarter
FAILED_RUN_DAYS = 365  # runs that failed or left records for attention
JOURNEY_DAYS = 365
BATCH = 5000


def _delete_in_batches(queryset) -> int:  # type: ignore[no-untyped-def]
    """Delete ``BATCH`` rows at a time, so a first clean-up of millions never holds a long lock."""
    total = 0
    while True:
        ids = list(queryset.values_list("pk", flat=True)[:BATCH])
        if not ids:
            return total
        total += queryset.model.objects.filter(pk__in=ids).delete()[0]


def prune(now=None) -> dict[str, int]:  # type: ignore[no-untyped-def]
    now = now or timezone.now()
    done = now - timedelta(days=DONE_DAYS)
    kept = now - timedelta(days=FAILED_RUN_DAYS)
    return {
        "items": _delete_in_batches(
            SyncItem.objects.filter(
                status__in=[SyncItem.Status.DONE, SyncItem.Status.SKIPPED], updated_at__lt=done
            )
        ),
        "runs": _delete_in_batches(
            SyncRun.objects.filter(status=SyncRun.Status.SUCCEEDED, started_at__lt=done)
        )
        + _delete_in_batches(SyncRun.objects.filter(started_at__lt=kept)),
        "journey_steps": _delete_in_batches(
            JourneyStep.objects.filter(at__lt=now - timedelta(days=JOURNEY_DAYS))
        ),
    }
