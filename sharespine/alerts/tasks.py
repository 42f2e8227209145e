"""Thin Celery task of the alerts: the check itself is ``check.run``."""

from __future__ import annotations

from celery import shared_task

from sharespine.alerts import check


@shared_task(name="sharespine.alerts.tasks.check_alerts", ignore_result=True)
def check_alerts() -> int:
    """Find problems, mail the new and the resolved ones and the digests due. Returns mails sent."""
    return len(check.run().mails)
