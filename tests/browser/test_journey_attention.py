"""A parked order found and fixed through the grouped needs-attention queue, in the browser, in
Swedish and in English.

Support finds the group from the console's header, reads why in plain words and who must act (the
consultant: support may not change the configuration, and the page offers them no fix); the
consultant follows the group's fix link, finds the missing value filled in, chooses Visma's code by
name and saves; the next poll takes the order to Visma and the queue says every group has drained.

The merchant's set-up, the order placed in the shop and the polls of the orders flow are played by
the test (a Jetshop and a Visma simulator on loopback); everything support and the consultant do is
clicks and typing. Every page they pass through is measured at 1,280 px (``Visitor.too_wide``)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from flows import livechoices
from flows.demo.setup import ShopSpec, configure
from flows.engine import runner
from flows.models import Integration, MethodMapping, SyncItem
from flows.modes import Flow
from tests.browser.steps import follow
from tests.factories import CustomerFactory
from tests.flows.test_orders_flow import order_spec
from tests.simulators import AGENT_KEY, AGENT_SECRET

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

QUEUE = reverse("admin:flows_attention_queue")
WORDS = {
    "sv": {
        "headline": "1 order: Betalsättet Swish är inte kopplat till någon kod för betalningsvillkor "
        "i Visma.",
        "consultant": "konsulten",
        "waiting": "1 post som väntade på detta går vidare av sig själv vid nästa hämtning.",
        "drained": "Inget kräver åtgärd: alla grupper har tömts.",
    },
    "en": {
        "headline": "1 order: Payment method Swish has no mapping to a Visma terms-of-payment code.",
        "consultant": "the consultant",
        "waiting": "1 item waiting for this goes on by itself with the next poll.",
        "drained": "Nothing needs attention: every group has drained.",
    },
}


@pytest.fixture
def parked(shop, agent) -> tuple[Integration, dict]:
    """A merchant live against the simulators whose customer paid with Swish, which has no Visma
    code yet: the order is parked after the first poll."""
    integration = configure(
        CustomerFactory(name="Egen Butik AB"),
        shops=[ShopSpec("Demobutiken", shop.endpoint)],
        agent_url=agent.base_url,
        key_id=AGENT_KEY,
        secret=AGENT_SECRET,
    )
    assert livechoices.refresh(integration) == []  # Visma's codes read once, as the go-live check does
    [placed] = shop.place(order_spec(payment_method="Swish"))
    runner.run_flow(integration.pk, Flow.SHOP_ORDERS_TO_VISMA)
    item = SyncItem.objects.get(integration=integration)
    assert (item.status, item.reason) == (SyncItem.Status.PARKED, "needs_mapping")
    return integration, placed


def open_queue(tab) -> None:
    """The queue from the console's header, as staff reach it from any page."""
    tab.open(reverse("admin:index"))
    follow(tab.page, f"#user-tools a[href='{QUEUE}']")


@pytest.mark.parametrize("language", ["sv", "en"])
def test_support_finds_the_group_and_the_consultant_fixes_it_from_the_link(
    visit, support, consultant, parked, agent, language
):
    integration, placed = parked
    words = WORDS[language]

    # Support: one group, why in plain words, who must act, and no fix link for them.
    desk = visit(support, language)
    open_queue(desk)
    group = desk.page.locator("#attention-groups tr.attention-group")
    assert group.count() == 1
    cells = group.locator("td").all_inner_texts()
    assert cells[0].startswith(words["headline"]), cells[0]
    assert str(integration) in cells[1] and cells[2] == words["consultant"]
    assert group.locator("a.fix").count() == 0
    # The group's items: the parked order, and nothing else.
    follow(desk.page, "#attention-groups tr.attention-group td:first-child a")
    rows = desk.page.locator("#result_list tbody tr").all_inner_texts()
    assert len(rows) == 1 and placed["number"] in rows[0], rows
    # The mapping form is the consultant's: support is refused it.
    refused = desk.open(reverse("admin:flows_methodmapping_add"))
    assert refused.status == 403
    assert not MethodMapping.objects.filter(shop_value="Swish").exists()

    # The consultant: the fix link opens the mapping with the missing value filled in.
    console = visit(consultant, language)
    page = console.page
    open_queue(console)
    follow(page, "#attention-groups tr.attention-group a.fix")
    assert page.input_value("#id_shop_value") == "Swish"
    assert page.input_value("#id_kind") == "payment"
    assert (
        page.locator(".field-integration .select2-selection__rendered")
        .inner_text()
        .endswith(str(integration))
    )
    page.select_option("#id_visma_code", label="K – Kort")
    follow(page, "input[name=_save]")
    # Back in the queue, which says the order goes on by itself: no retry to press.
    assert page.url == console.base + QUEUE
    assert words["waiting"] in page.locator(".messagelist").inner_text()
    assert MethodMapping.objects.get(shop_value="Swish").visma_code == "K"

    # The next poll takes the order on by itself; the queue, read again, says every group has drained.
    runner.run_flow(integration.pk, Flow.SHOP_ORDERS_TO_VISMA)
    page.reload()
    assert page.locator("#attention-groups").count() == 0
    assert page.locator("#queue-empty").inner_text() == words["drained"]
    [document] = agent.documents(placed["number"])
    assert SyncItem.objects.get(integration=integration).target_id.endswith(str(document.number))

    assert desk.too_wide() == [] and console.too_wide() == []
    assert len(desk.measured()) >= 4 and len(console.measured()) >= 5


@pytest.mark.parametrize("language", ["sv", "en"])
def test_saving_a_fix_on_the_integration_page_returns_to_the_queue(visit, consultant, shop, agent, language):
    """Swish is mapped, but to a code Visma lacks: the fix is the mapping's row on the integration
    page (the link opens it), and saving it should lead back to the queue as the mapping form does."""
    integration = configure(
        CustomerFactory(name="Egen Butik AB"),
        shops=[ShopSpec("Demobutiken", shop.endpoint)],
        agent_url=agent.base_url,
        key_id=AGENT_KEY,
        secret=AGENT_SECRET,
    )
    MethodMapping.objects.create(integration=integration, kind="payment", shop_value="Swish", visma_code="SW")
    shop.place(order_spec(payment_method="Swish"))
    runner.run_flow(integration.pk, Flow.SHOP_ORDERS_TO_VISMA)
    item = SyncItem.objects.get(integration=integration)
    assert (item.reason, item.result["kind"], item.result["value"]) == (
        "needs_mapping",
        "terms-of-payment code",
        "SW",
    )

    tab = visit(consultant, language)
    page = tab.page
    open_queue(tab)
    follow(page, "#attention-groups tr.attention-group a.fix")
    change_url = reverse("admin:flows_integration_change", args=[integration.pk])
    assert page.url.split("?")[0] == tab.base + change_url
    name = page.locator("input[name$='-shop_value'][value='Swish']").get_attribute("name")
    page.fill(f"[name='{name.replace('shop_value', 'visma_code')}']", "K")
    follow(page, "input[name=_save]")
    assert MethodMapping.objects.get(shop_value="Swish").visma_code == "K"
    assert tab.too_wide() == []
    assert page.url == tab.base + QUEUE
