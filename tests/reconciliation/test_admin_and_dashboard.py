"""Payouts in the admin (consultant acts, support reads and re-matches) and on the merchant's page;
the package gate (400, or the stand-alone reconciliation package, with no shop)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse

from reconciliation import service
from reconciliation.models import Payout, ReconciliationPackage
from sharespine.customers.tiers import Tier
from tests.connectors.visma.processes import KEY_ID, SECRET
from tests.factories import CustomerFactory, IntegrationFactory, VismaAgentFactory, user_in_group
from tests.reconciliation.samples import sample

pytestmark = pytest.mark.django_db
SFTP = "klarna-sftp/7360158299.20250312T000000+0000.csv"


@pytest.fixture
def integration(sample_agent):
    integration = IntegrationFactory(reconciliation_enabled=True)
    VismaAgentFactory(integration=integration, agent_url=sample_agent.base_url, key_id=KEY_ID, secret=SECRET)
    return integration


@pytest.fixture
def client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # English unless a test says otherwise
    return client


def load(integration, name) -> list[Payout]:
    (result,) = service.import_files(integration, [(name, sample(name))])
    assert not result.error
    return result.payouts


def test_consultant_lists_reads_and_posts(client, consultant, integration):
    (payout,) = load(integration, "nets-payout-details.json")
    client.force_login(consultant)
    listing = client.get(reverse("admin:reconciliation_payout_changelist")).content.decode()
    assert "8842931705" in listing and "Upload payout files" in listing
    page = client.get(reverse("admin:reconciliation_payout_change", args=[payout.pk])).content.decode()
    assert "2348.63" in page and "Post to Visma" in page and "Download SIE 4I" in page
    assert "dispute or chargeback on an invoice already paid" in page
    response = client.post(reverse("admin:reconciliation_payout_post", args=[payout.pk]))
    assert response.status_code == 302
    payout.refresh_from_db()
    assert payout.status == Payout.Status.POSTED
    sie = client.get(reverse("admin:reconciliation_payout_sie", args=[payout.pk]))
    assert sie.status_code == 200 and sie.content.startswith(b"#FLAGGA 0\r\n")


def test_upload_several_files_at_once(client, consultant, integration):
    client.force_login(consultant)
    from django.core.files.uploadedfile import SimpleUploadedFile

    files = [
        SimpleUploadedFile("svea.json", sample("svea-reconciliation-report.json")),
        SimpleUploadedFile("broken.csv", b"a;b\n1;2\n"),
    ]
    response = client.post(
        reverse("admin:reconciliation_payout_upload"),
        {"integration": integration.pk, "payout_files": files},
        follow=True,
    )
    text = response.content.decode().lower()  # the admin capitalises messages
    assert "broken.csv: " in text and "known formats" in text
    assert Payout.objects.filter(integration=integration, provider="svea").count() == 2


def test_support_reads_and_rematches_but_does_not_post(client, support, integration):
    (payout,) = load(integration, SFTP)
    client.force_login(support)
    page = client.get(reverse("admin:reconciliation_payout_change", args=[payout.pk])).content.decode()
    assert "Match again" in page and "Post to Visma" not in page
    assert client.post(reverse("admin:reconciliation_payout_post", args=[payout.pk])).status_code == 403
    assert client.get(reverse("admin:reconciliation_payout_sie", args=[payout.pk])).status_code == 403
    assert client.post(reverse("admin:reconciliation_payout_rematch", args=[payout.pk])).status_code == 302
    assert client.get(reverse("admin:reconciliation_payout_upload")).status_code == 403


@pytest.mark.parametrize(
    ("language", "waiting", "held"),
    [
        ("en", "no invoice for this order in Visma yet", "refund without a credit invoice in Visma"),
        ("sv", "ingen faktura för ordern i Visma ännu", "återbetalning utan kreditfaktura i Visma"),
    ],
)
def test_merchant_sees_payouts_and_what_is_unmatched(client, integration, language, waiting, held):
    load(integration, SFTP)  # NOK invoice 5006 and credit 5014 are not in this Visma company
    owner = user_in_group("Merchant", staff=False, username="owner", customer=integration.customer)
    client.force_login(owner)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    html = client.get(reverse("dashboard:integration", args=[integration.pk])).content.decode()
    section = html[html.index('id="payouts"') : html.index("</section>", html.index('id="payouts"'))]
    assert "7360158299" in section and waiting in section and held in section
    other = user_in_group("Merchant", staff=False, username="other", customer=CustomerFactory())
    client.force_login(other)
    assert client.get(reverse("dashboard:integration", args=[integration.pk])).status_code == 404


def test_package_gate_400_or_the_stand_alone_package_and_no_shop_needed():
    small = CustomerFactory(tier=Tier.T200)
    integration = IntegrationFactory.build(customer=small, reconciliation_enabled=True)
    with pytest.raises(ValidationError) as err:
        integration.full_clean()
    assert "reconciliation_enabled" in err.value.message_dict and "400" in str(err.value)
    ReconciliationPackage.objects.create(customer=small)
    integration.full_clean()  # no shop, no package 400: the stand-alone package is enough
    integration.save()
    assert not integration.shops.exists()
