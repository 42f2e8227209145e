"""The configuration change log: who changed which field, when, from what to what.

The admin calls ``record`` around every save and delete. Secret fields are logged as changed or
not, never with their values.
"""

from __future__ import annotations

import hashlib

from django.db import models

from sharespine.customers.models import ConfigChange, Customer
from sharespine.customers.secrets import EncryptedTextField, Secret

SECRET_DISPLAY = "***"
Snapshot = dict[str, tuple[str, str]]  # field name -> (comparison key, display value)


def snapshot(instance: models.Model | None) -> Snapshot:
    if instance is None:
        return {}
    values: Snapshot = {}
    for field in instance._meta.concrete_fields:
        if field.primary_key:
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


def fresh_snapshot(instance: models.Model) -> Snapshot:
    """The stored state of ``instance`` (a bound form has already changed the object in memory)."""
    if instance.pk is None:
        return {}
    stored = type(instance)._default_manager.filter(pk=instance.pk).first()
    return snapshot(stored)


def _customer_of(instance: models.Model) -> Customer | None:
    if isinstance(instance, Customer):
        return instance if instance.pk else None
    return getattr(instance, "audit_customer", None)


def record(user, instance: models.Model, before: Snapshot, *, deleted: bool = False) -> list[ConfigChange]:
    after = {} if deleted else snapshot(instance)
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
