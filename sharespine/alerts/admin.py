"""Alert settings (consultants change them), the alerts and every mail sent (both staff roles read).

Support sees exactly what a merchant or consultant was mailed, in the language it went in; nobody
edits an alert or a mail. See ``sharespine.customers.roles``.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from sharespine.alerts import texts
from sharespine.alerts.models import Alert, AlertSettings, SentMail
from sharespine.customers.adminbase import AuditedModelAdmin, ReadOnlyModelAdmin


@admin.register(AlertSettings)
class AlertSettingsAdmin(AuditedModelAdmin):
    list_display = ["integration", "enabled", "order_wait_minutes", "agent_offline_minutes", "failed_runs",
                    "immediately", "quiet_from", "quiet_until", "digest_at"]  # fmt: skip
    list_filter = ["enabled", "immediately"]
    list_select_related = ["integration__customer"]
    search_fields = ["integration__name", "integration__customer__name"]
    raw_id_fields = ["integration"]
    fieldsets = [
        (None, {"fields": ["integration", "enabled"]}),
        (_("When"), {"fields": ["order_wait_minutes", "agent_offline_minutes", "failed_runs", "payouts"]}),
        (_("To whom"), {"fields": ["consultant_emails", "mail_merchant"]}),
        (
            _("How often"),
            {"fields": ["immediately", "quiet_from", "quiet_until", "digest_at", "digest_sent_on"]},
        ),
    ]
    readonly_fields = ["digest_sent_on"]
    audit_exclude = ("digest_sent_on",)


class SentMailInline(admin.TabularInline):
    model = SentMail
    fields = ["sent_at", "kind", "to", "language", "subject"]
    readonly_fields = ["sent_at", "kind", "to", "language", "subject"]
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Alert)
class AlertAdmin(ReadOnlyModelAdmin):
    list_display = [
        "opened_at",
        "integration",
        "kind",
        "headline",
        "actor",
        "state",
        "notified_at",
        "resolved_at",
    ]
    list_filter = ["state", "kind", "actor"]
    list_select_related = ["integration__customer"]
    search_fields = ["integration__name", "integration__customer__name", "key"]
    date_hierarchy = "opened_at"
    fields = ["integration", "kind", "headline", "actor", "state", "count", "since", "opened_at",
              "notified_at", "gone_at", "resolved_at", "key"]  # fmt: skip
    readonly_fields = ["headline"]
    inlines = [SentMailInline]

    @admin.display(description=_("problem"))
    def headline(self, obj: Alert) -> str:
        return texts.text(obj, merchant=False).headline


@admin.register(SentMail)
class SentMailAdmin(ReadOnlyModelAdmin):
    list_display = ["sent_at", "integration", "kind", "to", "language", "subject"]
    list_filter = ["kind", "language"]
    list_select_related = ["integration__customer"]
    search_fields = ["to", "subject", "integration__name", "integration__customer__name"]
    date_hierarchy = "sent_at"
    fields = ["sent_at", "integration", "alert", "kind", "to", "language", "subject", "text"]
    readonly_fields = ["text"]

    @admin.display(description=_("text"))
    def text(self, obj: SentMail) -> str:
        return format_html('<pre style="white-space: pre-wrap; max-width: 80ch">{}</pre>', obj.body)
