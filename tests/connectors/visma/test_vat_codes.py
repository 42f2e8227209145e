"""The company's VAT codes and rates, as the order flow reads them to map shop VAT fractions."""

from __future__ import annotations

from decimal import Decimal


def test_vat_codes_are_the_company_rates(client):
    codes = {v.code: v.rate for v in client.vat_codes()}
    assert codes == {"0": Decimal(0), "1": Decimal(25), "2": Decimal(12), "3": Decimal(6), "4": Decimal(0)}
