"""Which language a person's mails are in.

The site has no profile page: it shows the language of the ``django_language`` cookie (the
switcher in the page header) or else the browser's, Swedish by default (``LANGUAGE_CODE``). A
user's mails follow the language the site last showed them: kept when they log in and when they
switch. Addresses that are no user (a merchant's contact e-mails, a consultant's address typed
into the settings) get Swedish.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.views.i18n import set_language

from sharespine.alerts.models import MailLanguage

SUPPORTED = {code for code, _name in settings.LANGUAGES}


def remember(user, language: str | None) -> None:
    code = translation.get_supported_language_variant(language or settings.LANGUAGE_CODE)
    if code in SUPPORTED:
        MailLanguage.objects.update_or_create(user=user, defaults={"language": code})


def remember_at_login(sender, request: HttpRequest | None, user, **kwargs) -> None:
    """Receiver of ``user_logged_in``: the language the login page was shown in."""
    if request is not None:
        remember(user, getattr(request, "LANGUAGE_CODE", None))


def switch_language(request: HttpRequest) -> HttpResponse:
    """Django's ``set_language``, and the choice kept for the user's mails."""
    response = set_language(request)
    if request.method == "POST" and request.user.is_authenticated:
        chosen = request.POST.get("language")
        if chosen in SUPPORTED:
            remember(request.user, chosen)
    return response
