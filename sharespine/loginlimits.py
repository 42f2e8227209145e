"""Login throttling (django-axes): the client's address, and the lock-outs in the admin.

Axes counts wrong passwords per username and per address (settings: ``AXES_*``) on every login
form, the dashboard's and the admin's, and answers a locked-out attempt with
``lockout_response`` (HTTP 429). Consultants lift a lock-out by deleting its row
under *Access attempts*; support reads them.
"""

from __future__ import annotations

import ipaddress

from axes.admin import AccessAttemptAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessLog
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext


def client_ip(request: HttpRequest) -> str | None:
    """The address a login came from: the peer, or the entry ``TRUSTED_PROXY_COUNT`` proxies added.

    Each trusted proxy appends the address it was reached from to X-Forwarded-For, so the client
    is that many entries from the right; anything further left was sent by the client and could
    be forged. Without proxies the header is ignored.
    """
    peer = request.META.get("REMOTE_ADDR")
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return peer
    hops = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(hops) < count:
        return peer
    candidate = hops[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return peer


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """The page a locked-out login gets (429): in the visitor's language, with the wait in minutes."""
    context = {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cooloff_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    }
    return render(request, "registration/locked_out.html", context, status=429)


class Named:
    """An object under another name (its page's heading and breadcrumb), otherwise itself."""

    def __init__(self, obj: object, name: str) -> None:
        self._obj, self._name = obj, name

    def __getattr__(self, attribute: str):
        return getattr(self._obj, attribute)

    def __str__(self) -> str:
        return self._name


class NamedInReadersLanguage(admin.ModelAdmin):
    """Axes names its rows in English with a UTC time ("Access Log for support @ 2026-12-03
    00:28:37.82+00:00"): their pages name them in the reader's language and local time."""

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return super().change_view(request, object_id, form_url, extra_context)
        name = gettext("%(user)s, %(when)s") % {
            "user": obj.username or "—",
            "when": date_format(timezone.localtime(obj.attempt_time), "SHORT_DATETIME_FORMAT"),
        }
        context = {**(extra_context or {}), "subtitle": name, "original": Named(obj, name)}
        return super().change_view(request, object_id, form_url, context)


class RoleAccessLogAdmin(NamedInReadersLanguage, AccessLogAdmin):
    pass


class RoleAccessAttemptAdmin(NamedInReadersLanguage, AccessAttemptAdmin):
    """Axes' page, with its bulk action open only to those who may delete (lift) a lock-out."""

    @admin.action(
        description=AccessAttemptAdmin.cleanup_expired_attempts.short_description, permissions=["delete"]
    )
    def cleanup_expired_attempts(self, request, queryset):
        return AccessAttemptAdmin.cleanup_expired_attempts(self, request, queryset)


def register(site: admin.AdminSite) -> None:
    site.register(AccessAttempt, RoleAccessAttemptAdmin)
    site.register(AccessLog, RoleAccessLogAdmin)
