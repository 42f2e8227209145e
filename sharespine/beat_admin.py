"""The schedules page (django-celery-beat's PeriodicTask admin) under our role rules and change log.

django-celery-beat's own admin offers its actions (enable, disable, toggle, run) to anyone who may
merely view the list, and its writes bypass the change log. Here every action needs the change
permission (consultants; support reads only, see ``sharespine/customers/roles.py``), and every
schedule change, by form or by action, is logged field by field like any other configuration.

Its pages are also made to read in the reader's language: the cron schedule in words comes from
cron_descriptor in the page's language (beat asks for it in the server's locale and its page script
labels it "Translation:", "undefined" when no cron schedule is chosen), and a read-only page shows
the task by a translated label instead of beat's untranslatable "Task Name" and "Regtask: None".
"""

from __future__ import annotations

from contextvars import ContextVar

from cron_descriptor import (
    FormatException,
    MissingFieldException,
    Options,
    WrongArgumentException,
    get_description,
)
from django.contrib import admin
from django.db.models import QuerySet
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django_celery_beat.admin import PeriodicTaskAdmin, PeriodicTaskForm
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from sharespine.customers import audit
from sharespine.customers.adminbase import AuditedAdminMixin

# Beat's own bookkeeping, rewritten on every run: not configuration, so not logged.
BOOKKEEPING_FIELDS = ("last_run_at", "total_run_count", "date_changed")


def _snapshots(queryset: QuerySet) -> dict[int, audit.Snapshot]:
    return {
        task.pk: audit.snapshot(task, exclude=BOOKKEEPING_FIELDS)
        for task in queryset.model.objects.filter(pk__in=list(queryset.values_list("pk", flat=True)))
    }


def _logged(action):
    """Wrap one of beat's bulk actions: log each task's changed fields, and admin history."""

    def wrapper(self, request, queryset):
        before = _snapshots(queryset)
        response = action(self, request, queryset)
        for task in PeriodicTask.objects.filter(pk__in=list(before)):
            audit.record(request.user, task, before[task.pk], exclude=BOOKKEEPING_FIELDS)
            self.log_change(request, task, str(action.short_description))
        return response

    wrapper.__name__ = action.__name__
    # Only roles that may change a schedule are offered the action (Django checks has_change_permission).
    return admin.action(description=action.short_description, permissions=["change"])(wrapper)


def in_words(crontab: CrontabSchedule | None) -> str:
    """A cron schedule in words, in the active language (cron_descriptor knows Swedish)."""
    if crontab is None:
        return ""
    expression = " ".join(
        [crontab.minute, crontab.hour, crontab.day_of_month, crontab.month_of_year, crontab.day_of_week]
    )
    options = Options()
    options.locale_code = "sv_SE" if translation.get_language() == "sv" else "en_US"
    options.use_24hour_time_format = True
    try:
        return f"{get_description(expression, options)} ({crontab.timezone})"
    except (MissingFieldException, FormatException, WrongArgumentException):
        return f"{expression} ({crontab.timezone})"


# The integrations' names for one list page: read once per page, not once per row.
_integration_names: ContextVar[dict[int, str] | None] = ContextVar("integration_names", default=None)


def what_runs(name: str) -> str:
    """A schedule's name in words: the integration and the flow (or the agent's heartbeat or the
    payouts) for the names ``flows/engine/schedules.py`` gives; other names as they are."""
    from flows.engine.schedules import parse_task_name  # the admin reads flows; flows never import it
    from flows.models import Integration
    from flows.modes import Flow

    parsed = parse_task_name(name)
    if parsed is None:
        return name
    integration_id, flow = parsed
    names = _integration_names.get()  # a list page's (filled on its first row), or none
    if not names:
        read = {i.pk: str(i) for i in Integration.objects.select_related("customer")}
        if names is None:
            names = read
        else:
            names.update(read)
    integration = names.get(integration_id)
    if integration is None:
        return name
    labels = {"agent-heartbeat": _("Visma agent heartbeat"), "reconciliation": _("payouts")}
    what = labels.get(flow) or (Flow(flow).label if flow in Flow.values else flow)
    return f"{integration}: {what}"


class TaskFilter(admin.AllValuesFieldListFilter):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.title = _("task")  # beat names the field "Task Name", with no translation


class ScheduleForm(PeriodicTaskForm):
    """Beat's form, which reads the task's name from its own input: kept when that input is
    read-only (beat's ``clean`` would fail on the missing key)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if "task" not in self.fields:
            del self.fields["regtask"]  # a declared field: the admin's field list does not drop it

    def clean(self):
        if "task" not in self.fields:
            self.cleaned_data.setdefault("task", self.instance.task)
        return super().clean()


# What a consultant may change on a schedule: pause or resume it, and note why. The rest is made by
# the integration (its poll intervals: ``flows/engine/schedules.py`` rewrites it on every save), so
# an edit here would be silently undone, or would run a task with arguments nobody checked.
EDITABLE = ("enabled", "description")


class AuditedPeriodicTaskAdmin(AuditedAdminMixin, PeriodicTaskAdmin):
    form = ScheduleForm  # AuditedAdminMixin's secret-aware form knows nothing of beat's fields
    audit_exclude = BOOKKEEPING_FIELDS
    change_form_template = "admin/sharespine/periodictask_change_form.html"
    readonly_fields = ("last_run_at", "crontab_translation", "task_name")
    list_display = ("name", "schedule_of", "enabled", "scheduler", "interval", "last_run_at")
    list_filter = ["enabled", "one_off", ("task", TaskFilter), "start_time", "last_run_at"]

    @admin.display(description=_("what"))
    def schedule_of(self, obj: PeriodicTask) -> str:
        """ "Demobutiken AB / Webshop: stock Visma → shop" for "flow:1:visma_stock_to_shop"."""
        return what_runs(obj.name)

    def changelist_view(self, request, extra_context=None):
        token = _integration_names.set({})
        try:
            response = super().changelist_view(request, extra_context)
            if hasattr(response, "render"):
                response.render()  # the rows are drawn now, while the names are at hand
            return response
        finally:
            _integration_names.reset(token)

    def get_readonly_fields(self, request, obj=None):
        fields = tuple(super().get_readonly_fields(request, obj))
        if obj is None or request.user.is_superuser:
            return fields
        internals = [f.name for f in PeriodicTask._meta.fields if f.editable and f.name not in EDITABLE]
        return fields + tuple(internals)

    @admin.display(description=_("cron schedule in words"))
    def crontab_translation(self, obj: PeriodicTask) -> str:
        return in_words(obj.crontab) or "—"

    @admin.display(description=_("task"))
    def task_name(self, obj: PeriodicTask) -> str:
        return obj.task

    def get_fieldsets(self, request, obj=None):
        """Beat's fieldsets; who may not choose what the schedule runs (a reader, or anyone but a
        superuser on an existing schedule) sees the task by name, not the two inputs for choosing one
        (shown read-only they would say "Regtask: None" and "Task Name")."""

        fieldsets = super().get_fieldsets(request, obj)
        if self.has_change_permission(request, obj) and (obj is None or request.user.is_superuser):
            return fieldsets  # only a superuser chooses what an existing schedule runs
        swap = {"regtask": "", "task": "task_name"}
        shown = []
        for name, options in fieldsets:
            fields = [swap.get(str(f), str(f)) for f in options.get("fields", ())]
            shown.append((name, {**options, "fields": [f for f in fields if f]}))
        return shown

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # The page script shows the chosen cron schedule in words, in the reader's language here;
        # beat's own changeform_view (skipped) would fill them in in the server's locale.
        readable = {crontab.pk: in_words(crontab) for crontab in CrontabSchedule.objects.all()}
        context = {**(extra_context or {}), "readable_crontabs": readable}
        return super(PeriodicTaskAdmin, self).changeform_view(request, object_id, form_url, context)

    enable_tasks = _logged(PeriodicTaskAdmin.enable_tasks)
    disable_tasks = _logged(PeriodicTaskAdmin.disable_tasks)
    toggle_tasks = _logged(PeriodicTaskAdmin.toggle_tasks)
    run_tasks = _logged(PeriodicTaskAdmin.run_tasks)


def register(site: admin.AdminSite) -> None:
    """Replace beat's registration (made by admin autodiscovery) with ours."""
    if site.is_registered(PeriodicTask):
        site.unregister(PeriodicTask)
    site.register(PeriodicTask, AuditedPeriodicTaskAdmin)
