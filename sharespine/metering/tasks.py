"""Thin Celery tasks of the metering."""

from __future__ import annotations

from celery import shared_task

from sharespine.metering import alerts


@shared_task(ignore_result=True)
def check_usage_warnings() -> int:
    """Warn the consultants about merchants that reached 80 % or 100 % of a tier this month."""
    return len(alerts.check())
