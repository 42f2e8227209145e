"""The merchant's integration page: what flows, today's orders, what needs their action, the agent.

Orders really go through the shop and Visma simulators; the page is read as the merchant reads it.
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.urls import reverse

from flows import tasks
from flows.models import MethodMapping, VismaAgent
from tests.factories import CustomerFactory, IntegrationFactory, user_in_group
from tests.flows.test_orders_flow import order_spec, transfer
from tests.simulators import free_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(integration):
    """A merchant user of the integration's merchant, reading in English."""
    return user_in_group("Merchant", staff=False, username="owner", customer=integration.customer)


def page(client, user, integration, language: str = "en") -> str:
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(reverse("dashboard:integration", args=[integration.pk]))
    assert response.status_code == 200
    return response.content.decode()


def orders_today(html: str) -> list[int]:
    """Received, in Visma, waiting, needs your action."""
    table = html[html.index('id="orders-today"') : html.index("</table>", html.index('id="orders-today"'))]
    return [int(n) for n in re.findall(r"<td[^>]*>(\d+)</td>", table)]


def needs_action(html: str) -> str:
    start = html.index('id="needs-action"')
    return html[start : html.index("</section>", start)]


def consultant_fixing(html: str) -> str:
    start = html.index('id="consultant-fixing"')
    return html[start : html.index("</section>", start)]


def test_the_merchant_sees_their_parked_order_and_why_and_another_merchant_does_not(
    client, owner, support, integration, shop, agent, prefix
):
    shop.place(order_spec(payment_method="Swish"))
    shop.place(order_spec())
    parked, done = transfer(integration)
    assert (parked.status, done.status) == ("parked", "done")

    html = page(client, owner, integration)
    assert orders_today(html) == [2, 1, 0, 1]
    # Only the consultant can add the mapping: the merchant is told, not asked to act.
    assert "Nothing needs your action." in needs_action(html)
    fixing = consultant_fixing(html)
    assert "1 order: Payment method Swish has no mapping to a Visma terms-of-payment code." in fixing
    assert done.reference not in html
    assert reverse("admin:flows_syncitem_changelist") not in html
    flows = html[html.index('id="flows"') :]
    orders_row = flows[flows.index("orders (incl. customer) shop → Visma") :]
    assert orders_row.index("flowing") < orders_row.index("</tr>")
    assert "not run yet" in flows, "the status flow has not run in this test"
    assert "Everything is flowing." not in html

    swedish = page(client, owner, integration, "sv")
    assert "Betalsättet Swish är inte kopplat till någon kod för betalningsvillkor i Visma." in swedish
    assert "Din konsult åtgärdar" in swedish and "Ordrar i dag" in swedish

    # Support, reading the same page, goes from the problem to its items in the console.
    assert reverse("admin:flows_syncitem_changelist") in page(client, support, integration)

    # Another merchant reaches neither the page nor anything of it from their own.
    stranger = user_in_group("Merchant", staff=False, username="stranger", customer=CustomerFactory())
    own = IntegrationFactory(customer=stranger.memberships.get().customer)
    client.force_login(stranger)
    assert client.get(reverse("dashboard:integration", args=[integration.pk])).status_code == 404
    theirs = page(client, stranger, own)
    assert parked.reference not in theirs and "Swish" not in theirs
    assert orders_today(theirs) == [0, 0, 0, 0] and "Nothing needs your action." in theirs

    # Once the mapping exists the order goes through by itself, and the page says so.
    MethodMapping.objects.create(integration=integration, kind="payment", shop_value="Swish", visma_code="K")
    transfer(integration)
    html = page(client, owner, integration)
    assert orders_today(html) == [2, 2, 0, 0]
    assert "Nothing needs your action." in html and "Swish" not in html


def test_an_offline_agent_shows_since_when_with_the_orders_waiting_for_it(
    client, owner, integration, shop, agent, prefix
):
    tasks.check_agent(integration.pk)  # the agent has answered once
    VismaAgent.objects.filter(integration=integration).update(agent_url=f"http://127.0.0.1:{free_port()}")
    shop.place(order_spec())
    [item] = transfer(integration)
    assert (item.status, item.reason) == ("queued", "agent_offline")
    offline_since = VismaAgent.objects.get(integration=integration).offline_since
    assert offline_since is not None

    html = page(client, owner, integration)
    notice = html[
        html.index('id="agent-offline"') : html.index("</details>", html.index('id="agent-offline"'))
    ]
    assert "The Visma agent has been offline since" in notice and "One order is waiting." in notice
    # The connector's own words are there for whoever asks, behind "technical detail".
    assert "<summary><small>technical detail</small></summary><small>[connection] cannot reach" in notice
    assert orders_today(html) == [1, 0, 1, 0]
    # The agent runs on the merchant's computer: starting it again is theirs to do, and no flow
    # claims to be flowing while orders pile up behind it.
    assert "Nothing needs your action." not in html
    assert "Start the computer with Visma Administration, or the Visma agent on it, again." in needs_action(
        html
    )
    flows = html[html.index('id="flows"') : html.index("</table>", html.index('id="flows"'))]
    assert "flowing" not in flows and "waiting for the Visma agent" in flows

    # The agent is back: the heartbeat clears the mark, the order goes through, the notice goes.
    VismaAgent.objects.filter(integration=integration).update(agent_url=agent.base_url)
    tasks.check_agent(integration.pk)  # what beat asks every minute
    transfer(integration)
    html = page(client, owner, integration)
    assert 'id="agent-offline"' not in html
    assert orders_today(html) == [1, 1, 0, 0]
    assert "Nothing needs your action." in html


def test_an_agent_that_never_connected_is_named_so_not_offline_since(client, owner, integration, shop, agent):
    VismaAgent.objects.filter(integration=integration).update(agent_url=f"http://127.0.0.1:{free_port()}")
    shop.place(order_spec())
    [item] = transfer(integration)
    assert item.reason == "agent_offline"
    assert VismaAgent.objects.get(integration=integration).last_seen_at is None

    html = page(client, owner, integration)
    notice = html[html.index('id="agent-offline"') : html.index("</p>", html.index('id="agent-offline"'))]
    assert "The Visma agent has not connected yet." in notice and "offline since" not in notice
    assert (
        "Install and start the Visma agent on the computer where Visma Administration runs."
        in needs_action(html)
    )
    assert "never seen" in html
