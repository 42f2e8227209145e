"""A key id names one outbound Visma agent: the gateway, the database, the admin and the migration agree."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from flows.management.commands.agent_gateway import outbound_secret
from flows.models import VismaAgent
from tests.factories import IntegrationFactory, VismaAgentFactory

pytestmark = pytest.mark.django_db

SECRET = "gateway-secret-0123456789"


def test_the_gateway_finds_the_one_outbound_agent_of_a_key():
    VismaAgentFactory(key_id="shop-a", mode=VismaAgent.Mode.OUTBOUND, secret=SECRET)
    VismaAgentFactory(key_id="shop-b", mode=VismaAgent.Mode.DIRECT, secret=SECRET)
    assert outbound_secret("shop-a") == SECRET
    assert outbound_secret("shop-b") is None  # direct agents never connect to the gateway
    assert outbound_secret("nobody") is None


def test_a_second_outbound_agent_cannot_take_a_key_that_is_in_use():
    """Before, a second merchant's agent with the same key made either secret open both."""
    VismaAgentFactory(key_id="shared", mode=VismaAgent.Mode.OUTBOUND, secret=SECRET)
    with pytest.raises(IntegrityError), transaction.atomic():
        VismaAgentFactory(key_id="shared", mode=VismaAgent.Mode.OUTBOUND, secret="another-secret-98765")
    # Direct agents are called at their own URL: one agent may serve several (test) merchants.
    VismaAgentFactory(key_id="shared", mode=VismaAgent.Mode.DIRECT)
    VismaAgentFactory(key_id="shared", mode=VismaAgent.Mode.DIRECT)


def test_the_admin_says_the_key_is_in_use(client, consultant):
    VismaAgentFactory(key_id="taken", mode=VismaAgent.Mode.OUTBOUND)
    integration = IntegrationFactory()
    client.force_login(consultant)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    form = {
        "integration": integration.pk,
        "mode": VismaAgent.Mode.OUTBOUND,
        "agent_url": "",
        "key_id": "taken",
        "secret": SECRET,
        "company_name": "",
    }
    response = client.post(reverse("admin:flows_vismaagent_add"), form)
    assert response.status_code == 200  # the form again, nothing saved
    assert response.context["adminform"].form.non_field_errors() == [
        "Another Visma agent that connects out already uses this key id: give each agent its own."
    ]
    assert not VismaAgent.objects.filter(integration=integration).exists()

    form["key_id"] = "free"
    assert client.post(reverse("admin:flows_vismaagent_add"), form).status_code == 302
    assert VismaAgent.objects.get(integration=integration).key_id == "free"


def test_the_migration_stops_on_shared_keys_and_names_the_rows():
    """Rows that share a key before the constraint: migrate refuses, naming each, and changes nothing."""
    executor = MigrationExecutor(connection)
    before, after = (
        [("flows", "0014_rule_dynamic_field")],
        [("flows", "0015_visma_agent_key_id_unique")],
    )
    executor.migrate(before)
    old = executor.loader.project_state(before[0]).apps
    Agent, Integration = old.get_model("flows", "VismaAgent"), old.get_model("flows", "Integration")
    Customer = old.get_model("customers", "Customer")
    agents = []
    for name, org in (("Första AB", "556000-0001"), ("Andra AB", "556000-0002")):
        customer = Customer.objects.create(name=name, org_number=org)
        integration = Integration.objects.create(customer=customer, name="Webshop")
        agents.append(Agent.objects.create(integration=integration, key_id="same", mode="outbound"))
    direct = Agent.objects.create(
        integration=Integration.objects.create(customer=customer, name="Kassan"), key_id="same", mode="direct"
    )
    with connection.cursor() as cursor:  # the rows' key checks now, not at a commit the test never makes
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    executor = MigrationExecutor(connection)
    with pytest.raises(RuntimeError) as refused:
        executor.migrate(after)
    message = str(refused.value)
    assert "key id 'same'" in message
    assert f"agent {agents[0].pk} (Första AB / Webshop)" in message
    assert f"agent {agents[1].pk} (Andra AB / Webshop)" in message
    assert f"agent {direct.pk} " not in message

    Agent.objects.filter(pk=agents[1].pk).update(key_id="other")
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert sorted(VismaAgent.objects.values_list("key_id", flat=True)) == ["other", "same", "same"]
