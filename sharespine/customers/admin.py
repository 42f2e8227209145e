from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from sharespine.customers.adminbase import AuditedModelAdmin, ReadOnlyModelAdmin
from sharespine.customers.models import ConfigChange, Customer, Membership
from sharespine.customers.signals import package_changed


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    verbose_name = _("merchant user")
    verbose_name_plural = _("merchant users (see only this merchant)")


@admin.register(Customer)
class CustomerAdmin(AuditedModelAdmin):
    list_display = ["name", "org_number", "tier", "active", "created_at"]
    list_filter = ["tier", "active"]
    search_fields = ["name", "org_number", "contact_emails"]
    inlines = [MembershipInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if "tier" in form.changed_data:
            # The package decides which of the mode's flows run; their schedules follow it.
            package_changed.send(sender=type(form.instance), customer=form.instance)


@admin.register(ConfigChange)
class ConfigChangeAdmin(ReadOnlyModelAdmin):
    """Read-only: the log is written by saves in the admin, never edited."""

    list_display = [
        "at",
        "user",
        "customer",
        "model",
        "object_repr",
        "action",
        "field",
        "old_value",
        "new_value",
    ]
    list_filter = ["action", "model", "customer"]
    search_fields = ["object_repr", "field", "user__username"]
    list_select_related = ["user", "customer"]
    date_hierarchy = "at"
