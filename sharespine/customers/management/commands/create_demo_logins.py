"""Create the demo logins for the three roles (and a demo merchant for the merchant user).

Only for the demo stack on the embedded default: refuses to run when DEBUG is off and a
production database is configured, unless --force is given.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from sharespine.customers.models import Customer, Membership
from sharespine.customers.tiers import Tier

DEMO_LOGINS = [
    # username, password, group, staff
    ("consultant", "demo-consultant", "Consultant", True),
    ("support", "demo-support", "Support", True),
    ("merchant", "demo-merchant", "Merchant", False),
]
DEMO_CUSTOMER = {"name": "Demobutiken AB", "org_number": "556036-0793", "tier": Tier.T400}


class Command(BaseCommand):
    help = "Create demo logins (consultant, support, merchant) and the demo merchant."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="also on a PostgreSQL database")

    @transaction.atomic
    def handle(self, *args, force: bool = False, **options):
        if settings.DATABASES["default"]["ENGINE"].endswith("postgresql") and not force:
            raise CommandError("Refusing to create demo logins on a PostgreSQL database without --force.")
        customer, _ = Customer.objects.get_or_create(
            org_number=DEMO_CUSTOMER["org_number"],
            defaults={
                "name": DEMO_CUSTOMER["name"],
                "tier": DEMO_CUSTOMER["tier"],
                "contact_emails": "info@demobutiken.example",
            },
        )
        for username, password, group_name, staff in DEMO_LOGINS:
            user, created = User.objects.get_or_create(username=username, defaults={"is_staff": staff})
            if created:
                user.set_password(password)
            if not user.email:
                # Alerts go to consultants and merchant users by e-mail (a file under var/mail in the demo).
                user.email = f"{username}@demo.example"
            user.save()
            user.groups.add(Group.objects.get(name=group_name))
            if group_name == "Merchant":
                Membership.objects.get_or_create(user=user, customer=customer)
            self.stdout.write(f"  {group_name:<11} {username:<11} {password}")
