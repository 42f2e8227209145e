"""The configuration change log: who changed which fields, when, from what to what.

The admin calls ``record`` around every save and delete: one row per save (a new merchant is a
few rows, not one per field), its fields listed by name in ``field`` and their values as JSON
objects in ``old_value`` and ``new_value``; ``changes`` reads them back with the fields' names and
the choices and yes/no in the reader's language. A link to another object is logged by that
object's name as it was (an id says nothing to the reader, and the object may be gone later).
Secret fields are logged as changed or not, never with their values.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext as _
from django_celery_beat.models import PeriodicTask

from sharespine.customers.models import ConfigChange, Customer
from sharespine.customers.secrets import EncryptedTextField, Secret

SECRET_DISPLAY = "***"
Snapshot = dict[str, tuple[str, str]]  # field name -> (comparison key, display value)


def snapshot(instance: models.Model | None, *, exclude: Collection[str] = ()) -> Snapshot:
    """Every field of ``instance`` but the primary key and ``exclude`` (bookkeeping, not configuration)."""
    if instance is None:
        return {}
    values: Snapshot = {}
    for field in instance._meta.concrete_fields:
        if field.primary_key or field.name in exclude:
            continue
        value = field.value_from_object(instance)
        if isinstance(field, EncryptedTextField):
            plaintext = value.reveal() if isinstance(value, Secret) else (value or "")
            digest = hashlib.sha256(plaintext.encode()).hexdigest() if plaintext else ""
            values[field.name] = (digest, SECRET_DISPLAY if plaintext else "")
        elif field.is_relation and value is not None:
            related = getattr(instance, field.name, None)
            values[field.name] = (str(value), str(related) if related is not None else str(value))
        else:
            text = "" if value is None else str(value)
            values[field.name] = (text, text)
    return values


def fresh_snapshot(instance: models.Model, *, exclude: Collection[str] = ()) -> Snapshot:
    """The stored state of ``instance`` (a bound form has already changed the object in memory)."""
    if instance.pk is None:
        return {}
    stored = type(instance)._default_manager.filter(pk=instance.pk).first()
    return snapshot(stored, exclude=exclude)


def _customer_of(instance: models.Model) -> Customer | None:
    if isinstance(instance, Customer):
        return instance if instance.pk else None
    customer = getattr(instance, "audit_customer", None)
    if customer is None and isinstance(instance, PeriodicTask):
        customer = _customer_of_schedule(instance)
    return customer


def _customer_of_schedule(task: PeriodicTask) -> Customer | None:
    """The merchant whose integration a flow schedule (``flow:<integration id>:<flow>``) runs."""
    parts = task.name.split(":")
    if len(parts) < 3 or parts[0] != "flow" or not parts[1].isascii() or not parts[1].isdigit():
        return None  # a project-wide schedule (pruning, heartbeats)
    return Customer.objects.filter(integrations__pk=int(parts[1])).first()


def record(
    user,
    instance: models.Model,
    before: Snapshot,
    *,
    deleted: bool = False,
    exclude: Collection[str] = (),
) -> list[ConfigChange]:
    after = {} if deleted else snapshot(instance, exclude=exclude)
    if deleted:
        action = ConfigChange.Action.DELETED
    elif not before:
        action = ConfigChange.Action.CREATED
    else:
        action = ConfigChange.Action.CHANGED
    common = {
        "user": user if user and user.is_authenticated else None,
        "customer": _customer_of(instance),
        "model": instance._meta.label,
        "object_id": str(instance.pk),
        "object_repr": str(instance)[:200],
        "action": action,
    }
    old: dict[str, str] = {}
    new: dict[str, str] = {}
    for name in sorted(set(before) | set(after)):
        old_key, old_display = before.get(name, ("", ""))
        new_key, new_display = after.get(name, ("", ""))
        if old_key == new_key:
            continue
        if old_display == new_display == SECRET_DISPLAY:
            old_display, new_display = SECRET_DISPLAY, f"{SECRET_DISPLAY} (changed)"
        if action != ConfigChange.Action.CREATED:
            old[name] = old_display
        if action != ConfigChange.Action.DELETED:
            new[name] = new_display
    names = sorted(set(old) | set(new))
    if not names and not deleted:
        return []
    field = ", ".join(names)
    max_length = ConfigChange._meta.get_field("field").max_length or 100
    row = ConfigChange(
        field=field if len(field) <= max_length else field[: max_length - 1] + "…",
        old_value=json.dumps(old, ensure_ascii=False) if old else "",
        new_value=json.dumps(new, ensure_ascii=False) if new else "",
        **common,
    )
    return ConfigChange.objects.bulk_create([row])


def _json(text: str) -> dict[str, str] | None:
    if text.startswith("{"):
        try:
            value = json.loads(text)
        except ValueError:
            return None
        if isinstance(value, dict):
            return {str(k): str(v) for k, v in value.items()}
    return None


def _values(change: ConfigChange) -> tuple[dict[str, str], dict[str, str]]:
    """Both sides of a row: JSON objects (an empty side of a created or deleted entry is empty, not
    one row named after every field), or (rows from before one row per save) one bare value each."""
    old, new = _json(change.old_value), _json(change.new_value)
    if old is not None or new is not None:
        return old or {}, new or {}
    bare = {change.field: change.old_value}, {change.field: change.new_value}
    return bare if change.field else ({}, {})


def _field(model_label: str, name: str) -> models.Field | None:
    try:
        field = apps.get_model(model_label)._meta.get_field(name)
    except (LookupError, ValueError, FieldDoesNotExist):
        return None
    return field if isinstance(field, models.Field) else None


def _shown(field: models.Field | None, value: str) -> str:
    """A stored value as the form shows it: a choice by its label, a yes/no field as yes or no."""
    if field is None or value == "":
        return value
    if isinstance(field, models.BooleanField) and value in ("True", "False"):
        return str(_("yes") if value == "True" else _("no"))
    if field.choices and not field.is_relation:
        labels = {str(key): str(label) for key, label in field.flatchoices}
        return labels.get(value, value)
    return value


def changes(change: ConfigChange) -> list[tuple[str, str, str]]:
    """(the field's name in the reader's language, from, to) for each field of a row."""
    old, new = _values(change)
    rows = []
    for name in sorted(set(old) | set(new)):
        field = _field(change.model, name)
        label = str(field.verbose_name) if field is not None else name
        rows.append((label, _shown(field, old.get(name, "")), _shown(field, new.get(name, ""))))
    return rows
