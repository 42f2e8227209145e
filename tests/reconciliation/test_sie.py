"""SIE 4I writing rules: CP437 with transliteration, 50-character texts, balanced or refused, escaping."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from reconciliation.sie import Row, UnbalancedVoucher, Ver, write_sie

DAY = dt.date(2025, 3, 13)


def test_text_outside_cp437_is_transliterated_and_long_text_cut():
    ver = Ver(
        DAY,
        'Avgift 5 € "Łódź" ' + "x" * 80,
        [Row("1930", Decimal("1.00"), "Złoty ñ"), Row("6570", Decimal("-1.00"))],
    )
    data = write_sie([ver], company="Ålands Fisk & Co", generated=DAY)
    text = data.decode("cp437")
    assert '#FNAMN "Ålands Fisk & Co"' in text
    # € spelled out, Ł transliterated, ó kept (CP437 has it); cut to 50 characters before escaping.
    assert '"Avgift 5 EUR \\"Lódz\\" ' + "x" * 30 + '" 20250313' in text
    assert '"Zloty ñ"' in text  # ñ is in CP437, Z-with-stroke is not
    assert text.endswith("}\r\n") and "#FLAGGA 0\r\n" in text


def test_unbalanced_voucher_is_refused():
    with pytest.raises(UnbalancedVoucher):
        write_sie([Ver(DAY, "x", [Row("1930", Decimal("1.00"))])], company="A", generated=DAY)


def test_amounts_two_decimals_and_dates():
    ver = Ver(
        DAY, "t", [Row("1930", Decimal("-2984.0"), date=dt.date(2025, 3, 12)), Row("1580", Decimal("2984"))]
    )
    text = write_sie([ver], company="A", generated=DAY).decode("cp437")
    assert "#TRANS 1930 {} -2984.00 20250312" in text and "#TRANS 1580 {} 2984.00 20250313" in text
