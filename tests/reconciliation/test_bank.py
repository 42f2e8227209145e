"""The bank statement sample ticks off each payout by its reference; what is missing is listed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from reconciliation import service
from reconciliation.bank import import_bank, orphan_bank_lines, overdue_payouts
from reconciliation.models import Payout
from tests.factories import IntegrationFactory
from tests.reconciliation.samples import sample

pytestmark = pytest.mark.django_db
FILES = [
    "klarna-settlement.csv",
    "nets-settlement.csv",
    "svea-report.csv",
    "klarna-sftp/7360158299.20250312T000000+0000.csv",
]


@pytest.fixture
def integration():
    return IntegrationFactory(reconciliation_enabled=True)


def test_bank_statement_ticks_off_payouts(integration, ledger):
    service.import_files(integration, [(name, sample(name)) for name in FILES], ledger=ledger)
    svea_invoice = Payout.objects.get(reference="79021 20250312")
    assert svea_invoice.held_reason == "duplicates_undecided"  # the CSV states no total
    result = import_bank(integration, "bank.csv", sample("bank-statement.csv"))
    assert (result.lines, result.new) == (6, 6)
    assert sorted(result.ticked) == sorted(
        ["7360158214", "8842931705", "79021 20250312", "79022 20250312", "7360158299"]
    )
    payouts = {p.reference: p for p in Payout.objects.filter(integration=integration)}
    assert payouts["7360158214"].bank_amount == Decimal("2984.03")
    assert payouts["7360158214"].bank_date == dt.date(2025, 3, 13)
    # The bank amount settles the Svea duplicate: dropped, and the payout no longer held.
    svea = payouts["79021 20250312"]
    assert (svea.held_reason, svea.dropped, svea.lines_total) == ("", 1, Decimal("2268.24"))
    # The card payout's CSV knows nothing of the 50.00 withheld: the bank shows it.
    card = payouts["79022 20250312"]
    assert (card.held_reason, card.difference) == ("bank_mismatch", Decimal("50.00"))
    assert payouts["7360158299"].bank_amount == Decimal("1675.96")  # NOK payout, SEK in the bank
    assert orphan_bank_lines(integration) == []  # the Swish line is not a PSP's
    assert overdue_payouts(integration, dt.date(2025, 4, 1)) == []
    again = import_bank(integration, "bank.csv", sample("bank-statement.csv"))
    assert (again.new, again.ticked) == (0, [])


def test_payout_not_in_the_bank_and_psp_line_without_payout(integration, ledger):
    service.import_files(integration, [("k.csv", sample("klarna-settlement.csv"))], ledger=ledger)
    data = "Bokföringsdag;Text;Referens;Belopp\n2025-03-20;NETS DENMARK A/S;8842999999;1 000,00\n".encode(
        "latin-1"
    )
    import_bank(integration, "other.csv", data)
    assert [p.reference for p in overdue_payouts(integration, dt.date(2025, 3, 20))] == ["7360158214"]
    assert overdue_payouts(integration, dt.date(2025, 3, 14)) == []
    assert [line.reference for line in orphan_bank_lines(integration)] == ["8842999999"]


def test_a_bank_line_without_a_booking_date_is_refused_by_row_and_nothing_is_half_imported(integration):
    from reconciliation.models import BankLine
    from reconciliation.parsing.errors import ParseError

    statement = (
        "Bokföringsdag;Text;Referens;Belopp\n"
        "2025-03-12;KLARNA;7360158214;2 984,03\n"
        ";NETS;8842931705;2 348,63\n"  # row 3: no date
    )
    with pytest.raises(ParseError) as refused:
        import_bank(integration, "bank.csv", statement.encode("cp1252"))
    assert refused.value.file == "bank.csv" and "3" in refused.value.problem
    assert not BankLine.objects.filter(integration=integration).exists()
