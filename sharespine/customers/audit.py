"""The configuration change log: who changed which field, when, from what to what.

The admin calls ``record`` around every save and delete. Secret fields are logged as changed or
not, never with their values.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection

from django.db import models
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
    rows = []
    for name in sorted(set(before) | set(after)):
        old_key, old_display = before.get(name, ("", ""))
        new_key, new_display = after.get(name, ("", ""))
        if old_key == new_key:
            continue
        if old_display == new_display == SECRET_DISPLAY:
            old_display, new_display = SECRET_DISPLAY, f"{SECRET_DISPLAY} (changed)"
        rows.append(ConfigChange(field=name, old_value=old_display, new_value=new_display, **common))
    if deleted and not rows:
        rows.append(ConfigChange(**common))
    return ConfigChange.objects.bulk_create(rows)
