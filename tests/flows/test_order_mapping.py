"""The pure order mapping: VAT per rate, incl./excl. VAT, discounts, freight, öre rows, refusals."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal as D

import pytest

from connectors.jetshop.records import Address, Order, OrderRow
from flows.engine import MappingError
from flows.order_mapping import ROUNDING_ROW_TEXT, Lookups, Routing, map_order, split_discount

LOOKUPS = Lookups(
    vat_codes={D(25): "1", D(12): "2", D(6): "3", D(0): "0"},
    payment_codes={"KlarnaCheckout": "K"},
    delivery_codes={"PostNord MyPack": "P"},
)
PERSON = Address(first_name="Åsa", last_name="Öberg", address="Storgatan 1", zip_code="111 22", city="Sthlm")
COMPANY = Address(company="Bygg & Järn AB", first_name="Per", last_name="Ek", address="Industrivägen 4")


def row(article: str, qty: str, unit: str, vat: str, discount: str = "0") -> OrderRow:
    return OrderRow(article, article, D(qty), D(unit), D(vat), D(discount))


def order(*rows: OrderRow, bill=PERSON, freight="0", freight_vat="0.25", total=None, **extra) -> Order:
    gross = sum((r.quantity * r.unit_price_inc_vat - r.discount_inc_vat for r in rows), D(0)) + D(freight)
    return Order(
        order_id=1, order_number="1001", order_date=None, status_id=1, channel_id=1, currency_code="SEK",
        culture="sv-SE", customer_id=None, email="a@example.se", bill_to=bill, ship_to=bill,
        payment_method="KlarnaCheckout", delivery_method="PostNord MyPack", freight_inc_vat=D(freight),
        freight_vat=D(freight_vat), total_inc_vat=D(total) if total else gross, total_vat=D(0), rows=rows,
        **extra,
    )  # fmt: skip


def mapped(o: Order, routing: Routing | None = None):
    return map_order(
        o,
        kind="order",
        reference="R-1",
        customer_number="1001",
        lookups=LOOKUPS,
        routing=routing or Routing(),
    )


@pytest.mark.parametrize(
    "rows, codes",
    [
        pytest.param([row("A", "1", "125.00", "0.25")], ["1"], id="25_case"),
        pytest.param([row("B", "2", "89.90", "0.12")], ["2"], id="12_case"),
        pytest.param([row("C", "1", "299.00", "0.06")], ["3"], id="6_case"),
        pytest.param([row("D", "1", "500.00", "0")], ["0"], id="0_case"),
        pytest.param(
            [row("A", "1", "125.00", "0.25"), row("B", "3", "89.90", "0.12"), row("C", "1", "299", "0.06")],
            ["1", "2", "3"],
            id="mixed_case",
        ),
    ],
)
def test_private_person_rows_keep_shop_prices_incl_vat_with_the_vat_code_of_their_rate(rows, codes):
    result = mapped(order(*rows))
    doc = result.document
    assert doc.including_vat is True
    assert [r.vat_code for r in doc.rows] == codes
    assert [r.price for r in doc.rows] == [r.unit_price_inc_vat for r in rows]
    assert result.rounding == 0 and not any(r.text == ROUNDING_ROW_TEXT for r in doc.rows)


def test_company_is_excl_vat_and_conversion_rounding_becomes_an_ore_row():
    # 89.90 / 1.12 = 80.2678… → 80.27 per unit; 3 × 80.27 = 240.81 + 12 % = 269.71 vs shop 269.70
    result = mapped(order(row("B", "3", "89.90", "0.12"), bill=COMPANY))
    doc = result.document
    assert doc.including_vat is False and doc.customer_reference == "Bygg & Järn AB"
    assert doc.rows[0].price == D("80.27")
    [ore] = [r for r in doc.rows if r.text == ROUNDING_ROW_TEXT]
    assert (ore.price, ore.vat_code) == (D("-0.01"), "0")


def test_a_one_ore_header_mismatch_becomes_an_ore_row():
    result = mapped(order(row("A", "1", "125.00", "0.25"), freight="49.00", total="174.01"))
    [ore] = [r for r in result.document.rows if r.text == ROUNDING_ROW_TEXT]
    assert ore.price == D("0.01")


def test_a_real_total_mismatch_parks_with_a_breakdown():
    with pytest.raises(MappingError) as caught:
        mapped(order(row("A", "2", "125.00", "0.25"), total="200.00"))
    assert caught.value.reason == "totals_mismatch"
    assert "differs from its rows" in str(caught.value)
    breakdown = caught.value.detail["breakdown"]
    assert breakdown[-1] == {"vat": "order total", "shop": "200.00", "visma": "250.00", "diff": "-50.00"}


def test_row_discount_and_freight_with_their_own_vat():
    result = mapped(order(row("A", "2", "199.00", "0.25", "20.00"), freight="49.00", freight_vat="0.25"))
    doc = result.document
    assert doc.rows[0].discount_amount == D("20.00")
    assert (doc.freight, doc.freight_vat_code) == (D("49.00"), "1")
    assert result.rounding == 0


def test_company_freight_and_discount_are_converted_excl_vat():
    result = mapped(order(row("A", "2", "199.00", "0.25", "20.00"), bill=COMPANY, freight="49.00"))
    doc = result.document
    assert (doc.rows[0].price, doc.rows[0].discount_amount, doc.freight) == (
        D("159.20"),
        D("16.00"),
        D("39.20"),
    )
    assert result.rounding == 0


def test_order_discount_is_split_over_the_vat_rates_in_proportion():
    assert split_discount(D("100"), {D("0.25"): D("300"), D("0.12"): D("100")}) == {
        D("0.25"): D("75.00"),
        D("0.12"): D("25.00"),
    }
    parts = split_discount(D("10"), {D("0.25"): D("1"), D("0.12"): D("1"), D("0.06"): D("1")})
    assert sum(parts.values()) == D("10") and set(parts.values()) <= {D("3.33"), D("3.34")}


@pytest.mark.parametrize(
    "bad, reason, named",
    [
        pytest.param(row("A", "0", "10", "0.25"), "invalid_quantity", "quantity 0", id="zero_quantity_case"),
        pytest.param(
            row("A", "-1", "10", "0.25"), "invalid_quantity", "quantity -1", id="negative_quantity_case"
        ),
        pytest.param(
            row("A", "1", "10", "0.15"), "needs_mapping", "VAT 15 %", id="vat_rate_visma_lacks_case"
        ),
    ],
)
def test_rows_visma_cannot_take_are_refused_naming_the_row(bad, reason, named):
    with pytest.raises(MappingError) as caught:
        mapped(order(row("OK", "1", "10", "0.25"), bad))
    assert caught.value.reason == reason and named in str(caught.value) and "row 2" in str(caught.value)


def test_unknown_payment_method_needs_a_mapping_unless_the_channel_has_a_default():
    swish = replace(order(row("A", "1", "10", "0.25")), payment_method="Swish")
    with pytest.raises(MappingError) as caught:
        mapped(swish)
    assert caught.value.reason == "needs_mapping"
    assert caught.value.detail == {"kind": "payment", "value": "Swish"}
    assert mapped(swish, Routing(terms_of_payment="30")).document.terms_of_payment == "30"
    assert mapped(order(row("A", "1", "10", "0.25"))).document.terms_of_payment == "K"


def test_order_discount_rows_per_vat_rate_and_a_fee_keep_the_total():
    voucher = replace(
        order(row("A", "2", "150.00", "0.25"), row("B", "1", "100.00", "0.12"), freight="49.00"),
        discount_inc_vat=D("100.00"),
        fee_inc_vat=D("29.00"),
        total_inc_vat=D("378.00"),  # 300 + 100 + 49 + 29 − 100
    )
    result = mapped(voucher)
    discounts = [(r.text, r.price, r.vat_code) for r in result.document.rows if r.text and "Rabatt" in r.text]
    assert discounts == [("Rabatt 12 % moms", D("-25.00"), "2"), ("Rabatt 25 % moms", D("-75.00"), "1")]
    assert (result.document.dispatch_fee, result.document.dispatch_fee_vat_code) == (D("29.00"), "1")
    assert result.rounding == 0
