from django.contrib.admin.apps import AdminConfig


class SharespineAdminConfig(AdminConfig):
    """The admin, on our own site class (403 instead of a login loop for merchant users)."""

    default_site = "sharespine.admin_site.SharespineAdminSite"

    def ready(self) -> None:
        super().ready()  # autodiscovery: every app's admin module, django-celery-beat's included
        from django.contrib import admin

        from sharespine import beat_admin, loginlimits, users_admin

        beat_admin.register(admin.site)
        users_admin.register(admin.site)
        loginlimits.register(admin.site)
