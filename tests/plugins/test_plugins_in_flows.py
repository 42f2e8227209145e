"""Rules and plugins in the running flows, against the simulators: a misbehaving plugin parks
its one order and the others go; the order page and the integration page show them; the preview
writes nothing; export and import; who may do what."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from flows.engine import runner
from flows.engine.reasons import explain
from flows.models import JourneyStep, MethodMapping, PluginSetting, Rule, SyncItem, SyncRun
from flows.modes import Flow
from sharespine.customers.models import ConfigChange
from sharespine.customers.tiers import Tier
from tests.factories import CustomerFactory, IntegrationFactory
from tests.flows.test_orders_flow import order_spec
from tests.plugins.conftest import MODES

pytestmark = pytest.mark.django_db(transaction=True)
ORDERS = Flow.SHOP_ORDERS_TO_VISMA


@pytest.fixture
def package_800(integration):
    customer = integration.customer
    customer.tier = Tier.T800
    customer.save()
    return integration


def transfer(integration) -> dict[str, SyncItem]:
    """One poll of the orders flow; the items by payment method."""
    runner.run_flow(integration.pk, ORDERS)
    items = SyncItem.objects.filter(integration=integration, flow=ORDERS).order_by("id")
    return {item.payload["payment_method"]: item for item in items}


def test_a_plugin_that_raises_hangs_or_returns_garbage_parks_its_order_and_the_rest_flow(
    package_800, shop, agent, prefix, misbehaving, settings
):
    settings.PLUGIN_TIME_LIMIT_MS = 300
    integration = package_800
    PluginSetting.objects.create(integration=integration, plugin="misbehaving", settings={"modes": MODES})
    Rule.objects.create(integration=integration, kind="set_field", source="payment_method", target="text2")
    klarna = MethodMapping.objects.get(integration=integration, kind="payment", shop_value="KlarnaCheckout")
    for method in MODES:  # the payment methods name what the plugin does; Visma books them as Klarna
        MethodMapping.objects.create(integration=integration, kind="payment", shop_value=method,
                                     visma_code=klarna.visma_code)  # fmt: skip
    shop.place(*(order_spec(payment_method=method) for method in [*MODES, "KlarnaCheckout"]))

    items = transfer(integration)

    good = items.pop("KlarnaCheckout")
    assert good.status == SyncItem.Status.DONE, good.last_error
    [document] = agent.documents(good.reference)
    assert document.number == int(good.target_id)
    expected = {
        "Raise": "plugin misbehaving 0.1 failed: RuntimeError: boom",
        "Hang": "plugin misbehaving 0.1 failed: no answer within 0.3 s",
        "Garbage": "plugin misbehaving 0.1 failed: it returned an invalid document",
        "NoRows": "plugin misbehaving 0.1 failed: it returned an invalid document",
        "Ref": "plugin misbehaving 0.1 failed: it changed reference, which it may not",
    }
    for method, item in items.items():
        assert (item.status, item.reason) == (SyncItem.Status.PARKED, "plugin_failed"), method
        assert item.last_error.startswith(expected[method]), (method, item.last_error)
        assert "misbehaving" in explain(item)
        assert agent.documents(item.reference) == []


def test_rules_set_project_and_profit_centre_on_the_visma_order(package_800, shop, agent, prefix):
    integration = package_800
    Rule.objects.create(integration=integration, kind="set_field", source="fixed", value="P-100",
                        target="project")  # fmt: skip
    Rule.objects.create(integration=integration, kind="translate", source="country", target="profit_centre",
                        table="SE = SVE\nNO = NOR")  # fmt: skip
    shop.place(order_spec())

    item = transfer(integration)["KlarnaCheckout"]

    assert item.status == SyncItem.Status.DONE, item.last_error
    [document] = agent.documents(item.reference)
    assert (document.kind, document.project, document.profit_centre) == ("order", "P-100", "SVE")


def test_after_the_document_plugins_note_on_the_journey_and_a_failure_never_undoes_the_order(
    client, support, package_800, shop, agent, prefix, misbehaving
):
    integration = package_800
    PluginSetting.objects.create(integration=integration, position=1, plugin="order_note",
                                 settings={"template": "Webborder {order_number}"})  # fmt: skip
    PluginSetting.objects.create(integration=integration, position=2, plugin="misbehaving",
                                 settings={"modes": {"After": "after"}})  # fmt: skip
    klarna = MethodMapping.objects.get(integration=integration, kind="payment", shop_value="KlarnaCheckout")
    MethodMapping.objects.create(integration=integration, kind="payment", shop_value="After",
                                 visma_code=klarna.visma_code)  # fmt: skip
    placed = shop.place(order_spec(), order_spec(payment_method="After"))

    items = transfer(integration)

    client.force_login(support)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    for spec, (method, item) in zip(placed, items.items(), strict=True):
        assert item.status == SyncItem.Status.DONE, item.last_error
        [document] = agent.documents(item.reference)  # written once, not parked or retried
        page = client.get(reverse("admin:flows_order_journey", args=[integration.pk, item.reference]))
        section = page.content.decode()[page.content.decode().index('id="alterations"') :]
        assert f"shop order {spec['number']} is Visma order {document.number}" in section
        if method == "After":
            assert "plugin misbehaving 0.1 failed after the document: RuntimeError: late boom" in section
        else:
            assert f"seen order {document.number}" in section
    runner.run_flow(integration.pk, ORDERS)
    assert [len(agent.documents(item.reference)) for item in items.values()] == [1, 1]


def test_the_order_page_shows_each_rule_and_plugin_with_before_and_after(
    client, support, package_800, shop, agent, prefix
):
    integration = package_800
    Rule.objects.create(integration=integration, position=1, kind="set_field", source="fixed", value="Webb",
                        target="our_reference")  # fmt: skip
    Rule.objects.create(integration=integration, position=2, kind="set_field", source="email",
                        target="customer_reference", dry_run=True)  # fmt: skip
    PluginSetting.objects.create(integration=integration, position=3, plugin="order_note",
                                 settings={"template": "Webborder {order_number}", "text": "2"})  # fmt: skip
    [placed] = shop.place(order_spec())
    item = transfer(integration)["KlarnaCheckout"]
    assert item.status == SyncItem.Status.DONE, item.last_error

    client.force_login(support)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = client.get(reverse("admin:flows_order_journey", args=[integration.pk, item.reference]))
    html = page.content.decode()
    section = html[html.index('id="alterations"') :]
    assert "our_reference" in section and "Webb" in section
    assert "customer_reference" in section and "dry run only: not applied" in section
    assert "plugin order_note 1.0.0" in section and f"Webborder {placed['number']}" in section

    # The integration page lists what is active, in its order.
    page = client.get(reverse("admin:flows_integration_change", args=[integration.pk])).content.decode()
    listed = [page.index(name) for name in ("rule 1. set our reference", "rule 2. set customer reference",
                                             "plugin order_note 1.0.0")]  # fmt: skip
    assert listed == sorted(listed)


def test_preview_shows_the_diff_per_order_and_writes_nothing_anywhere(
    client, consultant, package_800, shop, agent, prefix
):
    integration = package_800
    shop.place(order_spec(), order_spec(payment_method="Invoice"))
    transfer(integration)
    Rule.objects.create(integration=integration, kind="set_field", source="payment_method", target="text3")
    Rule.objects.create(
        integration=integration, kind="skip", when_field="payment_method", when_value="Invoice"
    )
    PluginSetting.objects.create(integration=integration, plugin="order_note",
                                 settings={"template": "Ny {order_number}", "text": "1"})  # fmt: skip
    shop_calls, visma_counts = len(shop.side("GET", "log")["calls"]), agent.counts()
    items_before = list(SyncItem.objects.values("id", "status", "updated_at"))
    changes_before = ConfigChange.objects.count()

    client.force_login(consultant)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    html = client.get(reverse("admin:flows_integration_preview", args=[integration.pk])).content.decode()

    assert html.count('class="module preview-order"') == 2
    assert "would be skipped: rule" in html and "would go to Visma" in html
    assert "texts[3]" in html and "KlarnaCheckout" in html and "Ny " in html
    assert len(shop.side("GET", "log")["calls"]) == shop_calls
    assert agent.counts() == visma_counts
    assert list(SyncItem.objects.values("id", "status", "updated_at")) == items_before
    assert ConfigChange.objects.count() == changes_before


def test_export_then_import_into_another_integration_round_trips_and_is_logged(client, consultant, db):
    source = IntegrationFactory(customer=CustomerFactory(tier=Tier.T800))
    Rule.objects.create(integration=source, position=1, kind="translate", source="customer_group",
                        target="price_list", table="company = ÅF\nprivate = 1")  # fmt: skip
    Rule.objects.create(integration=source, position=2, kind="add_row", article_number="AVG", price="19.00",
                        dry_run=True)  # fmt: skip
    PluginSetting.objects.create(integration=source, position=3, plugin="gift_cards",
                                 settings={"articles": ["GC"], "visma_article": "PRES"})  # fmt: skip
    target = IntegrationFactory(customer=CustomerFactory(tier=Tier.T800))
    Rule.objects.create(integration=target, kind="skip", when_field="country", when_value="NO")
    client.force_login(consultant)

    exported = client.get(reverse("admin:flows_integration_export", args=[source.pk]))
    assert exported["Content-Disposition"].startswith("attachment")
    upload = SimpleUploadedFile("set.json", exported.content, content_type="application/json")
    response = client.post(reverse("admin:flows_integration_import", args=[target.pk]), {"file": upload})

    assert response.status_code == 302
    fields = ("position", "kind", "source", "target", "table", "article_number", "price", "dry_run")
    assert list(target.rules.values_list(*fields)) == list(source.rules.values_list(*fields))
    assert list(target.plugin_settings.values_list("plugin", "settings")) == [
        ("gift_cards", {"articles": ["GC"], "visma_article": "PRES"})
    ]
    logged = ConfigChange.objects.filter(customer=target.customer)
    assert logged.filter(model="flows.Rule", action="deleted").values("object_id").distinct().count() == 1
    assert logged.filter(model="flows.Rule", action="created").values("object_id").distinct().count() == 2
    plugin_rows = logged.filter(model="flows.PluginSetting", action="created")
    assert [set(json.loads(row.new_value)) >= {"plugin", "settings"} for row in plugin_rows] == [True]


@pytest.mark.parametrize(
    "content, message",
    [
        pytest.param(b"not json", "(it is not UTF-8 JSON)", id="not_json_case"),
        pytest.param(json.dumps({"format": "other"}).encode(), "not an export", id="wrong_format_case"),
        pytest.param(json.dumps({"format": "sharespine-rules-and-plugins", "rules": [{"kind": "skip"}],
                                 "plugins": []}).encode(), "rule 1: when_field", id="invalid_rule_case"),
        pytest.param(json.dumps({"format": "sharespine-rules-and-plugins", "rules": [],
                                 "plugins": [{"plugin": "order_note", "settings": {}}]}).encode(),
                     "plugin 1: template: required", id="invalid_settings_case"),
        pytest.param(json.dumps({"format": "sharespine-rules-and-plugins", "rules": [],
                                 "plugins": [{"plugin": "nope", "settings": {}}]}).encode(),
                     "not installed", id="unknown_plugin_case"),
    ],
)  # fmt: skip
def test_an_import_is_validated_and_changes_nothing_when_wrong(client, consultant, db, content, message):
    target = IntegrationFactory(customer=CustomerFactory(tier=Tier.T800))
    Rule.objects.create(integration=target, kind="skip", when_field="country", when_value="NO")
    client.force_login(consultant)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    upload = SimpleUploadedFile("set.json", content)
    response = client.post(reverse("admin:flows_integration_import", args=[target.pk]), {"file": upload})
    assert response.status_code == 200 and message in response.content.decode()
    assert list(target.rules.values_list("kind", flat=True)) == ["skip"]


def test_import_needs_package_800(client, consultant, db):
    source = IntegrationFactory(customer=CustomerFactory(tier=Tier.T800))
    Rule.objects.create(integration=source, kind="skip", when_field="country", when_value="NO")
    target = IntegrationFactory(customer=CustomerFactory(tier=Tier.T400))
    client.force_login(consultant)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    exported = client.get(reverse("admin:flows_integration_export", args=[source.pk])).content
    response = client.post(reverse("admin:flows_integration_import", args=[target.pk]),
                           {"file": SimpleUploadedFile("set.json", exported)})  # fmt: skip
    assert "needs package 800" in response.content.decode()
    assert not target.rules.exists()


@pytest.mark.parametrize(
    "role, preview, export, import_page, import_post",
    [
        pytest.param("consultant", 200, 200, 200, 302, id="consultant_case"),
        pytest.param("support", 200, 200, 403, 403, id="support_case"),
        pytest.param("merchant", 403, 403, 403, 403, id="merchant_case"),
    ],
)
def test_pages_per_role(request, client, db, role, preview, export, import_page, import_post):
    source = IntegrationFactory(customer=CustomerFactory(tier=Tier.T800))
    client.force_login(request.getfixturevalue(role))
    body = json.dumps({"format": "sharespine-rules-and-plugins", "rules": [], "plugins": []}).encode()
    assert client.get(reverse("admin:flows_integration_preview", args=[source.pk])).status_code == preview
    assert client.get(reverse("admin:flows_integration_export", args=[source.pk])).status_code == export
    assert client.get(reverse("admin:flows_integration_import", args=[source.pk])).status_code == import_page
    response = client.post(reverse("admin:flows_integration_import", args=[source.pk]),
                           {"file": SimpleUploadedFile("set.json", body)})  # fmt: skip
    assert response.status_code == import_post


def test_product_rules_and_a_plugin_change_what_the_products_flow_writes_to_the_shop(
    package_800, shop, agent, articles
):
    integration = package_800
    Rule.objects.create(integration=integration, position=1, kind="product_field", direction="to_shop",
                        product_field="name", operation="suffix", value="   (REA)")  # fmt: skip
    PluginSetting.objects.create(integration=integration, position=2, plugin="product_name_tidy",
                                 settings={"remove_words": ["(REA)"]})  # fmt: skip
    Rule.objects.create(integration=integration, position=3, kind="product_field", direction="to_shop",
                        product_field="name", operation="upper")  # fmt: skip

    run = SyncRun.objects.get(pk=runner.run_flow(integration.pk, Flow.VISMA_PRODUCTS_TO_SHOP).run_id)

    assert run.status == "succeeded", run.log
    assert shop.side("GET", f"products/{articles[0]}")["texts"]["sv-SE"]["Name"] == "MÖSSA 0"


def test_the_new_visma_customer_gets_the_price_list_and_category_of_its_group_an_existing_one_keeps_its_own(
    client, consultant, package_800, shop, agent, prefix
):
    integration = package_800
    by_group = Rule.objects.create(integration=integration, position=1, kind="translate",
                                   source="customer_group", target="customer_price_list",
                                   table="company = 2\nprivate = 1")  # fmt: skip
    Rule.objects.create(integration=integration, position=2, kind="translate", source="customer_group",
                        target="customer_category", table="company = FTG")  # fmt: skip
    company = {**order_spec()["bill_to"], "company": f"Bygg {prefix}AB"}
    email = f"{prefix.lower()}inkop@example.se"
    shop.place(order_spec(bill_to=company, email=email, customer_id=9001))

    item = transfer(integration)["KlarnaCheckout"]

    assert item.status == SyncItem.Status.DONE, item.last_error
    [document] = agent.documents(item.reference)
    [customer] = agent.client.find_customers(number=document.customer_number)
    assert (customer.name, customer.price_list, customer.category) == (f"Bygg {prefix}AB", "2", "FTG")
    [step] = JourneyStep.objects.filter(order_ref=item.reference, step=JourneyStep.Step.MAPPED)
    changed = [c for entry in step.detail["alterations"] for c in entry["changes"]]
    assert {"field": "customer.price_list", "before": "", "after": "2"} in changed
    client.force_login(consultant)  # the preview of an order that created its customer shows them too
    html = client.get(reverse("admin:flows_integration_preview", args=[integration.pk])).content.decode()
    assert "<code>customer.price_list</code></td><td>—</td><td>→</td><td>2</td>" in html
    assert "<code>customer.category</code></td><td>—</td><td>→</td><td>FTG</td>" in html
    # The group's list changes later: the customer made before keeps the list it was given.
    by_group.table = "company = 3"
    by_group.save()
    shop.place(order_spec(bill_to=company, email=email, customer_id=9001))

    second = transfer(integration)["KlarnaCheckout"]

    assert second.status == SyncItem.Status.DONE, second.last_error
    [again] = agent.documents(second.reference)
    assert again.customer_number == customer.number
    assert agent.client.find_customers(number=customer.number)[0].price_list == "2"


def test_a_dynamic_field_of_the_shop_order_reaches_the_visma_order(package_800, shop, agent, prefix):
    """A B2B shop's free field with the buyer's project becomes the Visma order's project."""
    integration = package_800
    Rule.objects.create(integration=integration, kind="set_field", source="dynamic", dynamic_field="Projekt",
                        target="project")  # fmt: skip
    shop.place(order_spec(extra={"Projekt": "P-7", "Kommentar": "Ring före leverans"}))

    item = transfer(integration)["KlarnaCheckout"]

    assert item.status == SyncItem.Status.DONE, item.last_error
    assert item.payload["extra"] == {"Projekt": "P-7", "Kommentar": "Ring före leverans"}, "stored as it came"
    [document] = agent.documents(item.reference)
    assert document.project == "P-7"


def test_a_file_that_is_not_json_is_refused_once_in_plain_words(client, consultant, db):
    target = IntegrationFactory(customer=CustomerFactory(tier=Tier.T800))
    client.force_login(consultant)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    upload = SimpleUploadedFile("export.xlsx", b'{"format": "\xff\xfe"}')
    body = client.post(reverse("admin:flows_integration_import", args=[target.pk]), {"file": upload}).content
    text = body.decode()
    assert text.count("The file is not an export of rules and plugins (it is not UTF-8 JSON).") == 1
    assert "codec" not in text and "0xff" not in text
