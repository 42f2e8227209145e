"""Needs attention as a work queue: one line per cause, who must act, the fix with the missing
value filled in, the group draining by itself after the fix, and the search that finds the items.

Orders really go through the shop and Visma simulators; the pages are read through the admin
and the dashboard as each role reads them.
"""

from __future__ import annotations

import html as html_lib
import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from flows.models import LiveChoices, MethodMapping, SyncItem
from tests.factories import user_in_group
from tests.flows.test_orders_flow import order_spec, transfer

pytestmark = pytest.mark.django_db

QUEUE = "admin:flows_attention_queue"


def get(client, user, url: str, language: str = "en", **params) -> str:
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(url, params)
    assert response.status_code == 200
    return html_lib.unescape(response.content.decode())


def group_rows(html: str) -> list[str]:
    """Each group's row as text, tags dropped."""
    rows = re.findall(r'<tr class="attention-group">(.*?)</tr>', html, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in rows]


@pytest.fixture
def parked(integration, shop, agent, prefix):
    """Three Swish orders (a payment mapping is missing), one with an article Visma lacks, one fine."""
    shop.place(
        order_spec(payment_method="Swish", email="kund1@example.se"),
        order_spec(payment_method="Swish", email="kund2@example.se",
                   bill_to={"company": "Bygg & Trä AB", "first_name": "Per", "last_name": "Lind"}),
        order_spec(payment_method="Swish", email="kund3@example.se"),
        order_spec(rows=[{"article_number": "SAKNAS-1", "name": "Okänd", "quantity": 1,
                          "unit_price_inc_vat": "100.00", "vat": "0.25"}]),
        order_spec(),
    )  # fmt: skip
    items = transfer(integration)
    assert [i.status for i in items] == ["parked", "parked", "parked", "parked", "done"]
    return items


def test_support_sees_one_line_per_cause_with_who_must_act(client, support, integration, parked):
    html = get(client, support, reverse(QUEUE))
    rows = group_rows(html)
    assert len(rows) == 2, rows
    swish, article = rows
    assert swish.startswith("3 orders: Payment method Swish has no mapping to a Visma terms-of-payment code.")
    assert "Goes on by itself with the next poll once fixed" in swish
    assert "the consultant" in swish and "the merchant" not in swish
    assert article.startswith("1 order: Article SAKNAS-1 is not in Visma.")
    assert "the merchant" in article and "Create article SAKNAS-1 in Visma" in article
    # Support may not change the configuration: no fix link for them, only the items, and the
    # queue tells them whose change it is instead of asking them to fix and retry.
    assert reverse("admin:flows_methodmapping_add") not in html
    assert "A consultant makes this change in the integration's set-up: hand the group to them." in swish
    assert "retry" not in swish.replace("no retry needed", "")
    # Dates as read here, year first and 24 hours, also in English.
    since = timezone.localtime(parked[0].created_at).strftime("%Y-%m-%d %H:%M")
    assert swish.endswith(since) and "a.m." not in html and "p.m." not in html
    items_link = re.search(r'<a href="([^"]+)"><strong>3 orders', html)
    assert items_link is not None
    listed = get(client, support, items_link.group(1))
    assert all(f">{i.reference}<" in listed for i in parked[:3])
    assert f">{parked[3].reference}<" not in listed and f">{parked[4].reference}<" not in listed

    # The integration list counts them and leads to the queue of that integration alone.
    integrations = get(client, support, reverse("admin:flows_integration_changelist"))
    assert f"{reverse(QUEUE)}?integration={integration.pk}" in integrations


def test_the_fix_link_opens_the_mapping_prefilled_and_the_group_drains_after_the_fix(
    client, consultant, integration, parked
):
    html = get(client, consultant, reverse(QUEUE))
    fix = re.search(r'<a class="fix" href="([^"]+)"', html)
    assert fix is not None
    form = get(client, consultant, fix.group(1))
    assert re.search(r'name="shop_value"[^>]*value="Swish"', form)
    assert re.search(r'<option value="payment" selected>', form)
    assert re.search(rf'<option value="{integration.pk}" selected>', form)

    response = client.post(
        fix.group(1),
        {"integration": integration.pk, "kind": "payment", "shop_value": "Swish", "visma_code": "K"},
    )
    assert response.status_code == 302 and response.url == reverse(QUEUE)
    assert MethodMapping.objects.filter(integration=integration, shop_value="Swish", visma_code="K").exists()
    after = get(client, consultant, reverse(QUEUE))
    assert "3 items waiting for this go on by themselves with the next poll." in after

    transfer(integration)  # the next poll
    assert SyncItem.objects.filter(pk__in=[i.pk for i in parked[:3]], status="done").count() == 3
    rows = group_rows(get(client, consultant, reverse(QUEUE)))
    assert len(rows) == 1 and rows[0].startswith("1 order: Article SAKNAS-1")


def test_the_queue_says_so_when_everything_has_drained(client, support, integration, shop, agent, prefix):
    shop.place(order_spec())
    transfer(integration)
    html = get(client, support, reverse(QUEUE))
    assert group_rows(html) == []
    assert "Nothing needs attention: every group has drained." in html


@pytest.mark.parametrize(
    "term, expected",
    [
        ("Swish", [0, 1, 2]),
        ("kund2@example.se", [1]),
        ("KUND3@example.se", [2]),
        ("Bygg & Trä", [1]),
        ("Per Lind", [1]),
        ("SAKNAS-1", [3]),
    ],
)
def test_search_finds_items_by_missing_value_email_customer(client, support, parked, term, expected):
    html = get(client, support, reverse("admin:flows_syncitem_changelist"), q=term)
    found = [n for n, item in enumerate(parked) if f">{item.reference}<" in html]
    assert found == expected


def test_search_finds_an_order_by_its_number_without_the_shops_prefix(client, support, parked, prefix):
    number = parked[1].reference.removeprefix(prefix)
    html = get(client, support, reverse("admin:flows_syncitem_changelist"), q=number)
    assert [item.reference for item in parked if f">{item.reference}<" in html] == [parked[1].reference]


def test_the_merchant_is_asked_only_for_what_they_can_fix(client, integration, parked):
    owner = user_in_group("Merchant", staff=False, username="owner", customer=integration.customer)
    html = get(client, owner, reverse("dashboard:integration", args=[integration.pk]))
    start = html.index('id="needs-action"')
    needs_action = html[start : html.index("</section>", start)]
    start = html.index('id="consultant-fixing"')
    consultant = html[start : html.index("</section>", start)]
    assert "Needs your action (1)" in needs_action
    assert "1 order: Article SAKNAS-1 is not in Visma." in needs_action and "Swish" not in needs_action
    assert "3 orders: Payment method Swish has no mapping" in consultant
    assert "Nothing is needed from you." in consultant
    assert reverse("admin:flows_syncitem_changelist") not in html, "a merchant has no console"

    swedish = get(client, owner, reverse("dashboard:integration", args=[integration.pk]), "sv")
    assert "3 ordrar: Betalsättet Swish är inte kopplat" in swedish
    assert "1 order: Artikel SAKNAS-1 finns inte i Visma." in swedish
    assert "Din konsult åtgärdar" in swedish


def test_the_queue_reads_in_swedish(client, consultant, parked):
    html = get(client, consultant, reverse(QUEUE), "sv")
    rows = group_rows(html)
    assert rows[0].startswith("3 ordrar: Betalsättet Swish är inte kopplat")
    assert "konsulten" in rows[0] and "Åtgärda" in rows[0]
    assert "handlaren" in rows[1]


def test_the_fix_form_offers_the_codes_visma_has_and_refuses_one_it_lacks(
    client, consultant, integration, parked
):
    LiveChoices.objects.create(
        integration=integration,
        kind=LiveChoices.Kind.TERMS_OF_PAYMENT,
        rows=[{"code": "K", "name": "Kort"}, {"code": "30", "name": "30 dagar netto"}],
        fetched_at=timezone.now(),
    )
    fix = re.search(r'<a class="fix" href="([^"]+)"', get(client, consultant, reverse(QUEUE)))
    assert fix is not None
    form = get(client, consultant, fix.group(1))
    assert re.search(r'<select name="visma_code"', form) and "Kort" in form

    refused = client.post(
        fix.group(1),
        {"integration": integration.pk, "kind": "payment", "shop_value": "Swish", "visma_code": "ZZZ"},
    )
    assert refused.status_code == 200 and "ZZZ" in html_lib.unescape(refused.content.decode())
    assert not MethodMapping.objects.filter(integration=integration, shop_value="Swish").exists()
