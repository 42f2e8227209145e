"""Every sample parses to the figures in its README; layouts vary; bad files say what is wrong."""

from __future__ import annotations

from decimal import Decimal

import pytest

from reconciliation.checks import check_payout
from reconciliation.parsing import ParseError, parse_file
from tests.reconciliation.samples import sample

SFTP = "klarna-sftp/7360158299.20250312T000000+0000.csv"


def one(name: str, data: bytes | None = None):
    payouts = parse_file(name, sample(name) if data is None else data)
    assert len(payouts) == 1
    return payouts[0]


def test_klarna_settlement_csv():
    payout = one("klarna-settlement.csv")
    assert (payout.provider, payout.reference, payout.currency) == ("klarna", "7360158214", "SEK")
    assert str(payout.payout_date) == "2025-03-12"
    assert len(payout.lines) == 27
    assert sum(line.net for line in payout.lines) == Decimal("3443.02")
    check = check_payout(payout)
    assert check.duplicates == 1 and check.dropped == 1
    assert check.lines_total == check.stated_total == Decimal("2984.03")
    assert check.balanced
    kept = check.lines
    by_kind = {}
    for line in kept:
        by_kind.setdefault(line.kind, Decimal(0))
        by_kind[line.kind] += line.amount
    assert by_kind["sale"] == Decimal("4006.99")
    assert by_kind["refund"] == Decimal("-449.00")
    assert by_kind["reversal"] == Decimal("-299.00")
    assert by_kind["holdback"] == Decimal("-100.00")
    assert by_kind["other"] == Decimal("-49.00")  # the CHARGE without order
    assert sum(line.fee for line in kept) == Decimal("-100.75")
    assert sum(line.fee_vat for line in kept) == Decimal("-25.21")
    # The quoted ";" in a name stays in its column.
    assert any(line.raw.get("merchant_reference2") == "Ola Nordmann; gåva" for line in kept)


def test_klarna_sftp_file_reference_only_in_its_name():
    payout = one(SFTP)
    assert (payout.reference, payout.currency, str(payout.payout_date)) == ("7360158299", "NOK", "2025-03-12")
    assert payout.stated_total is None
    assert sum(line.net for line in payout.lines) == Decimal("1736.75")
    # vat_amount (the API's name) is read as the fee VAT.
    assert sum(line.fee_vat for line in payout.lines) == Decimal("-10.65")


def test_nets_payout_json():
    payout = one("nets-payout-details.json")
    assert (payout.provider, payout.reference) == ("nets", "8842931705")
    assert payout.stated_total == Decimal("2348.63")
    assert sum(line.net for line in payout.lines) == Decimal("2348.63")
    assert check_payout(payout).balanced


def test_nets_portal_csv_windows_1252_decimal_comma_and_footer():
    payout = one("nets-settlement.csv")
    assert len(payout.lines) == 11  # the "Summa" footer is not a line
    assert sum(line.net for line in payout.lines) == Decimal("2840.38")
    check = check_payout(payout)
    assert check.dropped == 1 and check.lines_total == Decimal("2348.63") == check.stated_total


def test_svea_json_two_clients_dedupe_and_withholding():
    first, second = parse_file("svea.json", sample("svea-reconciliation-report.json"))
    assert first.reference == "79021 20250312" and second.reference == "79022 20250312"
    assert sum(line.net for line in first.lines) == Decimal("3492.24")
    check = check_payout(first)
    assert check.dropped == 1 and check.lines_total == Decimal("2268.24") == check.stated_total
    before = sum(line.net for line in second.lines if line.psp_type != "Withholding")
    assert before == Decimal("1229.27")
    assert second.stated_total == Decimal("1179.27") == sum(line.net for line in second.lines)


def test_svea_csv_flattening():
    first, second = parse_file("svea-report.csv", sample("svea-report.csv"))
    assert first.reference == "79021 20250312"
    assert len(first.lines) == 8  # balance-debt rows skipped
    assert sum(line.net for line in second.lines) == Decimal("1229.27")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "latin-1"])
@pytest.mark.parametrize("delimiter", [";", ",", "\t", "|"])
def test_klarna_any_encoding_and_delimiter(encoding, delimiter):
    text = sample("klarna-settlement.csv").decode("utf-8-sig")
    import csv
    import io

    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows(rows)
    payout = one("k.csv", out.getvalue().encode(encoding))
    check = check_payout(payout)
    assert check.balanced and check.lines_total == Decimal("2984.03")
    assert any(line.order_ref == "100234" and "Rätt & Slätt AB" in line.raw.values() for line in payout.lines)


def test_thousands_separators_and_signs():
    from reconciliation.parsing.text import parse_amount

    for raw, want in [
        ("2 984,03", "2984.03"),
        ("2\u00a0984,03", "2984.03"),
        ("1.234,56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("-12,59", "-12.59"),
        ("12.59-", "-12.59"),
        ("+5", "5.00"),
        ("1'000.00", "1000.00"),
        ("", "0.00"),
    ]:
        assert parse_amount(raw, file="f", row=1, column="c") == Decimal(want), raw


def test_header_aliases_and_renamed_columns():
    text = (
        "Type;Amount;Merchant Reference 1;Order ID;currency;VAT amount\n"
        "SALE;100,00;42;x;SEK;\nFEE;2,00;42;x;SEK;0,50\n"
    )
    payout = one("7000000001.20250301T000000+0000.csv", text.encode())
    assert payout.reference == "7000000001"
    assert sum(line.net for line in payout.lines) == Decimal("97.50")
    assert payout.lines[0].order_ref == "42"


def test_missing_required_column_names_column_and_file():
    text = sample("nets-settlement.csv").decode("cp1252").replace("Action;", "Whatever;")
    with pytest.raises(ParseError) as err:
        parse_file("PayoutDetails.csv", text.encode("cp1252"))
    # Without its Action column the file is no longer recognisable as Nets: it says which are known.
    assert "PayoutDetails.csv" in str(err.value) and "known formats" in str(err.value)
    text = sample("klarna-settlement.csv").decode("utf-8-sig").replace(";amount;", ";amount;", 1)
    text = text.replace("type;capture_date", "type;capture_date").replace(
        ";posting_currency", ";posting_currency"
    )
    broken = "\n".join(line for line in text.splitlines())
    broken = broken.replace(";amount;posting_currency", ";amount_x;posting_currency")
    with pytest.raises(ParseError) as err:
        parse_file("settlement.csv", broken.encode())
    assert "settlement.csv" in str(err.value) and "'amount'" in str(err.value)


def test_bad_number_names_row_and_column():
    text = sample("klarna-settlement.csv").decode("utf-8-sig").replace(";1249.00;SEK", ";12x9.00;SEK", 1)
    with pytest.raises(ParseError) as err:
        parse_file("k.csv", text.encode())
    assert "row 5, column amount" in str(err.value) and "12x9.00" in str(err.value)


@pytest.mark.parametrize(
    "data",
    [b"", b"   \r\n", b"hello;world\n1;2\n", b'{"foo": 1}', b'{"reference": "88", "amount": 1'],
)
def test_empty_truncated_or_unknown_says_which_formats_are_known(data):
    with pytest.raises(ParseError) as err:
        parse_file("upload.bin", data)
    assert "upload.bin" in str(err.value) and "Klarna settlement CSV" in str(err.value)


def test_truncated_csv_row():
    text = sample("nets-settlement.csv").decode("cp1252")
    cut = text[: text.index("100244") + 10]
    with pytest.raises(ParseError) as err:
        parse_file("PayoutDetails.csv", cut.encode("cp1252"))
    assert "truncated" in str(err.value)


def test_nets_json_with_a_missing_page_is_refused():
    import json

    doc = json.loads(sample("nets-payout-details.json"))
    doc["paymentActions"] = doc["paymentActions"][:4]
    with pytest.raises(ParseError) as err:
        parse_file("payout.json", json.dumps(doc).encode())
    assert "10 payment actions" in str(err.value)


def test_bad_input_is_explained_in_swedish_too():
    from django.utils import translation

    text = sample("klarna-settlement.csv").decode("utf-8-sig").replace(";1249.00;SEK", ";12x9.00;SEK", 1)
    with translation.override("sv"), pytest.raises(ParseError) as err:
        parse_file("k.csv", text.encode())
    assert str(err.value) == "k.csv: rad 5, kolumn amount: '12x9.00' är inte ett tal"
