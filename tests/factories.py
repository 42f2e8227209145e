"""factory_boy factories for the configuration models."""

from __future__ import annotations

import factory
from django.contrib.auth.models import Group, User

from flows.models import Channel, Integration, JetshopShop, StatusRule, VismaAgent
from sharespine.customers.models import Customer, Membership
from sharespine.customers.orgnumber import luhn_check_digit
from sharespine.customers.tiers import Tier


def _org_number(n: int) -> str:
    digits = f"55{n:07d}"
    return f"{digits[:6]}-{digits[6:]}{luhn_check_digit(digits)}"


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"Butik {n} AB")
    org_number = factory.Sequence(_org_number)
    tier = Tier.T400
    contact_emails = factory.LazyAttribute(lambda o: f"info@{o.name.split()[1]}.example")


class IntegrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Integration

    customer = factory.SubFactory(CustomerFactory)
    name = "Webshop"


class JetshopShopFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = JetshopShop

    integration = factory.SubFactory(IntegrationFactory)
    name = factory.Sequence(lambda n: f"Shop {n}")
    endpoint_url = "https://integration.jetshop.example/Webservice20/v3.0/webservice.asmx"
    username = "api"
    password = "shop-password-plain"
    shop_id_header = "demo"


class ChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Channel

    shop = factory.SubFactory(JetshopShopFactory)
    channel_id = factory.Sequence(str)
    name = "Sverige"


class VismaAgentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VismaAgent

    integration = factory.SubFactory(IntegrationFactory)
    mode = VismaAgent.Mode.DIRECT
    agent_url = "https://agent.example:8020"
    key_id = factory.Sequence(lambda n: f"key-{n}")
    secret = "agent-secret-plain"


class StatusRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StatusRule

    integration = factory.SubFactory(IntegrationFactory)
    event = StatusRule.Event.DELIVERED
    shop_status_id = 4


def user_in_group(
    group: str, *, staff: bool, username: str | None = None, customer: Customer | None = None
) -> User:
    user = User.objects.create_user(username=username or f"{group.lower()}-user", password="pw-123456!")
    user.is_staff = staff
    user.save()
    user.groups.add(Group.objects.get(name=group))
    if customer is not None:
        Membership.objects.create(user=user, customer=customer)
    return user
