from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from sharespine.customers import audit
from sharespine.customers.adminbase import AuditedModelAdmin, ReadOnlyModelAdmin, SecretFieldsForm
from sharespine.customers.models import ConfigChange, Customer, Membership
from sharespine.customers.signals import package_changed


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    verbose_name = _("merchant user")
    verbose_name_plural = _("merchant users (see only this merchant)")


class CustomerForm(SecretFieldsForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if "org_number" in self.fields:
            # Django's own says "Merchant with this Organisation number already exists." (its
            # label capitalised mid-sentence).
            self.fields["org_number"].error_messages["unique"] = _(
                "A merchant with this organisation number already exists."
            )


@admin.register(Customer)
class CustomerAdmin(AuditedModelAdmin):
    form = CustomerForm
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
        "what_changed",
    ]
    list_filter = ["action", "model", "customer"]
    exclude = ["field", "old_value", "new_value"]
    readonly_fields = ["what_changed"]
    search_fields = ["object_repr", "field", "user__username"]
    list_select_related = ["user", "customer"]
    date_hierarchy = "at"

    @admin.display(description=_("changes"))
    def what_changed(self, obj: ConfigChange):
        rows = audit.changes(obj)
        if not rows:
            return "—"
        return format_html(
            "<table>{}</table>",
            format_html_join("", "<tr><th>{}</th><td>{}</td><td>→</td><td>{}</td></tr>", rows),
        )
