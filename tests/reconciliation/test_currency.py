"""The NOK payout in kronor: the bank's rate (0.9650) against the invoice's (0.9700), to the öre."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from connectors.visma.ledger import LedgerInvoice
from reconciliation import service
from reconciliation.bank import import_bank
from reconciliation.currency import vouchers_in_sek
from reconciliation.models import Payout
from tests.factories import IntegrationFactory
from tests.reconciliation.samples import sample

pytestmark = pytest.mark.django_db
SFTP = "klarna-sftp/7360158299.20250312T000000+0000.csv"
RATE = Decimal("0.97")


class NokInvoices:
    """Visma's foreign-currency invoices of erp-invoices.csv (5006, credit 5014), booked at 0.9700.

    The simulated agent's handling of currency invoices is not verified, so the rate arithmetic is
    tested against the sample's own figures here; matching over HTTP is tested in SEK elsewhere.
    """

    items = [
        LedgerInvoice(
            5006,
            "K",
            "100240",
            "2025-03-09",
            Decimal("1990.00"),
            Decimal("1990.00"),
            "NOK",
            currency_rate=RATE,
        ),
        LedgerInvoice(
            5014,
            "K",
            "100240",
            "2025-03-11",
            Decimal("-200.00"),
            Decimal("-200.00"),
            "NOK",
            currency_rate=RATE,
        ),
    ]

    def invoices(self, references=(), numbers=()):
        return [i for i in self.items if i.reference in set(references) or i.number in set(numbers)]


def test_nok_payout_converted_at_the_bank_rate_with_the_difference_to_7960():
    integration = IntegrationFactory(reconciliation_enabled=True)
    service.import_files(integration, [(SFTP, sample(SFTP))], ledger=NokInvoices())
    import_bank(integration, "bank.csv", sample("bank-statement.csv"))
    payout = Payout.objects.get(reference="7360158299")
    assert (payout.status, payout.bank_amount) == ("matched", Decimal("1675.96"))
    ver_a, ver_b = vouchers_in_sek(payout)
    assert [(r.account, r.amount) for r in ver_a.rows] == [
        ("1580", Decimal("1920.35")), ("7960", Decimal("9.95")), ("1510", Decimal("-1930.30")),
        ("1580", Decimal("-193.00")), ("3960", Decimal("-1.00")), ("1510", Decimal("194.00")),
    ]  # fmt: skip
    assert [(r.account, r.amount) for r in ver_b.rows] == [
        ("1930", Decimal("1675.96")), ("6064", Decimal("41.11")), ("2641", Decimal("10.28")),
        ("1580", Decimal("-1727.35")),
    ]  # fmt: skip
    assert ver_a.balance == ver_b.balance == 0
    sie = service.sie_for([payout], generated=dt.date(2025, 3, 14)).decode("cp437")
    assert "#TRANS 7960 {} 9.95" in sie and "kurs 0.9650" in sie
