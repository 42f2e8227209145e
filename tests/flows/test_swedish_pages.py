"""The pages read in Swedish, codes and third-party pages included: read as each role reads them,
with the language cookie set to Swedish."""

from __future__ import annotations

import html as html_lib
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from axes.models import AccessLog
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from flows import engine
from flows.engine.schedules import sync_schedules
from flows.models import Rule, SyncRun, VismaAgent
from flows.modes import Flow
from sharespine.customers.tiers import Tier
from tests.factories import user_in_group
from tests.flows.test_orders_flow import order_spec, transfer

pytestmark = pytest.mark.django_db


def swedish(client, user, url: str, **params) -> str:
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "sv"
    response = client.get(url, params)
    assert response.status_code == 200
    return html_lib.unescape(response.content.decode())


def test_the_schedule_and_lock_out_pages_read_in_swedish(client, consultant, integration):
    sync_schedules(integration)
    page = swedish(client, consultant, reverse("admin:django_celery_beat_periodictask_changelist"))
    assert "Schemalagda uppgifter" in page and "Periodic Tasks" not in page
    assert "Aktivera valda uppgifter" in page and "Enable selected tasks" not in page
    assert "Django" not in re.search(r"<title>(.*?)</title>", page, re.S).group(1)

    lockouts = swedish(client, consultant, reverse("admin:axes_accessattempt_changelist"))
    assert "inloggningsförsök" in lockouts.lower() and "Access attempts" not in lockouts


def test_reasons_run_logs_and_counts_read_in_swedish(client, support, integration, shop, agent, prefix):
    shop.place(order_spec(payment_method="Swish"), order_spec(payment_method="Swish"))
    transfer(integration)

    items = swedish(client, support, reverse("admin:flows_syncitem_changelist"))
    assert "saknad koppling eller artikel" in items, "the reason column and filter by name"
    assert "needs_mapping" not in re.sub(r'href="[^"]*"', "", items)

    run = SyncRun.objects.get(integration=integration, flow=Flow.SHOP_ORDERS_TO_VISMA)
    page = swedish(client, support, reverse("admin:flows_syncrun_change", args=[run.pk]))
    assert "Demobutiken: 2 ordrar med status 1" in page
    assert "bearbetade: 2 kräver åtgärd" in page and "order(s)" not in page
    item = run.items.first()
    item_page = swedish(client, support, reverse("admin:flows_syncitem_change", args=[item.pk]))
    assert "Körning:" in item_page and "Run:" not in item_page
    # The reason by its name; the system's own words only as the technical detail.
    assert "saknad koppling eller artikel" in item_page and "needs_mapping" not in item_page
    assert "Betalsättet Swish är inte kopplat" in item_page
    assert "Senaste fel (teknisk detalj):" in item_page

    queue = swedish(client, support, reverse("admin:flows_attention_queue"))
    assert "2 ordrar: Betalsättet Swish är inte kopplat" in queue and "konsulten" in queue


def test_the_dashboard_says_just_now_not_zero_minutes_ago(client, integration):
    VismaAgent.objects.filter(integration=integration).update(last_seen_at=timezone.now())
    owner = user_in_group("Merchant", staff=False, username="owner", customer=integration.customer)
    page = swedish(client, owner, reverse("dashboard:integration", args=[integration.pk]))
    assert "sedd nyss" in page and "0 minuter" not in page


# --- each reader's language, and the words fixed after the outside review (issue 13) ---------------


def read_in(language: str, client, user, url: str, **params) -> str:
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(url, params)
    assert response.status_code == 200
    return html_lib.unescape(response.content.decode())


def test_a_run_log_reads_in_each_readers_language_and_old_lines_as_written(
    client, support, integration, shop, agent, prefix
):
    shop.place(order_spec(payment_method="Swish"), order_spec(payment_method="Swish"))
    transfer(integration)  # the worker writes the log (in the site's language, Swedish, until now)
    run = SyncRun.objects.get(integration=integration, flow=Flow.SHOP_ORDERS_TO_VISMA)
    url = reverse("admin:flows_syncrun_change", args=[run.pk])

    english = read_in("en", client, support, url)
    assert "Demobutiken: 2 orders in status 1" in english and "processed: 2 need attention" in english
    assert "ordrar" not in english and "bearbetade" not in english
    swedish_page = read_in("sv", client, support, url)
    assert (
        "Demobutiken: 2 ordrar med status 1" in swedish_page and "bearbetade: 2 kräver åtgärd" in swedish_page
    )

    # A run logged before lines were kept as messages reads as it was written.
    SyncRun.objects.filter(pk=run.pk).update(log="12:00:00 Demobutiken: 4 ordrar med status 1\n")
    assert "12:00:00 Demobutiken: 4 ordrar med status 1" in read_in("en", client, support, url)


def test_a_failed_runs_error_on_the_dashboard_reads_in_the_readers_language(client, support, integration):
    run = engine.start_run(integration, Flow.SHOP_ORDERS_TO_VISMA, SyncRun.Trigger.SCHEDULE)
    SyncRun.objects.filter(pk=run.pk).update(started_at=timezone.now() - timedelta(hours=2))
    assert engine.close_abandoned_runs() == 1  # the sweeper closes a run whose worker died
    url = reverse("dashboard:integration", args=[integration.pk])
    english = read_in("en", client, support, url)
    assert "the worker stopped before the run ended" in english
    assert "<svg" in english and "Pygal" not in english, "the charts by their own titles, not pygal's name"
    assert "arbetsprocessen stannade innan körningen var klar" in read_in("sv", client, support, url)


def test_a_park_rule_reads_in_words_in_each_language(client, support, consultant, integration, shop, agent):
    integration.customer.tier = Tier.T800
    integration.customer.save()
    Rule.objects.create(
        integration=integration, position=1, kind="park", when_field="payment_method", when_value="Swish"
    )
    shop.place(order_spec(payment_method="Swish"), order_spec(payment_method="Swish"))
    transfer(integration)
    queue = reverse("admin:flows_attention_queue")
    english = read_in("en", client, support, queue)
    rule_en = '1. park orders when the payment method is "Swish"'
    assert f"2 orders: Held back by a rule of this integration: {rule_en}." in english
    swedish_page = read_in("sv", client, support, queue)
    assert (
        '2 ordrar: Hålls kvar av en regel i den här integrationen: 1. parkera order när betalsätt är "Swish".'
        in (swedish_page)
    )
    assert "håller kvar den" not in swedish_page and "park when" not in swedish_page

    preview = reverse("admin:flows_integration_preview", args=[integration.pk])
    english = read_in("en", client, consultant, preview)
    # The preview says it as the queue does.
    assert f"would be parked: Held back by a rule of this integration: {rule_en}." in english
    swedish_page = read_in("sv", client, consultant, preview)
    assert (
        "skulle parkeras: Hålls kvar av en regel i den här integrationen: "
        '1. parkera order när betalsätt är "Swish".' in swedish_page
    )
    assert "payment_method" not in swedish_page and "rule 1." not in swedish_page

    # The rule's place is its "position" (on an order integration "order" means a shop order).
    page = read_in("sv", client, consultant, reverse("admin:flows_integration_change", args=[integration.pk]))
    header = re.search(r'<th class="column-position[^"]*">\s*([^<]+?)\s*<', page).group(1)
    assert header == "Ordning"


def test_counts_take_the_plural_their_number_needs(client, support, integration, shop, agent):
    shop.place(order_spec())
    transfer(integration)
    runs = read_in("sv", client, support, reverse("admin:flows_syncrun_changelist"))
    assert "1 hämtad, 1 ny" in runs and "1 nya" not in runs

    usage = read_in("sv", client, support, reverse("admin:metering_merchantusage_changelist"))
    assert "handlarnas användning" not in usage.lower()
    assert "inget pris för paket 400" in usage and "no price for package" not in usage
    page = read_in(
        "sv", client, support, reverse("admin:metering_merchantusage_change", args=[integration.customer.pk])
    )
    assert f"Användning för {integration.customer.name}" in page and "Usage:" not in page


def test_numbers_and_the_navigation_read_right_in_each_language(client, consultant, integration):
    now = timezone.now()
    VismaAgent.objects.filter(integration=integration).update(
        mode=VismaAgent.Mode.OUTBOUND, connected_since=now, last_seen_at=now, round_trip_ms=22.7
    )
    url = reverse("admin:flows_vismaagent_changelist")
    swedish_page = read_in("sv", client, consultant, url)
    assert "svarstid 22,7 ms" in swedish_page and "22.7" not in swedish_page
    assert "round trip 22.7 ms" in read_in("en", client, consultant, url)

    # Two pages, two names: the staff's charts of all merchants, and the merchants' dashboard.
    assert "Diagram, alla handlare" in swedish_page and "Handlarvy" in swedish_page
    assert "Lägesbild" not in swedish_page
    english = read_in("en", client, consultant, url)
    assert "Charts, all merchants" in english and "Merchant dashboard" in english
    index = read_in("sv", client, consultant, reverse("admin:index"))
    assert "Senaste händelser" in index and "Senaste Händelser" not in index


def test_the_schedule_page_says_the_cron_schedule_in_the_readers_words(
    client, consultant, support, integration
):
    nightly = CrontabSchedule.objects.create(minute="30", hour="3", timezone="Europe/Stockholm")
    task = PeriodicTask.objects.create(name="nightly", task="flows.tasks.prune_history", crontab=nightly)
    url = reverse("admin:django_celery_beat_periodictask_change", args=[task.pk])

    editable = read_in("en", client, consultant, url)
    assert "Translation: ${" not in editable, "beat's script labels it 'Translation', 'undefined' when none"
    assert '"In words"' in editable

    readonly = read_in("sv", client, support, url)
    assert "Regtask" not in readonly and "Task Name" not in readonly and "Crontab translation" not in readonly
    assert "Cron-schemat i ord" in readonly and re.search(r"Vid \d\d:\d\d", readonly)
    assert re.search(r"At \d\d:\d\d", read_in("en", client, support, url))
    tasks = read_in("sv", client, support, reverse("admin:django_celery_beat_periodictask_changelist"))
    assert "Task Name" not in tasks and "På uppgift" in tasks


def test_a_login_logs_page_names_it_in_the_readers_language_and_local_time(client, consultant):
    when = timezone.make_aware(datetime(2026, 1, 15, 9, 5), timezone.get_fixed_timezone(0))
    row = AccessLog.objects.create(username="support", ip_address="127.0.0.1")
    AccessLog.objects.filter(pk=row.pk).update(attempt_time=when)  # the field is auto_now_add
    page = read_in("sv", client, consultant, reverse("admin:axes_accesslog_change", args=[row.pk]))
    assert "Access Log for" not in page and "+00:00" not in page
    assert "support, 2026-01-15 10:05" in page  # Stockholm time


def test_no_module_hides_its_texts_from_makemessages():
    """makemessages finds gettext, ngettext, _ and their lazy forms by name; an alias (``gettext as
    _t``) leaves the module's texts out of the catalogue, in English on every Swedish page."""
    root = Path(settings.BASE_DIR)
    alias = re.compile(r"import[^\n]*\b(?:n?gettext(?:_lazy|_noop)?) as (?!_\b)(\w+)")
    hidden = [
        f"{path.relative_to(root)}: {match.group(1)}"
        for folder in ("flows", "sharespine", "reconciliation", "connectors")
        for path in (root / folder).rglob("*.py")
        for match in alias.finditer(path.read_text(encoding="utf-8"))
    ]
    assert hidden == []
