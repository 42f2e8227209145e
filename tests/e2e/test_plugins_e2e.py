"""A plugin that raises, hangs or returns garbage, end to end: a real Celery worker that finds the
plugin through its entry point, two shops and a Visma agent over HTTP. Its orders are parked with
"plugin … failed", the others reach Visma, and the worker goes on."""

from __future__ import annotations

import pytest

from flows.models import MethodMapping, PluginSetting, Rule, SyncItem
from flows.modes import Flow
from sharespine.customers.tiers import Tier
from tests.e2e.conftest import Beat
from tests.e2e.test_orders_e2e import setup
from tests.flows.test_orders_flow import order_spec
from tests.plugins.conftest import MODES, misbehaving  # noqa: F401

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
ORDERS = Flow.SHOP_ORDERS_TO_VISMA


@pytest.fixture
def short_time_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLUGIN_TIME_LIMIT_MS", "500")  # for the worker, started after this


@pytest.mark.usefixtures("misbehaving", "short_time_limit")  # before the worker starts: it inherits both
def test_misbehaving_plugin_parks_only_its_orders_with_a_real_worker(worker, shops, agent):
    integration = setup(shops, agent)
    integration.customer.tier = Tier.T800
    integration.customer.save()
    PluginSetting.objects.create(integration=integration, plugin="misbehaving", settings={"modes": MODES})
    Rule.objects.create(integration=integration, kind="set_field", source="payment_method", target="text2")
    klarna = MethodMapping.objects.get(integration=integration, kind="payment", shop_value="KlarnaCheckout")
    for method in MODES:
        MethodMapping.objects.create(integration=integration, kind="payment", shop_value=method,
                                     visma_code=klarna.visma_code)  # fmt: skip
    methods = [*MODES, "KlarnaCheckout", "KlarnaCheckout"]
    shops[0].place(*(order_spec(payment_method=m) for m in methods))
    shops[1].place(
        *(order_spec(payment_method=m, channel_id=2, currency="NOK", culture="nb-NO") for m in methods)
    )
    items = SyncItem.objects.filter(integration=integration, flow=ORDERS)
    total = 2 * len(methods)

    Beat(integration.pk, (ORDERS,)).until(
        lambda: items.count() == total and not items.exclude(status__in=["done", "parked"]).exists(),
        timeout=180,
    )

    done = [i for i in items if i.status == SyncItem.Status.DONE]
    parked = [i for i in items if i.status == SyncItem.Status.PARKED]
    assert {i.payload["payment_method"] for i in done} == {"KlarnaCheckout"} and len(done) == 4
    assert len(parked) == 2 * len(MODES)
    assert all(i.reason == "plugin_failed" and i.last_error.startswith("plugin misbehaving 0.1 failed: ")
               for i in parked)  # fmt: skip
    assert {i.last_error for i in parked if i.payload["payment_method"] == "Hang"} == {
        "plugin misbehaving 0.1 failed: no answer within 0.5 s"
    }
    for item in done:
        [document] = agent.documents(item.reference)
        assert document.number == int(item.target_id)
    for item in parked:
        assert agent.documents(item.reference) == []
