"""Admin building blocks shared by every configuration page: secrets and the change log."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from sharespine.customers import audit
from sharespine.customers.secrets import EncryptedTextField

SECRET_HELP = _("Stored encrypted and never shown again. Leave empty to keep the current value.")


class SecretFieldsForm(forms.ModelForm):
    """Secrets are write-only: an empty box on an existing object keeps the stored value."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in self.secret_fields():
            field = self.fields[name]
            field.widget = forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"})
            field.required = not (self.instance.pk and getattr(self.instance, name))
            field.help_text = SECRET_HELP
            # The box starts empty, so leaving it empty is not a change.
            self.initial[name] = ""

    def secret_fields(self) -> list[str]:
        return [
            f.name
            for f in self._meta.model._meta.concrete_fields
            if isinstance(f, EncryptedTextField) and f.name in self.fields
        ]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data  # what ModelForm.clean returns
        for name in self.secret_fields():
            if not cleaned.get(name) and self.instance.pk:
                cleaned[name] = getattr(self.instance, name)
        return cleaned


if TYPE_CHECKING:  # the mixin's super() calls reach a ModelAdmin
    _AdminBase = admin.ModelAdmin[Any]
else:
    _AdminBase = object


class AuditedAdminMixin(_AdminBase):
    """Writes a ConfigChange row for every field that an admin save or delete changes."""

    form = SecretFieldsForm
    # Fields the model rewrites by itself (timestamps, counters): not configuration, not logged.
    audit_exclude: tuple[str, ...] = ()

    def save_model(self, request, obj, form, change):
        before = audit.fresh_snapshot(obj, exclude=self.audit_exclude) if change else {}
        super().save_model(request, obj, form, change)
        audit.record(request.user, obj, before, exclude=self.audit_exclude)

    def delete_model(self, request, obj):
        audit.record(request.user, obj, audit.snapshot(obj), deleted=True)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            audit.record(request.user, obj, audit.snapshot(obj), deleted=True)
        super().delete_queryset(request, queryset)

    def save_formset(self, request, form, formset, change):
        before = {f.instance.pk: audit.fresh_snapshot(f.instance) for f in formset.forms if f.instance.pk}
        for deleted in formset.deleted_forms:
            if deleted.instance.pk:
                audit.record(request.user, deleted.instance, before[deleted.instance.pk], deleted=True)
        instances = formset.save()
        for obj in instances:
            audit.record(request.user, obj, before.get(obj.pk, {}))


class AuditedModelAdmin(AuditedAdminMixin, admin.ModelAdmin):
    pass


class ReadOnlyModelAdmin(admin.ModelAdmin):
    """A page to read: rows written by the system (a log, counts), never by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
