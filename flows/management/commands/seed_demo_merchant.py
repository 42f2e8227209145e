"""Point the demo merchant at the simulators (``make run``): the configuration a consultant enters."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from flows.demo.prices import seed_price_matrix
from flows.demo.setup import DEMO_AGENT_KEY, DEMO_AGENT_SECRET, ShopSpec, configure
from sharespine.customers.management.commands.create_demo_logins import DEMO_CUSTOMER
from sharespine.customers.models import Customer


class Command(BaseCommand):
    help = "Configure the demo merchant's integration against the Jetshop simulator and the Visma agent."

    def add_arguments(self, parser):
        parser.add_argument("--shop-url", default="http://127.0.0.1:8010/Webservice20/v3.0/webservice.asmx")
        # Empty: the demo agent dials out to the gateway (outbound, the normal mode); a URL: direct.
        parser.add_argument("--agent-url", default="")
        parser.add_argument("--force", action="store_true", help="also on a PostgreSQL database")

    def handle(self, *args, shop_url: str, agent_url: str, force: bool, **options):
        if settings.DATABASES["default"]["ENGINE"].endswith("postgresql") and not force:
            raise CommandError(
                "Refusing to configure the demo merchant on a PostgreSQL database without --force."
            )
        customer = Customer.objects.filter(org_number=DEMO_CUSTOMER["org_number"]).first()
        if customer is None:
            raise CommandError("Run create_demo_logins first: it creates the demo merchant.")
        integration = configure(
            customer,
            shops=[ShopSpec("Demobutiken", shop_url)],
            agent_url=agent_url,
            key_id=DEMO_AGENT_KEY,
            secret=DEMO_AGENT_SECRET,
        )
        where = agent_url or "connects out to the agent gateway"
        self.stdout.write(f"  {integration}: shop {shop_url}, Visma agent {where}")
        priced = seed_price_matrix()
        if priced:
            packages = ", ".join(p.package for p in priced)
            self.stdout.write(f"  Price matrix (demo prices) for packages {packages}")
