from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReconciliationConfig(AppConfig):
    """PSP payouts (Klarna, Nets, Svea) matched to Visma invoices, posted once, exported as SIE 4I."""

    name = "reconciliation"
    verbose_name = _("Reconciliation")

    def ready(self) -> None:
        from sharespine.customers.tiers import ADDON_PACKAGES, Feature

        def has_package(customer) -> bool:
            from reconciliation.models import ReconciliationPackage

            return ReconciliationPackage.objects.filter(customer_id=customer.pk).exists()

        ADDON_PACKAGES[Feature.RECONCILIATION] = has_package
