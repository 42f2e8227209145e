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
