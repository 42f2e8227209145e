"""The admin site: the consultants' and support staff's console."""

from __future__ import annotations

from functools import update_wrapper

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.urls import path
from django.utils.translation import gettext_lazy as _


class SharespineAdminSite(admin.AdminSite):
    site_header = _("Sharespine integration")
    site_title = _("Sharespine")
    index_title = _("Configuration and sync logs")
    # The model list beside every page took a quarter of a 1,280 px screen from the lists and
    # forms; the index and the breadcrumbs lead everywhere it did.
    enable_nav_sidebar = False

    def admin_view(self, view, cacheable=False):
        """Signed-in users without admin access (merchant users) get 403, not a login form.

        Django's default sends them back to the login page, which reads like a broken session
        to a merchant; their place is the dashboard, and a plain "forbidden" says so.
        """
        inner = super().admin_view(view, cacheable)

        def wrapper(request, *args, **kwargs):
            if request.user.is_authenticated and not self.has_permission(request):
                raise PermissionDenied
            return inner(request, *args, **kwargs)

        return update_wrapper(wrapper, inner)

    def get_urls(self):
        from sharespine.dashboard.overview import overview

        return [path("overview/", self.admin_view(overview), name="overview"), *super().get_urls()]
