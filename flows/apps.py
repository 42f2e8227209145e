from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FlowsConfig(AppConfig):
    name = "flows"
    verbose_name = _("Integrations and flows")

    def ready(self) -> None:
        from django.conf import settings

        from connectors.jetshop import ratelimit

        # Every process (workers, web, beat) calls a shop through one shared bucket per shop: in
        # Redis when there is one, else in files under var/ (the embedded demo's processes share
        # this machine).
        ratelimit.configure(settings.REDIS_URL or settings.VAR_DIR / "ratelimit")

        # The customers app asks, through its signals, what its apps use and tells them what changed.
        from flows.engine import gating, schedules
        from sharespine.customers.signals import package_changed, package_features_in_use

        package_features_in_use.connect(gating.features_for_package_check, dispatch_uid="flows-features")
        package_changed.connect(schedules.follow_package, dispatch_uid="flows-schedules")
