"""The schedules page (django-celery-beat's PeriodicTask admin) under our role rules and change log.

django-celery-beat's own admin offers its actions (enable, disable, toggle, run) to anyone who may
merely view the list, and its writes bypass the change log. Here every action needs the change
permission (consultants; support reads only, see ``sharespine/customers/roles.py``), and every
schedule change, by form or by action, is logged field by field like any other configuration.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django_celery_beat.admin import PeriodicTaskAdmin, PeriodicTaskForm
from django_celery_beat.models import PeriodicTask

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


class AuditedPeriodicTaskAdmin(AuditedAdminMixin, PeriodicTaskAdmin):
    form = PeriodicTaskForm  # AuditedAdminMixin's secret-aware form knows nothing of beat's fields
    audit_exclude = BOOKKEEPING_FIELDS

    enable_tasks = _logged(PeriodicTaskAdmin.enable_tasks)
    disable_tasks = _logged(PeriodicTaskAdmin.disable_tasks)
    toggle_tasks = _logged(PeriodicTaskAdmin.toggle_tasks)
    run_tasks = _logged(PeriodicTaskAdmin.run_tasks)


def register(site: admin.AdminSite) -> None:
    """Replace beat's registration (made by admin autodiscovery) with ours."""
    if site.is_registered(PeriodicTask):
        site.unregister(PeriodicTask)
    site.register(PeriodicTask, AuditedPeriodicTaskAdmin)
