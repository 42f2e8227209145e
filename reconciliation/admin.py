"""Payouts in the admin: list with a status badge, one page per payout, upload, post, re-match, SIE.

Consultants upload, post and export (``reconciliation.post_payout``); support reads everything and
may match again (``reconciliation.rematch_payout``). Nobody edits a payout: it is what the PSP sent.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from flows.models import Integration
from sharespine.customers.adminbase import AuditedModelAdmin, ReadOnlyModelAdmin
from sharespine.customers.tiers import REQUIRED_TIER, Feature

from . import service, tasks
from .bank import import_bank
from .models import AccountPlan, BankLine, KlarnaAccount, Payout, ReconciliationPackage
from .parsing import ParseError
from .posting import NotPostable, build_plan, post_payout
from .reasons import held_text, line_text

BADGE_COLOURS = {"held": "#ba2121", "open": "#c07b00", "matched": "#417690", "posted": "#2a7a2a"}
MAX_UPLOAD = 50 * 1024 * 1024
INLINE_POSTING = 200  # payments posted within the request; more go to the worker


def badge(payout: Payout) -> str:
    if payout.status == Payout.Status.HELD:
        text = gettext("held")
    elif payout.status == Payout.Status.POSTED:
        text = gettext("posted")
    else:
        text = gettext("matched %(n)s of %(m)s") % {"n": payout.matched_count, "m": payout.match_needed}
    html = format_html(
        '<span style="background:{};color:#fff;padding:1px 6px;border-radius:3px">{}</span>',
        BADGE_COLOURS[payout.status],
        text,
    )
    if payout.bank_amount is not None:
        html += format_html(
            ' <span style="background:#555;color:#fff;padding:1px 6px;border-radius:3px">{}</span>',
            gettext("in bank"),
        )
    return html


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


class ReconciledIntegrationForm(forms.Form):
    """A form that imports for one integration: only those with reconciliation switched on are
    offered, and the box says where it is switched on (an empty list alone explains nothing)."""

    integration = forms.ModelChoiceField(
        Integration.objects.filter(reconciliation_enabled=True).select_related("customer"),
        label=_("integration"),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["integration"]
        how = format_html(
            gettext(
                'Only integrations with reconciliation switched on are listed: tick "{setting}" under '
                '"{section}" on the <a href="{url}">integration\'s page</a> (package {package}).'
            ),
            setting=Integration._meta.get_field("reconciliation_enabled").verbose_name,
            section=gettext("Extras"),
            url=reverse("admin:flows_integration_changelist"),
            package=REQUIRED_TIER[Feature.RECONCILIATION].value,
        )
        if not field.queryset.exists():  # type: ignore[attr-defined]
            how = format_html(
                "<strong>{}</strong> {}", gettext("No integration has reconciliation yet."), how
            )
        field.help_text = how


class UploadForm(ReconciledIntegrationForm):
    # Not "files": that name is the uploaded-files mapping of every Django form.
    payout_files = MultipleFileField(
        label=_("payout files"), help_text=_("Klarna, Nets or Svea; several at once.")
    )


class BankForm(ReconciledIntegrationForm):
    file = forms.FileField(label=_("bank statement (CSV)"))


@admin.register(Payout)
class PayoutAdmin(ReadOnlyModelAdmin):
    list_display = [
        "reference",
        "provider",
        "payout_date",
        "currency",
        "amount",
        "status_badge",
        "integration",
    ]
    list_filter = ["provider", "status", "currency"]
    list_select_related = ["integration__customer"]
    search_fields = ["reference", "lines__order_ref"]
    date_hierarchy = "payout_date"
    actions = ["rematch_selected", "post_selected", "export_selected"]
    change_form_template = "admin/reconciliation/payout/change_form.html"
    change_list_template = "admin/reconciliation/payout/change_list.html"
    readonly_fields = (
        "integration", "provider", "reference", "payout_date", "currency", "stated_total", "lines_total",
        "bank_amount", "bank_date", "duplicates", "dropped", "status", "held_text", "difference", "file",
        "created_at", "posted_at",
    )  # fmt: skip
    fields = readonly_fields

    @admin.display(description=_("amount"), ordering="stated_total")
    def amount(self, payout: Payout):
        return payout.stated_total if payout.stated_total is not None else payout.lines_total

    @admin.display(description=_("status"))
    def status_badge(self, payout: Payout) -> str:
        return badge(payout)

    @admin.display(description=_("held because"))
    def held_text(self, payout: Payout) -> str:
        return held_text(payout.held_reason) if payout.held_reason else "—"

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("upload/", wrap(self.upload_view), name="reconciliation_payout_upload"),
            path("bank/", wrap(self.bank_view), name="reconciliation_payout_bank"),
            path("<int:pk>/post/", wrap(self.post_view), name="reconciliation_payout_post"),
            path("<int:pk>/rematch/", wrap(self.rematch_view), name="reconciliation_payout_rematch"),
            path("<int:pk>/sie/", wrap(self.sie_view), name="reconciliation_payout_sie"),
        ] + super().get_urls()

    # --- the payout page --------------------------------------------------------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        payout = get_object_or_404(Payout, pk=object_id)
        extra = {
            "payout_obj": payout,
            "badge": badge(payout),
            "held": held_text(payout.held_reason) if payout.held_reason else "",
            "lines": [
                (line, line_text(line.reason) if line.reason else "") for line in payout.lines.order_by("row")
            ],
            "plan": build_plan(payout),
            "posting": getattr(payout, "posting", None),
            "can_post": request.user.has_perm("reconciliation.post_payout"),
            "can_rematch": request.user.has_perm("reconciliation.rematch_payout"),
        }
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    def _require(self, request, perm: str) -> None:
        if not request.user.has_perm(f"reconciliation.{perm}"):
            raise PermissionDenied

    def post_view(self, request, pk: int):
        self._require(request, "post_payout")
        if request.method != "POST":
            return redirect("admin:reconciliation_payout_change", pk)
        payout = get_object_or_404(Payout, pk=pk)
        self._post(request, payout)
        return redirect("admin:reconciliation_payout_change", pk)

    def _post(self, request, payout: Payout) -> None:
        if payout.matched_count > INLINE_POSTING:
            # Thousands of payments take longer than a page should wait: the worker posts them.
            transaction.on_commit(lambda: tasks.post.delay(payout.pk))
            messages.info(
                request,
                gettext("%(payout)s: posting started; it shows as posted when done.") % {"payout": payout},
            )
            return
        ledger = service.ledger_for(payout.integration)
        if ledger is None:
            messages.error(
                request,
                gettext("%(payout)s: no Visma agent configured; download SIE instead.") % {"payout": payout},
            )
            return
        try:
            post_payout(payout.pk, ledger)
        except NotPostable as exc:
            messages.error(request, str(exc))
        except Exception as exc:  # the agent's answer, shown as it is; the posting can be retried
            messages.error(
                request, gettext("%(payout)s: posting failed: %(error)s") % {"payout": payout, "error": exc}
            )
        else:
            messages.success(request, gettext("%(payout)s: posted to Visma.") % {"payout": payout})

    def rematch_view(self, request, pk: int):
        self._require(request, "rematch_payout")
        payout = get_object_or_404(Payout, pk=pk)
        if request.method == "POST":
            self._rematch(request, [payout])
        return redirect("admin:reconciliation_payout_change", pk)

    def _rematch(self, request, payouts: list[Payout]) -> None:
        by_integration: dict[int, list[Payout]] = {}
        for payout in payouts:
            by_integration.setdefault(payout.integration_id, []).append(payout)
        for group in by_integration.values():
            summary = service.match(group[0].integration, group)
            if summary.error:
                messages.warning(request, summary.error)
            else:
                messages.success(
                    request,
                    ngettext(
                        "%(n)s line looked at: %(m)s matched, %(w)s waiting, %(h)s held.",
                        "%(n)s lines looked at: %(m)s matched, %(w)s waiting, %(h)s held.",
                        summary.lines,
                    )
                    % {"n": summary.lines, "m": summary.matched, "w": summary.waiting, "h": summary.held},
                )

    def sie_view(self, request, pk: int):
        self._require(request, "post_payout")
        payout = get_object_or_404(Payout, pk=pk)
        return self._sie_response([payout], f"{payout.provider}-{payout.reference}.si")

    @staticmethod
    def _sie_response(payouts: list[Payout], name: str) -> HttpResponse:
        try:
            data = service.sie_for(payouts)
        except NotPostable as exc:
            return HttpResponse(str(exc), status=409, content_type="text/plain; charset=utf-8")
        response = HttpResponse(data, content_type="text/plain; charset=cp437")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    # --- list actions -----------------------------------------------------------------------------

    @admin.action(description=_("Match again"), permissions=["rematch"])
    def rematch_selected(self, request, queryset):
        self._rematch(request, list(queryset.select_related("integration")))

    @admin.action(description=_("Post to Visma"), permissions=["post"])
    def post_selected(self, request, queryset):
        for payout in queryset.select_related("integration"):
            self._post(request, payout)

    @admin.action(description=_("Export SIE 4I"), permissions=["post"])
    def export_selected(self, request, queryset):
        payouts = list(queryset.select_related("integration__customer").exclude(status=Payout.Status.HELD))
        if len({p.integration_id for p in payouts}) != 1:
            messages.error(request, gettext("Choose payouts of one integration that are not held."))
            return None
        return self._sie_response(payouts, f"payouts-{timezone.localdate():%Y%m%d}.si")

    def has_rematch_permission(self, request):
        return request.user.has_perm("reconciliation.rematch_payout")

    def has_post_permission(self, request):
        return request.user.has_perm("reconciliation.post_payout")

    # --- uploads ----------------------------------------------------------------------------------

    def upload_view(self, request):
        self._require(request, "add_settlementfile")
        form = UploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            files = []
            for upload in form.cleaned_data["payout_files"]:
                if upload.size > MAX_UPLOAD:
                    messages.error(request, gettext("%(name)s: larger than 50 MB.") % {"name": upload.name})
                    continue
                files.append((upload.name, upload.read()))
            for result in service.import_files(form.cleaned_data["integration"], files):
                if result.error:
                    messages.error(request, result.error)
                elif result.already_imported:
                    messages.warning(
                        request,
                        gettext("%(name)s: already imported; nothing imported.") % {"name": result.name},
                    )
                for reference in result.skipped:
                    messages.warning(
                        request,
                        gettext("%(name)s: payout %(ref)s already imported; skipped.")
                        % {"name": result.name, "ref": reference},
                    )
                for payout in result.payouts:
                    messages.success(
                        request,
                        gettext("%(name)s: payout %(payout)s imported.")
                        % {"name": result.name, "payout": payout},
                    )
            return redirect("admin:reconciliation_payout_changelist")
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "title": gettext("Upload payout files"),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/reconciliation/payout/upload.html", context)

    def bank_view(self, request):
        # A bank statement is uploaded like a payout file (bank lines are not added one by one).
        self._require(request, "add_settlementfile")
        form = BankForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = import_bank(form.cleaned_data["integration"], upload.name, upload.read())
            except ParseError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(
                    request,
                    ngettext(
                        "%(n)s bank line, %(new)s of them new; ticked off: %(refs)s",
                        "%(n)s bank lines, %(new)s of them new; ticked off: %(refs)s",
                        result.lines,
                    )
                    % {"n": result.lines, "new": result.new, "refs": ", ".join(result.ticked) or "—"},
                )
            return redirect("admin:reconciliation_payout_changelist")
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "title": gettext("Import a bank statement"),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/reconciliation/payout/upload.html", context)

    def changelist_view(self, request, extra_context=None):
        extra = {
            "can_upload": request.user.has_perm("reconciliation.add_settlementfile"),
            "upload_url": reverse("admin:reconciliation_payout_upload"),
            "bank_url": reverse("admin:reconciliation_payout_bank"),
        }
        return super().changelist_view(request, {**(extra_context or {}), **extra})


@admin.register(AccountPlan)
class AccountPlanAdmin(AuditedModelAdmin):
    list_display = [
        "integration",
        "clearing_klarna",
        "clearing_nets",
        "clearing_svea",
        "bank",
        "voucher_series",
    ]
    list_select_related = ["integration__customer"]


@admin.register(KlarnaAccount)
class KlarnaAccountAdmin(AuditedModelAdmin):
    """Klarna Settlements API credentials; the password is write-only (SecretFieldsForm)."""

    list_display = ["integration", "username", "enabled", "pulled_until", "last_error"]
    list_select_related = ["integration__customer"]
    readonly_fields = ["pulled_until", "last_error"]


@admin.register(ReconciliationPackage)
class ReconciliationPackageAdmin(AuditedModelAdmin):
    list_display = ["customer", "since"]


@admin.register(BankLine)
class BankLineAdmin(ReadOnlyModelAdmin):
    list_display = ["booking_date", "text", "reference", "amount", "payout", "integration"]
    list_filter = [("payout", admin.EmptyFieldListFilter)]
    list_select_related = ["payout", "integration__customer"]
    readonly_fields = ("integration", "booking_date", "text", "reference", "amount", "payout")
    fields = readonly_fields
