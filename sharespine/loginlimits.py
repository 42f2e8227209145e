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
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


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


class RoleAccessAttemptAdmin(AccessAttemptAdmin):
    """Axes' page, with its bulk action open only to those who may delete (lift) a lock-out."""

    @admin.action(
        description=AccessAttemptAdmin.cleanup_expired_attempts.short_description, permissions=["delete"]
    )
    def cleanup_expired_attempts(self, request, queryset):
        return AccessAttemptAdmin.cleanup_expired_attempts(self, request, queryset)


def register(site: admin.AdminSite) -> None:
    site.register(AccessAttempt, RoleAccessAttemptAdmin)
    site.register(AccessLog, AccessLogAdmin)
