"""The flows' shop and Visma simulators and a configured merchant, and the people alerts go to."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, time, timedelta
from unittest import mock

import pytest
from django.utils import timezone

from sharespine.alerts.models import AlertSettings
from sharespine.customers.models import Membership
from tests.factories import user_in_group
from tests.flows import conftest as flows

# The flows' simulators and configured merchant, as fixtures of this package too.
_shop, shop, agent, prefix, integration = (
    flows._shop,
    flows.shop,
    flows.agent,
    flows.prefix,
    flows.integration,
)


@contextmanager
def clock(moment: datetime) -> Iterator[None]:
    """The check runs at ``moment`` (only the clock is patched)."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def later(**delta: float) -> datetime:
    return timezone.now() + timedelta(**delta)


@pytest.fixture
def people(db, client, integration):
    """Two consultants (one reads English: he switched the site to English), and a merchant user
    of the integration's merchant; nobody else has chosen, so they read Swedish."""
    swedish = user_in_group("Consultant", staff=True, username="konsult")
    english = user_in_group("Consultant", staff=True, username="consultant-en")
    merchant = user_in_group("Merchant", staff=False, username="handlare")
    Membership.objects.create(user=merchant, customer=integration.customer)
    for user, email in ((swedish, "konsult@example.se"), (english, "consultant@example.com"),
                        (merchant, "handlare@butik.example")):  # fmt: skip
        user.email = email
        user.save()
    client.force_login(english)
    assert client.post("/i18n/setlang/", {"language": "en", "next": "/admin/"}).status_code == 302
    client.logout()
    integration.customer.contact_emails = "kontakt@butik.example"
    integration.customer.save()
    return {"sv": swedish, "en": english, "merchant": merchant}


@pytest.fixture
def alert_settings(integration) -> Callable[..., AlertSettings]:
    """The integration's alert settings with no quiet hours and no digest due in the test (as if
    sent already), changed by ``**fields``."""

    def change(**fields) -> AlertSettings:
        row, _ = AlertSettings.objects.get_or_create(integration=integration)
        defaults = {
            "quiet_from": time(0, 0),
            "quiet_until": time(0, 0),
            "digest_sent_on": timezone.localdate() + timedelta(days=2),
        }
        for name, value in {**defaults, **fields}.items():
            setattr(row, name, value)
        row.save()
        return row

    return change
