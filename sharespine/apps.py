from django.contrib.admin.apps import AdminConfig


class SharespineAdminConfig(AdminConfig):
    """The admin, on our own site class (403 instead of a login loop for merchant users)."""

    default_site = "sharespine.admin_site.SharespineAdminSite"
