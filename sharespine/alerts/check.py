"""The alert check (every few minutes from beat): find problems, keep their state, mail once.

1. Each integration gets its alert settings row, with the defaults, the first time it is seen.
2. The problems of every integration with alerts on come from four grouped queries
   (``problems.current``).
3. Their rows: a new problem inserts an open alert (ON CONFLICT DO NOTHING against the one
   unresolved alert per problem, so a second worker inserts nothing); a known one gets its new
   count; a problem no longer found is resolved at once if nobody was told, otherwise marked gone
   for its "resolved" mail.
4. Digests due (the settings row locked, ``digest_sent_on`` moved to today in the same
   transaction): everything open and everything resolved in the last day, per recipient; the
   alerts it told about count as told.
5. Alert and "resolved" mails outside the quiet hours, each alert locked (FOR UPDATE SKIP LOCKED)
   and moved on in the transaction that mails it: a restart or a second worker finds it notified
   (or locked, and skips it) and never mails it again. A mail that fails rolls back its alert,
   which is mailed at the next check.

The number of queries does not grow with the number of items: steps 1–3 take eight, and each mail
a few more.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation

from flows.models import Integration
from sharespine.alerts import problems, texts
from sharespine.alerts.models import Alert, AlertSettings, SentMail
from sharespine.alerts.recipients import Book, Recipient

log = logging.getLogger("sharespine.alerts")
DIGEST_COVERS = timedelta(days=1)
ACTIVE = (Alert.State.OPEN, Alert.State.NOTIFIED)


@dataclass
class Outcome:
    opened: int = 0
    resolved: int = 0
    mails: list[SentMail] = field(default_factory=list)


def run(now: datetime | None = None) -> Outcome:
    now = now or timezone.now()
    outcome = Outcome()
    every = _settings()
    watched = {pk: s for pk, s in every.items() if s.enabled}
    found = problems.current(watched, now)
    _record(found, set(watched), now, outcome)
    book = Book({s.integration.customer_id for s in watched.values()})
    for alert_settings in watched.values():
        if _digest_due(alert_settings, now):
            outcome.mails += _send_digest(alert_settings, book, now)
    speaking = {
        pk for pk, s in watched.items() if s.immediately and not s.is_quiet(timezone.localtime(now).time())
    }
    outcome.mails += _send_due(speaking, watched, book, now)
    return outcome


def _settings() -> dict[int, AlertSettings]:
    """Step 1: every integration's settings (made with the defaults where missing)."""
    missing = list(Integration.objects.filter(alert_settings__isnull=True).values_list("pk", flat=True))
    if missing:
        AlertSettings.objects.bulk_create(
            [AlertSettings(integration_id=pk) for pk in missing], ignore_conflicts=True
        )
    rows = AlertSettings.objects.filter(integration__enabled=True, integration__customer__active=True)
    return {s.integration_id: s for s in rows.select_related("integration__customer")}


def _record(found: list[problems.Problem], watched: set[int], now: datetime, outcome: Outcome) -> None:
    """Step 3: the problems found against the alerts kept."""
    active = {(a.integration_id, a.key): a for a in Alert.objects.filter(state__in=ACTIVE)}
    new, changed = [], []
    for problem in found:
        alert = active.pop((problem.integration_id, problem.key), None)
        if alert is None:
            new.append(
                Alert(integration_id=problem.integration_id, kind=problem.kind, key=problem.key,
                      actor=problem.actor, count=problem.count, data=problem.data, since=problem.since,
                      opened_at=now)
            )  # fmt: skip
        elif (alert.count, alert.data, alert.gone_at) != (problem.count, problem.data, None):
            alert.count, alert.data, alert.gone_at = problem.count, problem.data, None  # back, if it was gone
            changed.append(alert)
    if new:
        outcome.opened = len(Alert.objects.bulk_create(new, ignore_conflicts=True))
    if changed:
        Alert.objects.bulk_update(changed, ["count", "data", "gone_at"])
    # What is left was not found: nobody was told of an open one, so it goes quietly; nor is
    # anybody told about an integration switched off (or its alerts), whatever its alerts' state.
    quiet = [a.pk for a in active.values() if a.state == Alert.State.OPEN or a.integration_id not in watched]
    told = [a.pk for a in active.values() if a.pk not in quiet and a.gone_at is None]
    if quiet:
        outcome.resolved += Alert.objects.filter(pk__in=quiet, state__in=ACTIVE).update(
            state=Alert.State.RESOLVED, resolved_at=now
        )
    if told:
        Alert.objects.filter(pk__in=told, gone_at__isnull=True).update(gone_at=now)


def _digest_due(alert_settings: AlertSettings, now: datetime) -> bool:
    local = timezone.localtime(now)
    sent_on = alert_settings.digest_sent_on
    return local.time() >= alert_settings.digest_at and (sent_on is None or sent_on < local.date())


def _mail(recipient: Recipient, subject: str, body: str) -> EmailMessage:
    return EmailMessage(subject=subject, body=body, to=[recipient.email])


def _deliver(messages: list[tuple[Recipient, EmailMessage]]) -> None:
    """Send on one connection; raises if any could not be sent (the caller's transaction rolls back)."""
    if messages:
        get_connection(fail_silently=False).send_messages([m for _r, m in messages])


def _send_digest(alert_settings: AlertSettings, book: Book, now: datetime) -> list[SentMail]:
    """Step 4: one integration's digest, at most once a day whatever runs at the same time."""
    today = timezone.localtime(now).date()
    try:
        with transaction.atomic():
            locked = (
                AlertSettings.objects.select_for_update(skip_locked=True)
                .filter(pk=alert_settings.pk)
                .filter(Q(digest_sent_on__isnull=True) | Q(digest_sent_on__lt=today))
                .first()
            )
            if locked is None:
                return []  # sent today already, or another worker is sending it now
            alerts = list(
                Alert.objects.filter(integration_id=alert_settings.integration_id)
                .filter(
                    Q(state__in=ACTIVE) | Q(resolved_at__gte=now - DIGEST_COVERS, notified_at__isnull=False)
                )
                .select_related("integration__customer")
                .order_by("since")
            )
            sent = []
            if alerts:
                merchant_acts = any(a.actor == Alert.Actor.MERCHANT for a in alerts)
                outgoing = []
                for recipient in book.for_integration(alert_settings, merchant_acts):
                    theirs = [a for a in alerts if not recipient.merchant or a.actor == Alert.Actor.MERCHANT]
                    still = [a for a in theirs if a.state in ACTIVE and a.gone_at is None]
                    over = [a for a in theirs if a not in still]
                    with translation.override(recipient.language):
                        subject, body = texts.digest_mail(
                            alert_settings.integration, still, over, recipient.merchant
                        )
                    outgoing.append((recipient, _mail(recipient, subject, body)))
                _deliver(outgoing)
                sent = _keep(alert_settings.integration_id, None, SentMail.Kind.DIGEST, outgoing)
                # The digest told everything: nothing in it is mailed again on its own.
                ids = [a.pk for a in alerts]
                Alert.objects.filter(pk__in=ids, state=Alert.State.OPEN).update(
                    state=Alert.State.NOTIFIED, notified_at=now
                )
                Alert.objects.filter(pk__in=ids, state=Alert.State.NOTIFIED, gone_at__isnull=False).update(
                    state=Alert.State.RESOLVED, resolved_at=now
                )
            AlertSettings.objects.filter(pk=locked.pk).update(digest_sent_on=today)
            return sent
    except Exception:  # SMTP down: the digest goes at the next check (nothing was marked)
        log.exception("alert digest of integration %s could not be mailed", alert_settings.integration_id)
        return []


def _send_due(
    speaking: set[int], watched: dict[int, AlertSettings], book: Book, now: datetime
) -> list[SentMail]:
    """Step 5: new problems and resolved ones of the integrations outside their quiet hours."""
    due_now = Q(state=Alert.State.OPEN) | Q(state=Alert.State.NOTIFIED, gone_at__isnull=False)
    candidates = list(Alert.objects.filter(due_now, integration_id__in=speaking).values_list("pk", flat=True))
    sent: list[SentMail] = []
    for pk in candidates:
        try:
            with transaction.atomic():
                alert = (
                    Alert.objects.select_for_update(skip_locked=True, of=("self",))
                    .filter(due_now, pk=pk)
                    .select_related("integration__customer")
                    .first()
                )
                if alert is None:
                    continue  # another worker has it, or has just mailed it
                sent += _send_one(alert, watched[alert.integration_id], book, now)
        except Exception:
            log.exception("alert %s could not be mailed", pk)
    return sent


def _send_one(alert: Alert, alert_settings: AlertSettings, book: Book, now: datetime) -> list[SentMail]:
    resolving = alert.state == Alert.State.NOTIFIED
    outgoing = []
    for recipient in book.for_integration(alert_settings, merchant_acts=alert.actor == Alert.Actor.MERCHANT):
        with translation.override(recipient.language):
            make = texts.resolved_mail if resolving else texts.alert_mail
            subject, body = make(alert, recipient.merchant)
        outgoing.append((recipient, _mail(recipient, subject, body)))
    _deliver(outgoing)
    if resolving:
        alert.state, alert.resolved_at = Alert.State.RESOLVED, now
        alert.save(update_fields=["state", "resolved_at"])
    else:
        alert.state, alert.notified_at = Alert.State.NOTIFIED, now
        alert.save(update_fields=["state", "notified_at"])
    kind = SentMail.Kind.RESOLVED if resolving else SentMail.Kind.ALERT
    return _keep(alert.integration_id, alert, kind, outgoing)


def _keep(integration_id: int, alert: Alert | None, kind: str, outgoing) -> list[SentMail]:
    return SentMail.objects.bulk_create(
        [
            SentMail(
                integration_id=integration_id,
                alert=alert,
                kind=kind,
                to=r.email,
                language=r.language,
                subject=str(m.subject)[:300],
                body=m.body,
            )
            for r, m in outgoing
        ]  # fmt: skip
    )
