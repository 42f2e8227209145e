"""Admin building blocks shared by every configuration page: secrets and the change log."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AdminURLFieldWidget
from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, ValidationError
from django.core.validators import MinValueValidator
from django.utils.html import smart_urlquote
from django.utils.translation import gettext_lazy as _

from sharespine.customers import audit
from sharespine.customers.secrets import EncryptedTextField

SECRET_HELP = _("Stored encrypted and never shown again.")
SECRET_KEEP_HELP = _("Stored encrypted and never shown again. Leave empty to keep the current value.")


class StoredURLWidget(AdminURLFieldWidget):
    """The admin's URL box, whose "Currently:" link shows the stored URL, not what was typed: a
    form shown again after an error must not present a typed (unsaved) URL as the stored one."""

    template_name = "customers/widgets/stored_url.html"

    def __init__(self, stored: str, attrs=None) -> None:
        super().__init__(attrs)
        self.stored = stored

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["stored"] = self.stored
        context["stored_href"] = smart_urlquote(self.stored) if self.stored else ""
        return context


class AdminForm(forms.ModelForm):
    """One bound, one message per problem.

    A number field's lower bound is the model's own (``MinValueValidator(10)``), in the box's
    HTML ``min`` and in the form's check alike: not 0 first and 10 on the next try. And a field
    that failed its own check (too long, not a number) is not also told by the model's ``clean()``
    that it is missing: the model never saw the value, the field's message is the true one."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if not isinstance(field, forms.IntegerField | forms.DecimalField | forms.FloatField):
                continue
            try:
                model_field = self._meta.model._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            bounds = [
                v.limit_value
                for v in model_field.validators
                if isinstance(v, MinValueValidator) and not callable(v.limit_value)
            ]
            if bounds:
                low = max(bounds)
                field.min_value = low
                field.validators = [v for v in field.validators if not isinstance(v, MinValueValidator)]
                field.validators.append(MinValueValidator(low))
                field.widget.attrs["min"] = str(low)

    def _update_errors(self, errors: ValidationError) -> None:
        if hasattr(errors, "error_dict"):
            failed = set(self.errors) - {NON_FIELD_ERRORS}  # the fields' own checks ran first
            kept = {name: errs for name, errs in errors.error_dict.items() if name not in failed}
            if not kept:
                return
            errors = ValidationError(kept)
        super()._update_errors(errors)  # type: ignore[misc]  # private in django-stubs


class SecretFieldsForm(AdminForm):
    """Secrets are write-only: an empty box on an existing object keeps the stored value.

    A form shown again after a validation error keeps what was typed in its secret boxes (echoed
    back into the same page only, never read from the database), so one wrong field elsewhere does
    not make the consultant type the password and agent secret again."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in self.secret_fields():
            field = self.fields[name]
            stored = bool(self.instance.pk and getattr(self.instance, name))
            field.widget = forms.PasswordInput(
                render_value=self.is_bound, attrs={"autocomplete": "new-password"}
            )
            field.required = not stored
            field.help_text = SECRET_KEEP_HELP if stored else SECRET_HELP
            # The box starts empty, so leaving it empty is not a change.
            self.initial[name] = ""
        for name, field in self.fields.items():
            if type(field.widget) is AdminURLFieldWidget:
                stored_url = getattr(self.instance, name, "") if self.instance.pk else ""
                field.widget = StoredURLWidget(stored_url or "", attrs=field.widget.attrs)

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
