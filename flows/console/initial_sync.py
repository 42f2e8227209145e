"""The initial product sync in the admin: start (preview), read the matching report, apply, watch.

Consultants start and apply; support reads. The page refreshes itself while work is going on.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from flows import initial_sync
from flows.models import InitialSync

EMPTY_ROW = mark_safe("<tr><td>—</td></tr>")


class StartForm(forms.ModelForm):
    """Either direction, whatever the mode: moving a merchant from one master to the other starts
    with the new master's catalogue."""

    class Meta:
        model = InitialSync
        fields = ["shop", "direction"]

    def clean(self):
        cleaned = super().clean()
        shop = cleaned.get("shop")
        busy = [InitialSync.Status.PREVIEWING, InitialSync.Status.APPLYING]
        if shop and InitialSync.objects.filter(shop=shop, status__in=busy).exists():
            raise ValidationError(_("An initial sync of this shop is already running."))
        return cleaned


def progress_html(sync: InitialSync) -> str:
    eta = sync.eta
    left = (
        _(" · about %(minutes)s min left") % {"minutes": max(1, round(eta.total_seconds() / 60))}
        if eta
        else ""
    )
    return format_html(
        '<progress max="{}" value="{}" style="width:12em"></progress> {} / {} ({} %){}',
        sync.total or 1,
        sync.done,
        sync.done,
        sync.total,
        sync.percent,
        left,
    )


@admin.register(InitialSync)
class InitialSyncAdmin(admin.ModelAdmin):
    list_display = ["shop", "direction", "status", "progress", "created_at", "created_by"]
    list_filter = ["status", "direction"]
    list_select_related = ["shop__integration__customer", "created_by"]
    readonly_fields = ["shop", "direction", "status", "progress", "report_html", "error", "created_by",
                       "created_at", "finished_at"]  # fmt: skip
    change_form_template = "admin/flows/initialsync/change_form.html"

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = StartForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        return ["shop", "direction"] if obj is None else self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            return
        obj.integration = obj.shop.integration
        obj.created_by = request.user
        super().save_model(request, obj, form, change)
        initial_sync.start(obj)

    @admin.display(description=_("progress"))
    def progress(self, obj):
        return progress_html(obj)

    @admin.display(description=_("matching report"))
    def report_html(self, obj):
        report = obj.report or {}
        counts = report.get("counts")
        if not counts:
            return _("Being built: the page refreshes by itself.")
        labels = {
            "matched": _("matched, equal (linked only)"),
            "conflicting": _("matched, fields differ (the source wins)"),
            "only_in_source": _("only in the source (created)"),
            "only_in_target": _("only in the target (left as it is)"),
            "cannot_write": _("cannot be written (see below)"),
            "to_write": _("to write"),
        }
        rows = format_html_join(
            "", "<tr><td>{}</td><td>{}</td></tr>", ((labels[k], v) for k, v in counts.items())
        )
        conflicts = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td></tr>",
            (
                (c["article"], "; ".join(f"{f}: {a!r} ≠ {b!r}" for f, (a, b) in c["fields"].items()))
                for c in report.get("conflicting", [])
            ),
        )
        refused = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td></tr>",
            ((c["article"], c["reason"]) for c in report.get("cannot_write", [])),
        )
        return format_html(
            "<table>{}</table><h3>{}</h3><table>{}</table><h3>{}</h3><table>{}</table>",
            rows,
            _("Conflicting fields (first 50)"),
            conflicts or EMPTY_ROW,
            _("Cannot be written (first 50)"),
            refused or EMPTY_ROW,
        )

    def get_urls(self):
        apply = path(
            "<int:pk>/apply/", self.admin_site.admin_view(self.apply_view), name="flows_initialsync_apply"
        )
        return [apply, *super().get_urls()]

    def apply_view(self, request, pk: int):
        sync = get_object_or_404(InitialSync, pk=pk)
        if request.method != "POST" or not self.has_change_permission(request, sync):
            raise PermissionDenied
        if initial_sync.confirm(sync):
            messages.success(request, _("Applying: the progress bar shows how far it has come."))
        else:
            messages.warning(request, _("Only a finished preview can be applied."))
        return redirect(reverse("admin:flows_initialsync_change", args=[pk]))

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["can_apply"] = bool(
            obj and obj.status == InitialSync.Status.PREVIEW and self.has_change_permission(request, obj)
        )
        context["working"] = bool(
            obj and obj.status in (InitialSync.Status.PREVIEWING, InitialSync.Status.APPLYING)
        )
        return super().render_change_form(request, context, add, change, form_url, obj)
