"""Alerts by e-mail, through the beat task against real state: orders parked by the real orders flow
against the shop and Visma simulators, the agent's offline mark as the engine sets it, runs and
payouts as their apps store them. What is asserted is what people receive (``mail.outbox``) and
what support reads in the admin.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from flows.engine import agent_status
from flows.models import MethodMapping, SyncItem, SyncRun
from flows.modes import Flow
from reconciliation.models import Payout
from sharespine.alerts import check
from sharespine.alerts.models import Alert, SentMail
from sharespine.alerts.tasks import check_alerts
from sharespine.customers.models import ConfigChange
from tests.alerts.conftest import clock, later
from tests.flows.test_orders_flow import order_spec, transfer

pytestmark = pytest.mark.django_db

SWISH = "Payment method Swish has no mapping to a Visma terms-of-payment code."


def mails_to(address: str) -> list:
    return [m for m in mail.outbox if m.to == [address]]


@pytest.fixture
def twelve_swish_orders(integration, shop, agent):
    shop.place(
        *[order_spec(payment_method="Swish", email=f"kund{n}@example.se") for n in range(12)], order_spec()
    )
    items = transfer(integration)
    assert [i.status for i in items].count(SyncItem.Status.PARKED) == 12
    return items


def test_twelve_orders_waiting_for_one_mapping_are_one_mail_per_consultant_in_their_language(
    client, integration, people, alert_settings, twelve_swish_orders
):
    alert_settings(order_wait_minutes=60)

    with clock(later(minutes=30)):  # not waited long enough yet
        check_alerts()
    assert mail.outbox == []

    with clock(later(hours=2)):
        assert check_alerts() == 2
    english = mails_to("consultant@example.com")
    swedish = mails_to("konsult@example.se")
    assert len(english) == 1 and len(swedish) == 1 and len(mail.outbox) == 2
    assert english[0].subject == f"Alert: {integration}: 12 orders: {SWISH}"
    assert "Who has to act: the consultant" in english[0].body
    link = "http://127.0.0.1:8000" + reverse("admin:flows_methodmapping_add")
    assert (
        f"Fix it here: {link}?integration={integration.pk}&kind=payment&shop_value=Swish" in english[0].body
    )
    assert "12 ordrar:" in swedish[0].subject  # the queue's own words, in Swedish
    # The merchant cannot add a payment mapping: they are not mailed.
    assert mails_to("handlare@butik.example") == [] and mails_to("kontakt@butik.example") == []

    # The next checks (or a restart) mail nothing more while the problem stays.
    with clock(later(hours=3)):
        check_alerts()
        check_alerts()
    assert len(mail.outbox) == 2
    alert = Alert.objects.get()
    assert (alert.state, alert.count, alert.actor) == ("notified", 12, "consultant")
    kept = SentMail.objects.order_by("to")
    assert [(m.to, m.language, m.kind) for m in kept] == [
        ("consultant@example.com", "en", "alert"),
        ("konsult@example.se", "sv", "alert"),
    ]


def test_the_group_drains_after_the_fix_and_a_resolved_mail_goes_once(
    integration, people, alert_settings, twelve_swish_orders
):
    alert_settings()
    with clock(later(hours=2)):
        check_alerts()
    assert len(mail.outbox) == 2

    MethodMapping.objects.create(integration=integration, kind="payment", shop_value="Swish", visma_code="K")
    transfer(integration)  # the parked orders go on by themselves
    assert not SyncItem.objects.filter(status__in=SyncItem.ATTENTION).exists()
    with clock(later(hours=2, minutes=5)):
        check_alerts()
        check_alerts()
    resolved = [m for m in mail.outbox[2:]]
    assert sorted(m.to[0] for m in resolved) == ["consultant@example.com", "konsult@example.se"]
    [english] = [m for m in resolved if m.to == ["consultant@example.com"]]
    assert english.subject == f"Resolved: {integration}: {SWISH}"
    assert Alert.objects.get().state == "resolved"


def test_the_merchant_is_mailed_where_they_must_act(integration, shop, agent, people, alert_settings):
    alert_settings()
    shop.place(
        order_spec(rows=[{"article_number": "SAKNAS-1", "name": "Okänd", "quantity": 1,
                          "unit_price_inc_vat": "100.00", "vat": "0.25"}]),
    )  # fmt: skip
    transfer(integration)
    with clock(later(hours=2)):
        check_alerts()
    to_merchant = mails_to("handlare@butik.example")
    assert len(to_merchant) == 1 and len(mails_to("kontakt@butik.example")) == 1
    body = to_merchant[0].body
    # Nobody at the merchant chose English: the queue's reason and fix, in Swedish.
    assert "1 order: Artikel SAKNAS-1 finns inte i Visma." in to_merchant[0].subject
    assert "Lägg upp artikel SAKNAS-1 i Visma, eller rätta artikelnumret i butiken." in body
    english = mails_to("consultant@example.com")[0].body
    assert "The merchant has to act: Create article SAKNAS-1 in Visma" in english
    # Their link is their dashboard (they have no admin); the consultant's is the console.
    dashboard = "http://127.0.0.1:8000" + reverse("dashboard:integration", args=[integration.pk])
    assert dashboard in body and "/admin/" not in body
    assert "/admin/flows/syncitem/?integration__id__exact=" in english


def test_agent_offline_longer_than_the_threshold_then_back(integration, people, alert_settings):
    alert_settings(agent_offline_minutes=30)
    agent_status.mark_offline(integration.pk, "connect timeout")
    with clock(later(minutes=10)):
        check_alerts()
    assert mail.outbox == []
    with clock(later(minutes=45)):
        check_alerts()
    assert sorted(m.to[0] for m in mail.outbox) == [
        "consultant@example.com", "handlare@butik.example", "konsult@example.se", "kontakt@butik.example"
    ]  # fmt: skip
    assert "switched on" in mails_to("consultant@example.com")[0].body

    agent_status.mark_online(integration.pk)
    with clock(later(minutes=50)):
        check_alerts()
        check_alerts()
    assert len(mail.outbox) == 8
    assert SentMail.objects.filter(kind="resolved").count() == 4
    assert (
        mails_to("consultant@example.com")[-1].subject
        == f"Resolved: {integration}: The Visma agent does not answer."
    )


def test_no_mail_in_the_quiet_hours_then_sent_after_them(integration, people, alert_settings):
    night = later(minutes=45)
    local = timezone.localtime(night)
    quiet_until = (local + timedelta(hours=1)).time().replace(second=0, microsecond=0)
    alert_settings(
        quiet_from=(local - timedelta(hours=1)).time(), quiet_until=quiet_until, agent_offline_minutes=30
    )
    agent_status.mark_offline(integration.pk, "connect timeout")
    with clock(night):
        check_alerts()
    assert mail.outbox == []
    assert Alert.objects.get().state == "open"  # collected
    with clock(night + timedelta(hours=1, minutes=5)):
        check_alerts()
    assert len(mails_to("konsult@example.se")) == 1


def test_alerts_switched_off_resolve_without_a_mail(integration, people, alert_settings):
    alert_settings(agent_offline_minutes=0)
    agent_status.mark_offline(integration.pk, "connect timeout")
    check_alerts()
    assert len(mail.outbox) == 4
    alert_settings(enabled=False)
    check_alerts()
    assert len(mail.outbox) == 4
    assert Alert.objects.get().state == "resolved"


def test_a_flow_failing_n_runs_in_a_row(integration, people, alert_settings):
    alert_settings(failed_runs=3)
    for _n in range(2):
        SyncRun.objects.create(
            integration=integration, flow=Flow.VISMA_STOCK_TO_SHOP, status="failed", error="503"
        )
    with clock(later(minutes=1)):
        check_alerts()
    assert mail.outbox == []
    SyncRun.objects.create(
        integration=integration, flow=Flow.VISMA_STOCK_TO_SHOP, status="failed", error="503 x"
    )
    with clock(later(minutes=2)):
        check_alerts()
    [to_consultant] = mails_to("consultant@example.com")
    assert "failed 3 runs in a row" in to_consultant.subject and "503 x" in to_consultant.body
    assert len(mails_to("konsult@example.se")) == 1 and mails_to("handlare@butik.example") == []
    SyncRun.objects.create(integration=integration, flow=Flow.VISMA_STOCK_TO_SHOP, status="succeeded")
    with clock(later(minutes=3)):
        check_alerts()
    assert mails_to("consultant@example.com")[-1].subject.startswith("Resolved")


def test_a_payout_that_does_not_balance(integration, people, alert_settings):
    alert_settings()
    payout = Payout.objects.create(
        integration=integration, provider="klarna", reference="7360158214", status=Payout.Status.HELD,
        held_reason="unbalanced", difference=Decimal("-12.50"),
    )  # fmt: skip
    check_alerts()
    [to_consultant] = mails_to("consultant@example.com")
    assert "Payout Klarna 7360158214 is held: the lines do not add up" in to_consultant.subject
    assert reverse("admin:reconciliation_payout_change", args=[payout.pk]) in to_consultant.body
    payout.status = Payout.Status.MATCHED
    payout.save()
    check_alerts()
    assert mails_to("consultant@example.com")[-1].subject.startswith("Resolved")


def test_daily_digest_instead_of_many_mails(integration, people, alert_settings, twelve_swish_orders):
    local = timezone.localtime(later(days=1)).replace(hour=7, minute=0, second=0, microsecond=0)
    morning = local
    # The digest goes at its time even inside the quiet hours.
    alert_settings(
        immediately=False, digest_at=local.time().replace(second=0, microsecond=0), digest_sent_on=None,
        quiet_from=(local - timedelta(hours=1)).time(), quiet_until=(local + timedelta(hours=1)).time(),
    )  # fmt: skip
    agent_status.mark_offline(integration.pk, "connect timeout")
    with clock(morning - timedelta(minutes=10)):
        check_alerts()
    assert mail.outbox == []  # digest only

    with clock(morning):
        check_alerts()
        check_alerts()
    digests = mails_to("consultant@example.com")
    assert len(digests) == 1
    assert "2 open, 0 resolved" in digests[0].subject
    assert "12 orders: " + SWISH in digests[0].body and "Visma agent" in digests[0].body
    # The merchant's digest has only what they must act on: the agent.
    [theirs] = mails_to("handlare@butik.example")
    assert theirs.body.count("\n- ") == 1 and "Swish" not in theirs.body
    assert SentMail.objects.filter(kind="digest").count() == len(mail.outbox)


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_each_mail_once(integration, people, alert_settings, twelve_swish_orders):
    alert_settings()
    agent_status.mark_offline(integration.pk, "connect timeout")
    start = threading.Barrier(2)
    errors = []

    def worker() -> None:
        try:
            start.wait()
            check.run(later(hours=2))
        except Exception as exc:  # pragma: no cover - shown by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    # Two problems (orders, agent): each consultant once per problem, the merchant once (the agent).
    assert sorted(m.to[0] for m in mail.outbox).count("konsult@example.se") == 2
    assert len(mails_to("handlare@butik.example")) == 1
    assert Alert.objects.count() == 2


def test_support_reads_the_mails_sent_in_the_admin(client, support, integration, people, alert_settings):
    alert_settings(agent_offline_minutes=0)
    agent_status.mark_offline(integration.pk, "connect timeout")
    check_alerts()
    client.force_login(support)
    listing = client.get(reverse("admin:alerts_sentmail_changelist")).content.decode()
    sent = SentMail.objects.get(to="konsult@example.se")
    assert "konsult@example.se" in listing
    detail = client.get(reverse("admin:alerts_sentmail_change", args=[sent.pk])).content.decode()
    assert "switched on" in detail or "påslagen" in detail
    assert (
        client.post(reverse("admin:alerts_sentmail_delete", args=[sent.pk]), {"post": "yes"}).status_code
        == 403
    )


def test_the_check_costs_the_same_for_many_orders(
    integration, people, alert_settings, django_assert_max_num_queries
):
    alert_settings()
    items = [
        SyncItem(integration=integration, flow=Flow.SHOP_ORDERS_TO_VISMA, source_id=str(n), reference=str(n),
                 status=SyncItem.Status.PARKED, reason="needs_mapping",
                 result={"kind": "payment", "value": f"Metod {n % 5}"})
        for n in range(500)
    ]  # fmt: skip
    SyncItem.objects.bulk_create(items)
    with clock(later(hours=2)):
        check_alerts()  # five alerts mailed
    with clock(later(hours=2, minutes=5)), django_assert_max_num_queries(8):
        check_alerts()  # nothing new to mail: the steady state of every five minutes


def test_the_consultant_sets_thresholds_and_recipients_in_the_admin(
    client, consultant, integration, people, alert_settings
):
    row = alert_settings()
    client.force_login(consultant)
    url = reverse("admin:alerts_alertsettings_change", args=[row.pk])
    form = client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update({"consultant_emails": "inte en adress", "agent_offline_minutes": "5", "mail_merchant": ""})
    assert client.post(url, data).status_code == 200  # refused: not an address
    data["consultant_emails"] = "ansvarig@konsult.example"
    assert client.post(url, data).status_code == 302
    assert ConfigChange.objects.filter(model="alerts.AlertSettings", customer=integration.customer).exists()

    agent_status.mark_offline(integration.pk, "connect timeout")
    with clock(later(minutes=6)):
        check_alerts()
    # Only the named consultant; the merchant is not mailed although the agent is theirs.
    assert [m.to for m in mail.outbox] == [["ansvarig@konsult.example"]]
