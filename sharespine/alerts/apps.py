from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlertsConfig(AppConfig):
    """E-mail when something waits too long: to the consultants, and to the merchant where they must act."""

    name = "sharespine.alerts"
    label = "alerts"
    verbose_name = _("Alerts")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from sharespine.alerts.language import remember_at_login

        user_logged_in.connect(remember_at_login, dispatch_uid="alerts-remember-language")
