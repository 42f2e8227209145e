from django.apps import AppConfig
from django.core import checks
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "sharespine.customers"
    label = "customers"
    verbose_name = _("Merchants")

    def ready(self) -> None:
        from sharespine.customers.keycheck import check_encryption_keys
        from sharespine.customers.roles import sync_groups

        # After every migrate, the role groups hold exactly what roles.py lists.
        post_migrate.connect(sync_groups, sender=self, dispatch_uid="customers.sync_groups")
        # A wrong ENCRYPTION_KEYS stops `check`, `migrate` and `runserver` with one line.
        checks.register(check_encryption_keys)
