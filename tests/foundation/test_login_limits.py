"""Wrong passwords are throttled per username and per address, on both login pages.

Found by probing: 25 wrong passwords and then the right one were all accepted on
``/accounts/login/`` and ``/admin/login/``.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse

from sharespine.loginlimits import client_ip
from tests.factories import user_in_group

pytestmark = pytest.mark.django_db

PASSWORD = "pw-123456!"  # tests.factories.user_in_group's
LOGIN_PAGES = ["/accounts/login/", "/admin/login/"]


def _login(client: Client, url: str, username: str, password: str, address: str = "192.0.2.10"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address)


def _logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.parametrize("url", LOGIN_PAGES)
def test_after_the_limit_even_the_right_password_is_refused(url, consultant):
    client = Client()
    answers = [_login(client, url, "consultant", f"wrong-{n}").status_code for n in range(25)]
    assert answers[: settings.AXES_FAILURE_LIMIT - 1] == [200] * (settings.AXES_FAILURE_LIMIT - 1)
    assert set(answers[settings.AXES_FAILURE_LIMIT :]) == {429}

    refused = _login(client, url, "consultant", PASSWORD)
    assert refused.status_code == 429 and not _logged_in(client)
    page = refused.content.decode()
    assert (
        "För många misslyckade inloggningar" in page and f"{settings.AXES_COOLOFF_TIME.seconds // 60}" in page
    )
    assert "Traceback" not in page and PASSWORD not in page


def test_the_lockout_page_follows_the_visitors_language(consultant):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    for n in range(settings.AXES_FAILURE_LIMIT):
        _login(client, LOGIN_PAGES[0], "consultant", f"wrong-{n}")
    response = _login(client, LOGIN_PAGES[0], "consultant", PASSWORD)
    assert response.status_code == 429 and "Too many failed logins" in response.content.decode()


def test_one_account_is_locked_whatever_address_the_attempts_come_from(consultant):
    client = Client()
    for n in range(settings.AXES_FAILURE_LIMIT):
        _login(client, LOGIN_PAGES[n % 2], "consultant", "wrong", address=f"198.51.100.{n + 1}")
    assert _login(client, LOGIN_PAGES[0], "consultant", PASSWORD, address="203.0.113.99").status_code == 429
    assert not _logged_in(client)


def test_one_address_is_locked_whatever_usernames_it_tries(consultant, support):
    client = Client()
    for n in range(settings.AXES_FAILURE_LIMIT):
        _login(client, LOGIN_PAGES[0], f"guess-{n}", "wrong", address="192.0.2.66")
    assert _login(client, LOGIN_PAGES[0], "support", PASSWORD, address="192.0.2.66").status_code == 429
    # Another address, and the same account, are not affected.
    other = Client()
    assert _login(other, LOGIN_PAGES[0], "support", PASSWORD, address="192.0.2.67").status_code == 302
    assert _logged_in(other)


def test_a_success_below_the_limit_starts_the_count_again(consultant):
    client = Client()
    for _ in range(2):
        for n in range(settings.AXES_FAILURE_LIMIT - 1):
            assert _login(client, LOGIN_PAGES[1], "consultant", f"wrong-{n}").status_code == 200
        assert _login(client, LOGIN_PAGES[1], "consultant", PASSWORD).status_code == 302
        client.logout()


def test_a_consultant_lifts_a_lockout_in_the_admin(client, consultant):
    user_in_group("Merchant", staff=False, username="locked")
    outsider = Client()
    for n in range(settings.AXES_FAILURE_LIMIT):
        _login(outsider, LOGIN_PAGES[0], "locked", f"wrong-{n}", address="192.0.2.1")
    assert _login(outsider, LOGIN_PAGES[0], "locked", PASSWORD, address="192.0.2.200").status_code == 429

    client.force_login(consultant)
    from axes.models import AccessAttempt

    attempts = list(AccessAttempt.objects.filter(username="locked").values_list("pk", flat=True))
    response = client.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "delete_selected", "_selected_action": attempts, "post": "yes"},
    )
    assert response.status_code == 302
    assert _login(outsider, LOGIN_PAGES[0], "locked", PASSWORD, address="192.0.2.200").status_code == 302


class _Request:
    def __init__(self, remote: str, forwarded: str | None = None) -> None:
        self.META = {"REMOTE_ADDR": remote}
        if forwarded is not None:
            self.META["HTTP_X_FORWARDED_FOR"] = forwarded


def test_the_client_address_ignores_a_forged_forwarded_header_unless_proxies_are_trusted():
    assert client_ip(_Request("192.0.2.5", "10.9.9.9")) == "192.0.2.5"
    with override_settings(TRUSTED_PROXY_COUNT=1):
        # The proxy appended the real peer; the first entry is whatever the client claimed.
        assert client_ip(_Request("10.0.0.2", "10.9.9.9, 203.0.113.7")) == "203.0.113.7"
        assert client_ip(_Request("10.0.0.2")) == "10.0.0.2"
        assert client_ip(_Request("10.0.0.2", "not-an-address")) == "10.0.0.2"
