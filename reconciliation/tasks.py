"""Celery tasks: thin, they take ids and call the modules that do the work."""

from __future__ import annotations

from celery import shared_task

from flows.models import Integration

from . import inbox, service
from .models import Payout
from .posting import NotPostable, post_payout


@shared_task(name="reconciliation.tasks.pull", ignore_result=True)
def pull(integration_id: int) -> None:
    """Beat: the watched folder and Klarna's Settlements API, then matching of what is still open."""
    integration = Integration.objects.select_related("customer").get(pk=integration_id)
    inbox.pull(integration)
    service.match(integration)


@shared_task(name="reconciliation.tasks.match", ignore_result=True)
def match(integration_id: int) -> None:
    service.match(Integration.objects.get(pk=integration_id))


@shared_task(name="reconciliation.tasks.post", ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def post(payout_id: int) -> None:
    # acks_late: a worker killed mid-posting leaves the task to run again, and the same
    # Idempotency-Keys make the agent answer with what it already wrote.
    payout = Payout.objects.select_related("integration").get(pk=payout_id)
    ledger = service.ledger_for(payout.integration)
    if ledger is None:
        return
    try:
        post_payout(payout.pk, ledger)
    except NotPostable:
        return
