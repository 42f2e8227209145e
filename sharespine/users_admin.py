"""The users page for staff who may only read it (consultants and support: see
``sharespine/customers/roles.py``): Django's user admin without the password box, whose "Reset
password" link leads to a page only a superuser may open."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin


class StaffUserAdmin(UserAdmin):
    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or self.has_change_permission(request, obj):
            return fieldsets
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f != "password"]})
            for name, options in fieldsets
        ]


def register(site: admin.AdminSite) -> None:
    """Replace Django's registration of the user model with ours."""
    user = get_user_model()
    if site.is_registered(user):
        site.unregister(user)
    site.register(user, StaffUserAdmin)
