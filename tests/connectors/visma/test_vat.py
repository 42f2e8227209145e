"""Totals per VAT rate and öresavrundning, as stored by the simulated company and read back."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from connectors.visma import protocol as P
from connectors.visma.agent.backends.simulated.vat import row_amount, totals

# Demo articles: 1001 is 25 %, 2001 12 %, 3001 6 %, 4001 VAT-exempt (code 0).
# (rows as (article, quantity, price, discount %, discount amount), incl. VAT, freight,
#  expected {vat code: (basis, vat)}, excl. VAT, VAT, öre rounding, total)
CASES = {
    "excl_25_rounds_up": (
        [("1001", "2", "99.90", None, None)],
        False,
        None,
        {"1": ("199.80", "49.95")},
        "199.80",
        "49.95",
        "0.25",
        "250.00",
    ),
    "incl_25_exact": (
        [("1001", "1", "199.00", None, None)],
        True,
        None,
        {"1": ("159.20", "39.80")},
        "159.20",
        "39.80",
        "0.00",
        "199.00",
    ),
    "incl_all_rates": (
        [
            ("1001", "1", "125.00", None, None),
            ("2001", "1", "56.00", None, None),
            ("3001", "1", "10.60", None, None),
            ("4001", "1", "49.50", None, None),
        ],
        True,
        None,
        {"1": ("100.00", "25.00"), "2": ("50.00", "6.00"), "3": ("10.00", "0.60"), "0": ("49.50", "0.00")},
        "209.50",
        "31.60",
        "-0.10",
        "241.00",
    ),
    "excl_percent_discount": (
        [("1001", "3", "33.33", "10", None)],
        False,
        None,
        {"1": ("89.99", "22.50")},
        "89.99",
        "22.50",
        "-0.49",
        "112.00",
    ),
    "incl_freight_and_12": (
        [("2001", "1", "80.00", None, None)],
        True,
        "49.00",
        {"1": ("39.20", "9.80"), "2": ("71.43", "8.57")},
        "110.63",
        "18.37",
        "0.00",
        "129.00",
    ),
    "excl_6_books": (
        [("3001", "2", "99.50", None, None)],
        False,
        None,
        {"3": ("199.00", "11.94")},
        "199.00",
        "11.94",
        "0.06",
        "211.00",
    ),
    "incl_amount_discount": (
        [("1001", "1", "100.00", None, "15.00")],
        True,
        None,
        {"1": ("68.00", "17.00")},
        "68.00",
        "17.00",
        "0.00",
        "85.00",
    ),
    "excl_freight_25": (
        [("1001", "1", "100.00", None, None)],
        False,
        "39.00",
        {"1": ("139.00", "34.75")},
        "139.00",
        "34.75",
        "0.25",
        "174.00",
    ),
    "exempt_only": (
        [("4001", "2", "500.00", None, None)],
        False,
        None,
        {"0": ("1000.00", "0.00")},
        "1000.00",
        "0.00",
        "0.00",
        "1000.00",
    ),
    "half_krona_rounds_up": (
        [("1001", "1", "80.40", None, None)],
        False,
        None,
        {"1": ("80.40", "20.10")},
        "80.40",
        "20.10",
        "0.50",
        "101.00",
    ),
}


@pytest.mark.parametrize("kind", ["invoice", "order"])
@pytest.mark.parametrize("vat_case", list(CASES))
def test_totals_per_rate(client, unique, vat_case, kind):
    rows, including_vat, freight, per_code, excl, vat, round_off, total = CASES[vat_case]
    document = client.create_document(
        P.DocumentInput(
            kind=kind,
            customer_number="1001",
            reference=f"VAT-{unique}",
            including_vat=including_vat,
            freight=D(freight) if freight else None,
            rows=[
                P.DocumentRowInput(
                    article_number=article,
                    quantity=D(quantity),
                    price=D(price),
                    discount_percent=D(percent) if percent else None,
                    discount_amount=D(amount) if amount else None,
                )
                for article, quantity, price, percent, amount in rows
            ],
        ),
        f"vat-{unique}",
    )
    assert {line.vat_code: (str(line.basis), str(line.amount)) for line in document.vat} == per_code
    assert (str(document.excluding_vat), str(document.vat_amount)) == (excl, vat)
    assert (str(document.round_off), str(document.total)) == (round_off, total)
    assert document.balance == (D(total) if kind == "invoice" else D("0.00"))
    assert document.excluding_vat + document.vat_amount + document.round_off == document.total


def test_row_amount_rounds_half_up():
    assert row_amount(D(3), D("33.33"), D(10)) == D("89.99")
    assert row_amount(D(1), D("0.125")) == D("0.13")


def test_rounding_can_be_switched_off():
    result = totals([(D("80.40"), "1")], {"1": D(25)}, including_vat=False, rounding_unit=D("0.01"))
    assert (result.total, result.round_off) == (D("100.50"), D("0.00"))
