"""``{{ when|ago }}``: "3 minutes ago", or "just now" under a minute (never "0 minutes ago")."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext

register = template.Library()


@register.filter
def ago(when: datetime | None) -> str:
    if when is None:
        return ""
    if timezone.now() - when < timedelta(minutes=1):
        return gettext("just now")
    return gettext("%(since)s ago") % {"since": timesince(when)}
