"""The preview's products: real products read now from the side the flow mode sends from, through
the catalogue flows' maps with the rules and plugins, shown before → after; nothing written."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from flows.engine import runner
from flows.models import ExternalRef, PluginSetting, Rule, SyncItem, SyncRun
from flows.modes import Flow
from sharespine.customers.models import ConfigChange
from sharespine.customers.tiers import Tier
from tests.flows.test_catalogue_flows import kombo

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def package_800(integration):
    integration.customer.tier = Tier.T800
    integration.customer.save()
    return integration


def alterations(integration, direction: str) -> None:
    """A product rule that adds a marketing word, then the example plugin that takes it out again
    and cuts the name; both visible in the preview."""
    Rule.objects.create(integration=integration, position=1, kind="product_field", direction=direction,
                        product_field="name", operation="prefix", value="REA ")  # fmt: skip
    PluginSetting.objects.create(integration=integration, position=2, plugin="product_name_tidy",
                                 settings={"remove_words": ["REA"], "max_length": 5})  # fmt: skip


def state():
    """What this service holds: nothing of it may move."""
    return (
        list(SyncItem.objects.values_list("id", "status", "updated_at")),
        list(ExternalRef.objects.values_list("id", "last_hash", "last_synced_at")),
        SyncRun.objects.count(),
        ConfigChange.objects.count(),
    )


def preview(client, consultant, integration, **params) -> str:
    client.force_login(consultant)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = client.get(reverse("admin:flows_integration_preview", args=[integration.pk]), params)
    assert response.status_code == 200
    return response.content.decode()


def sections(html: str) -> dict[str, str]:
    """Each previewed product's block, by its heading."""
    blocks = html.split('class="module preview-product"')[1:]
    return {re.search(r"<h2>([^<]*)</h2>", b).group(1): b for b in blocks}  # type: ignore[union-attr]


def test_visma_articles_are_previewed_as_the_shop_would_get_them_and_nothing_is_written(
    client, consultant, package_800, shop, agent, articles
):
    integration = package_800
    run = SyncRun.objects.get(pk=runner.run_flow(integration.pk, Flow.VISMA_PRODUCTS_TO_SHOP).run_id)
    assert run.status == "succeeded", run.log
    alterations(integration, "to_shop")
    shop_calls = len(shop.side("GET", "log")["calls"])
    visma_counts, stamps = agent.counts(), [agent.client.get_article(a).timestamp for a in articles]
    before = state()

    html = preview(client, consultant, integration)

    found = sections(html)
    synced = ExternalRef.objects.filter(integration=integration, kind="article").count()
    assert len(found) == synced, "the articles the integration synced (the company's and this test's)"
    block = found[f"{articles[0]} (products Visma → shop, Demobutiken): would change"]
    rule_part, plugin_part = block.split("plugin product_name_tidy 1.0.0")
    assert "rule 1. products Visma → shop: name, put the value before it &quot;REA &quot;" in rule_part
    assert "<code>[1].name</code></td><td>Mössa 0</td><td>→</td><td>REA Mössa 0</td>" in rule_part
    assert "<code>[1].name</code></td><td>REA Mössa 0</td><td>→</td><td>Mössa</td>" in plugin_part
    assert len(shop.side("GET", "log")["calls"]) == shop_calls, "the shop is not even read in ERP mode"
    assert agent.counts() == visma_counts
    assert [agent.client.get_article(a).timestamp for a in articles] == stamps
    assert state() == before
    assert shop.side("GET", f"products/{articles[0]}")["texts"]["sv-SE"]["Name"] == "Mössa 0"


def test_shop_products_are_previewed_as_visma_would_get_them_by_article_number(
    client, consultant, package_800, shop, agent, prefix
):
    integration = kombo(package_800)
    number = f"{prefix}T"
    shop.side("POST", "products", {"products": [
        {"article_number": number, "names": {"sv-SE": "Tröja"}, "vat": "0.25", "price": "100"},
        {"article_number": f"{prefix}BOK", "names": {"sv-SE": "Bok"}, "vat": "0.06"},
    ]})  # fmt: skip
    alterations(integration, "to_visma")
    calls = len(shop.side("GET", "log")["calls"])
    visma_counts, before = agent.counts(), state()

    html = preview(client, consultant, integration, articles=f"{number}, {prefix}BOK")

    found = sections(html)
    block = found[f"{number} (products shop → Visma, Demobutiken): would change"]
    rule_part, plugin_part = block.split("plugin product_name_tidy 1.0.0")
    assert "<code>name</code></td><td>Tröja</td><td>→</td><td>REA Tröja</td>" in rule_part
    assert "<code>name</code></td><td>REA Tröja</td><td>→</td><td>Tröja</td>" in plugin_part
    heading = f"{prefix}BOK (products shop → Visma, Demobutiken): would be parked: VAT 6 % has no article"
    parked = found[f"{heading} account mapping"]
    assert "plugin" not in parked
    operations = {c["operation"] for c in shop.side("GET", "log")["calls"][calls:]}
    assert operations == {"Product_Get"}, "reads only"
    assert agent.counts() == visma_counts and agent.client.get_article(number) is None
    assert state() == before


def test_a_connector_that_does_not_answer_is_said_on_the_page(client, consultant, package_800, shop, agent):
    integration = package_800
    alterations(integration, "to_shop")
    integration.agent.agent_url = "http://127.0.0.1:9/"  # nothing listens there
    integration.agent.mode = "direct"
    integration.agent.save()

    html = preview(client, consultant, integration)

    assert "The products could not be read:" in html
