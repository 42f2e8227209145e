"""Shoppers and a warehouse for the demo: ``python manage.py demo_traffic [--every 5]``."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from connectors.jetshop.simulator.sidedoor_client import SideDoorClient
from connectors.visma.client import VismaClient
from flows.demo.setup import traffic as demo_traffic
from flows.models import Integration
from sharespine.customers.management.commands.create_demo_logins import DEMO_CUSTOMER


class Command(BaseCommand):
    help = "Place orders in the Jetshop simulator and deliver some in the Visma simulator, forever."

    def add_arguments(self, parser):
        parser.add_argument("--every", type=float, default=5.0, help="seconds between rounds")
        parser.add_argument("--rounds", type=int, default=0, help="stop after this many (0: never)")
        parser.add_argument("--shop", default="http://127.0.0.1:8010")

    def handle(self, *args, every: float, rounds: int, shop: str, **options):
        integration = (
            Integration.objects.select_related("agent")
            .filter(customer__org_number=DEMO_CUSTOMER["org_number"])
            .first()
        )
        if integration is None:
            raise CommandError("Run seed_demo_merchant first.")
        agent = integration.agent
        visma = VismaClient(agent.agent_url, agent.key_id, agent.secret.reveal())
        demo_traffic.run(integration, SideDoorClient(shop), visma, every=every, rounds=rounds)
