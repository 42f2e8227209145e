"""The integration a console page works on, for a user allowed to: one check for every such page."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from flows.models import Integration


def integration_for(request: HttpRequest, pk: int, *permissions: str) -> Integration:
    """Integration ``pk`` for a user holding every one of ``permissions``: 403 before a 404, so a
    user without the right learns nothing of which integrations exist."""
    if not request.user.has_perms(permissions):
        raise PermissionDenied
    return get_object_or_404(Integration.objects.select_related("customer"), pk=pk)
