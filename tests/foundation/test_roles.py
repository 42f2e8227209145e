"""Roles: consultants edit, support reads, merchant users see only their own merchant."""

from __future__ import annotations

import html

import pytest
from axes.models import AccessAttempt, AccessLog
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.core.exceptions import FieldError
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone, translation
from django_celery_beat.models import ClockedSchedule, CrontabSchedule, PeriodicTask, SolarSchedule

from flows.engine.schedules import sync_schedules, task_name
from flows.models import (
    ArticleAccountMapping,
    ExternalRef,
    InitialSync,
    Integration,
    JetshopShop,
    MethodMapping,
    SyncItem,
    SyncRun,
    VismaAgent,
)
from flows.modes import Flow
from reconciliation.models import AccountPlan, BankLine, KlarnaAccount, Payout, ReconciliationPackage
from sharespine.alerts.models import Alert, AlertSettings, SentMail
from sharespine.customers.audit import changes
from sharespine.customers.models import ConfigChange, Customer
from sharespine.customers.roles import ACTIONS as ROLE_ACTIONS
from sharespine.customers.roles import CONSULTANT, MERCHANT, ROLES, SUPPORT
from sharespine.customers.roles import PERMISSIONS as ROLE_PERMISSIONS
from sharespine.dashboard import urls as dashboard_urls
from sharespine.metering.models import PackagePrice, UsageWarning
from tests.adminforms import integration_post
from tests.factories import ChannelFactory, CustomerFactory, IntegrationFactory, VismaAgentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_merchant_objects(db):
    """Another merchant with one object of every configuration model."""
    channel = ChannelFactory(shop__integration__customer=CustomerFactory(name="Annan Butik AB"))
    integration = channel.shop.integration
    VismaAgentFactory(integration=integration)
    integration.status_rules.create(event="delivered", shop_status_id=4)
    integration.price_list_mappings.create(
        visma_price_list="ÅF", jetshop_price_list_guid="0f8fad5b-d9cb-469f-a165-70867728950e"
    )
    channel.shop.order_triggers.create(status_id=1, name="Mottagen")
    return integration.customer


def _admin_urls_for(customer: Customer) -> list[str]:
    """Every admin URL that exists for every registered model, pointed at ``customer``'s objects."""
    urls = [reverse("admin:index")]
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        urls += [reverse(f"admin:{info[0]}_{info[1]}_changelist"), reverse(f"admin:{info[0]}_{info[1]}_add")]
        for obj in _objects_of(model, customer):
            for view in ("change", "delete", "history"):
                urls.append(reverse(f"admin:{info[0]}_{info[1]}_{view}", args=[obj.pk]))
    return urls


def _objects_of(model, customer: Customer) -> list:
    """``customer``'s objects of ``model``; none for models that belong to no merchant (users, groups)."""
    if issubclass(model, Customer):  # the merchant, and its usage page (a proxy)
        return [model._default_manager.get(pk=customer.pk)]
    for path in ("customer", "integration__customer", "shop__integration__customer"):
        try:
            return list(model._default_manager.filter(**{path: customer}))
        except FieldError:
            continue
    return []


def test_merchant_user_gets_403_or_404_on_every_admin_url(client, merchant, other_merchant_objects):
    client.force_login(merchant)
    urls = _admin_urls_for(other_merchant_objects)
    assert len(urls) > 20
    for url in urls:
        assert client.get(url).status_code in (403, 404), url
        assert client.post(url, {}).status_code in (403, 404), url


def _dashboard_urls_for(customer: Customer) -> dict[str, str]:
    """Every dashboard URL, pointed at ``customer``'s objects. A new URL must be added to ``objects``."""
    objects = {"customer": customer, "integration": customer.integrations.get()}
    urls = {}
    for pattern in dashboard_urls.urlpatterns:
        takes = set(pattern.pattern.converters)
        if not takes:
            urls[pattern.name] = reverse(f"dashboard:{pattern.name}")
            continue
        assert takes == {"pk"} and pattern.name in objects, f"teach this test dashboard:{pattern.name}"
        urls[pattern.name] = reverse(f"dashboard:{pattern.name}", args=[objects[pattern.name].pk])
    return urls


def test_merchant_user_sees_only_their_own_merchant_on_the_dashboard(
    client, merchant, other_merchant_objects
):
    IntegrationFactory(customer=merchant.memberships.get().customer, name="Egen")
    client.force_login(merchant)
    own = _dashboard_urls_for(merchant.memberships.get().customer)
    other = _dashboard_urls_for(other_merchant_objects)

    for url in own.values():
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Annan Butik AB" not in response.content.decode(), url
    assert "Egen Butik AB" in client.get(own["home"]).content.decode()
    for url in other.values():
        if url not in own.values():
            assert client.get(url).status_code in (403, 404), url


def test_anonymous_visitors_are_sent_to_log_in(client, other_merchant_objects):
    response = client.get(reverse("dashboard:customer", args=[other_merchant_objects.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_support_cannot_add_change_or_delete_anything_in_the_admin(client, support, other_merchant_objects):
    client.force_login(support)
    checked = set()
    for model in admin.site._registry:
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        assert client.get(reverse(f"{info}_add")).status_code == 403, info
        assert client.post(reverse(f"{info}_add"), {}).status_code == 403, info
        for obj in _objects_of(model, other_merchant_objects):
            for view in ("change", "delete"):
                response = client.post(reverse(f"{info}_{view}", args=[obj.pk]), {"post": "yes"})
                assert response.status_code == 403, (info, view)
            assert model._default_manager.filter(pk=obj.pk).exists()
            checked.add(model)
    # Channels, triggers, rules and mappings are inlines of these pages.
    assert checked >= {Customer, Integration, JetshopShop, VismaAgent}
    assert not ConfigChange.objects.exists()


def test_support_reads_everything_but_cannot_edit_configuration(client, support, other_merchant_objects):
    integration = other_merchant_objects.integrations.get()
    client.force_login(support)
    change_url = reverse("admin:flows_integration_change", args=[integration.pk])
    assert client.get(change_url).status_code == 200
    assert client.get(reverse("dashboard:integration", args=[integration.pk])).status_code == 200

    response = client.post(change_url, integration_post(integration, name="Hijacked"))
    assert response.status_code == 403
    integration.refresh_from_db()
    assert integration.name != "Hijacked"
    assert client.get(reverse("admin:flows_integration_add")).status_code == 403
    assert (
        client.post(
            reverse("admin:flows_integration_delete", args=[integration.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert (
        client.post(
            reverse("admin:customers_customer_delete", args=[other_merchant_objects.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert Customer.objects.filter(pk=other_merchant_objects.pk).exists()


def test_consultant_edits_any_merchant(client, consultant, other_merchant_objects):
    integration = other_merchant_objects.integrations.get()
    integration.status_rules.all().delete()
    integration.price_list_mappings.all().delete()
    integration.agent.delete()
    client.force_login(consultant)
    response = client.post(
        reverse("admin:flows_integration_change", args=[integration.pk]),
        integration_post(integration, name="Ny"),
    )
    assert response.status_code == 302
    integration.refresh_from_db()
    assert integration.name == "Ny"


# --- Every admin page and action per role, against the one declared list (customers/roles.py) ---


@pytest.fixture
def every_admin_model(other_merchant_objects):
    """At least one object of every model registered in the admin (asserted by the walk)."""
    integration = other_merchant_objects.integrations.get()
    shop = integration.shops.get()
    sync_schedules(integration)
    ClockedSchedule.objects.create(clocked_time=timezone.now())
    CrontabSchedule.objects.create(minute="30", hour="3")
    SolarSchedule.objects.create(event="sunrise", latitude="59.33", longitude="18.06")
    run = SyncRun.objects.create(integration=integration, flow=Flow.SHOP_ORDERS_TO_VISMA)
    SyncItem.objects.create(
        integration=integration,
        flow=Flow.SHOP_ORDERS_TO_VISMA,
        run=run,
        source_id="1001",
        reference="1001",
        status=SyncItem.Status.FAILED,
    )
    ExternalRef.objects.create(integration=integration, kind="order", shop_id="1001", erp_id="5001")
    MethodMapping.objects.create(integration=integration, kind="payment", shop_value="Swish", visma_code="K")
    ArticleAccountMapping.objects.create(integration=integration, vat_rate=25, account_code="1")
    InitialSync.objects.create(
        integration=integration,
        shop=shop,
        direction=InitialSync.Direction.SHOP_TO_VISMA,
        status=InitialSync.Status.PREVIEW,
    )
    AccessAttempt.objects.create(
        username="stranger", ip_address="192.0.2.1", user_agent="probe", http_accept="*/*",
        path_info="/accounts/login/", failures_since_start=3, get_data="", post_data="",
    )  # fmt: skip
    AccessLog.objects.create(
        username="support", ip_address="192.0.2.2", user_agent="browser", http_accept="*/*",
        path_info="/admin/login/",
    )  # fmt: skip
    Payout.objects.create(integration=integration, provider="klarna", reference="7360158214")
    BankLine.objects.create(
        integration=integration, booking_date=timezone.localdate(), amount=1, fingerprint="f"
    )
    AccountPlan.objects.create(integration=integration)
    KlarnaAccount.objects.create(integration=integration, username="K1")
    ReconciliationPackage.objects.create(customer=other_merchant_objects)
    PackagePrice.objects.create(package="400").tiers.create(name="S", orders_up_to=100, monthly_fee=195)
    UsageWarning.objects.create(
        customer=other_merchant_objects, month=timezone.localdate().replace(day=1), tier="S", threshold=80,
        kind="order", count=80, limit=100,
    )  # fmt: skip
    AlertSettings.objects.create(integration=integration)
    alert = Alert.objects.create(
        integration=integration, kind=Alert.Kind.AGENT, key="agent", actor=Alert.Actor.MERCHANT,
        since=timezone.now(), opened_at=timezone.now(),
    )  # fmt: skip
    SentMail.objects.create(
        integration=integration, alert=alert, kind=SentMail.Kind.ALERT, to="konsult@example.se",
        language="sv", subject="Larm", body="Visma-agenten svarar inte.",
    )  # fmt: skip
    ConfigChange.objects.create(
        customer=other_merchant_objects, model="flows.Integration", object_id=str(integration.pk),
        object_repr=str(integration), action=ConfigChange.Action.CHANGED, field="name",
    )  # fmt: skip
    return other_merchant_objects


def _all_objects(model) -> list:
    objects = list(model._default_manager.order_by("pk")[:3])
    assert objects, f"teach every_admin_model to make a {model._meta.label}"
    return objects


def _state() -> dict:
    """Every row of every admin model, to prove a refused request changed nothing."""
    return {model: list(model._default_manager.order_by("pk").values()) for model in admin.site._registry}


def _expect(response, allowed: bool, what) -> None:
    if allowed:
        assert response.status_code in (200, 302), (what, response.status_code)
    else:
        assert response.status_code == 403, (what, response.status_code)


@pytest.mark.parametrize("role", ROLES)
def test_every_admin_page_and_action_follows_the_declared_role_rules(
    client, role, consultant, support, merchant, every_admin_model
):
    user = {CONSULTANT: consultant, SUPPORT: support, MERCHANT: merchant}[role]
    declared = ROLE_PERMISSIONS[role]
    assert set(user.get_all_permissions()) == declared, "the group must hold exactly what roles.py lists"
    client.force_login(user)
    request = RequestFactory().get("/admin/")
    request.user = user
    walked = 0
    for model, model_admin in admin.site._registry.items():
        label = model._meta.label_lower
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"

        def may(action: str, label: str = label) -> bool:
            app, name = label.split(".")
            return user.is_staff and f"{app}.{action}_{name}" in declared

        reads = may("view") or may("change")
        _expect(client.get(reverse(f"{info}_changelist")), reads, (label, "changelist"))
        _expect(client.get(reverse(f"{info}_add")), may("add"), (label, "add"))
        if not may("add"):
            assert client.post(reverse(f"{info}_add"), {}).status_code == 403, (label, "add POST")
        objects = _all_objects(model)
        for obj in objects:
            for view, allowed in (("change", reads), ("history", reads), ("delete", may("delete"))):
                _expect(client.get(reverse(f"{info}_{view}", args=[obj.pk])), allowed, (label, view))
            if not may("change"):
                before = _state()
                assert client.post(reverse(f"{info}_change", args=[obj.pk]), {}).status_code == 403
                assert _state() == before, (label, "change POST")
            if not may("delete"):
                response = client.post(reverse(f"{info}_delete", args=[obj.pk]), {"post": "yes"})
                assert response.status_code == 403, (label, "delete POST")
                assert model._default_manager.filter(pk=obj.pk).exists()
            walked += 1

        every_action = {name for _func, name, _desc in model_admin._get_base_actions()}
        offered = set(model_admin.get_actions(request)) if user.is_staff else set()
        allowed_actions = ROLE_ACTIONS[role].get(label, frozenset())
        assert allowed_actions <= every_action, f"roles.py lists an action {label} does not have"
        assert offered == allowed_actions, (label, offered)
        for action in sorted(every_action - allowed_actions):
            before = _state()
            response = client.post(
                reverse(f"{info}_changelist"),
                {"action": action, "_selected_action": [o.pk for o in objects], "index": "0", "post": "yes"},
            )
            assert response.status_code in (200, 302, 403), (label, action, response.status_code)
            assert _state() == before, (label, action)
    assert walked >= len(admin.site._registry)
    assert ConfigChange.objects.count() == 1  # the fixture's


def test_roles_list_names_only_registered_admins_and_existing_permissions(every_admin_model):
    registered = {model._meta.label_lower for model in admin.site._registry}
    for role in ROLES:
        assert set(ROLE_ACTIONS[role]) <= registered, role
    existing = {f"{p.content_type.app_label}.{p.codename}" for p in Permission.objects.select_related()}
    for role in ROLES:
        assert ROLE_PERMISSIONS[role] <= existing, ROLE_PERMISSIONS[role] - existing


def test_support_cannot_disable_toggle_or_run_schedules(client, support, every_admin_model):
    client.force_login(support)
    tasks = list(PeriodicTask.objects.filter(enabled=True))
    assert tasks
    url = reverse("admin:django_celery_beat_periodictask_changelist")
    for action in ("disable_tasks", "toggle_tasks", "run_tasks", "enable_tasks"):
        response = client.post(
            url, {"action": action, "_selected_action": [t.pk for t in tasks], "index": "0"}, follow=True
        )
        assert "successfully" not in response.content.decode(), action
    assert PeriodicTask.objects.filter(pk__in=[t.pk for t in tasks], enabled=True).count() == len(tasks)
    assert not ConfigChange.objects.filter(model="django_celery_beat.PeriodicTask").exists()


def test_consultant_pausing_a_schedule_is_logged_field_by_field(client, consultant, every_admin_model):
    integration = every_admin_model.integrations.get()
    task = PeriodicTask.objects.get(name=task_name(integration.pk, Flow.SHOP_ORDERS_TO_VISMA))
    client.force_login(consultant)
    url = reverse("admin:django_celery_beat_periodictask_changelist")

    response = client.post(url, {"action": "disable_tasks", "_selected_action": [task.pk], "index": "0"})
    assert response.status_code == 302
    task.refresh_from_db()
    assert not task.enabled
    # By model too: another object (an integration, say) may have the same id as the task.
    change = ConfigChange.objects.get(model="django_celery_beat.PeriodicTask", object_id=str(task.pk))
    with translation.override("en"):
        assert changes(change) == [("Enabled", "yes", "no")]
    assert (change.user, change.customer, change.model) == (
        consultant,
        every_admin_model,
        "django_celery_beat.PeriodicTask",
    )

    client.post(url, {"action": "toggle_tasks", "_selected_action": [task.pk], "index": "0"})
    task.refresh_from_db()
    assert task.enabled
    resumed = ConfigChange.objects.filter(
        model="django_celery_beat.PeriodicTask", object_id=str(task.pk), field="enabled"
    ).order_by("id")
    with translation.override("en"):
        assert [[(old, new) for _name, old, new in changes(c)] for c in resumed] == [
            [("yes", "no")],
            [("no", "yes")],
        ]


def test_consultant_editing_a_schedule_in_its_form_is_logged(client, consultant, every_admin_model):
    task = PeriodicTask.objects.filter(name__startswith="flow:").first()
    client.force_login(consultant)
    url = reverse("admin:django_celery_beat_periodictask_change", args=[task.pk])
    form = client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(
        {"name": task.name, "task": task.task, "enabled": "", "description": "paus under inventering"}
    )
    data["interval"] = task.interval_id
    data["start_time_0"] = data["start_time_1"] = ""
    data.pop("start_time", None)
    data.pop("last_run_at", None)
    data.pop("date_changed", None)
    data.pop("expires", None)
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    # One save, one entry, both fields in it.
    fields = list(ConfigChange.objects.filter(object_id=str(task.pk)).values_list("field", flat=True))
    assert fields == ["description, enabled"]


def test_a_consultant_pauses_a_schedule_but_cannot_rewrite_what_it_runs(
    client, consultant, every_admin_model
):
    """The integration makes its schedules: a consultant's form offers only pausing and a note, and
    the list names each schedule by integration and flow, not by its internal name."""
    integration = every_admin_model.integrations.get()
    task = PeriodicTask.objects.get(name=task_name(integration.pk, Flow.SHOP_ORDERS_TO_VISMA))
    client.force_login(consultant)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    listing = client.get(reverse("admin:django_celery_beat_periodictask_changelist")).content.decode()
    assert f"{integration}: orders (incl. customer) shop → Visma" in html.unescape(listing)

    url = reverse("admin:django_celery_beat_periodictask_change", args=[task.pk])
    form = client.get(url).context["adminform"].form
    assert set(form.fields) == {"enabled", "description"}
    kwargs, queue = task.kwargs, task.queue
    response = client.post(
        url,
        {
            "enabled": "",
            "description": "inventering",
            "task": "flows.tasks.evil",
            "kwargs": "{}",
            "queue": "x",
        },
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.enabled, task.description) == (False, "inventering")
    assert (task.task, task.kwargs, task.queue) == ("flows.tasks.run_flow", kwargs, queue)


@pytest.mark.parametrize("role", ["consultant", "support"])
def test_staff_see_no_link_that_leads_to_a_refusal_on_user_and_schedule_pages(
    request, client, role, every_admin_model
):
    """The user page's "Reset password" and the schedule page's interval link lead somewhere the
    reader may go, or are not there."""
    user = request.getfixturevalue(role)
    client.force_login(user)
    page = client.get(reverse("admin:auth_user_change", args=[user.pk])).content.decode()
    assert reverse("admin:auth_user_password_change", args=[user.pk]) not in page
    task = PeriodicTask.objects.filter(name__startswith="flow:").first()
    page = client.get(
        reverse("admin:django_celery_beat_periodictask_change", args=[task.pk])
    ).content.decode()
    interval = reverse("admin:django_celery_beat_intervalschedule_change", args=[task.interval_id])
    assert interval in page
    assert client.get(interval).status_code == 200
