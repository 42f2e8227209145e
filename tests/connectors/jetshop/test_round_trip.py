"""Property tests: what the client writes is what the client reads back through the shop."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from connectors.jetshop.records import DynamicFieldInput, PriceListPrice, ProductInput

SE = "7c7dfec3-2312-4dc9-a74f-913f3da0c686"
SETTINGS = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

# Characters XML 1.0 can carry. CR is left out: every XML parser (Jetshop's too) turns it into LF.
xml_text = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff")
    | st.sampled_from("åäöÅÄÖøæØÆ\t\n€–“”&<>'\""),
    max_size=300,
)
long_text = st.text(st.sampled_from("abcåäö ÅÄÖ漢字한국어עברית\n"), min_size=2000, max_size=6000)
money = st.decimals(min_value=Decimal("-1"), max_value=Decimal("99999999"), places=4, allow_nan=False)
vat = st.sampled_from([Decimal("0"), Decimal("0.06"), Decimal("0.12"), Decimal("0.25"), Decimal("0.255")])


@SETTINGS
@given(name=xml_text, description=st.one_of(xml_text, long_text), price=money, vat_rate=vat)
@example(name="Ä", description="", price=Decimal("0.0001"), vat_rate=Decimal("0"))
@example(name="ø", description="x", price=Decimal("99999999.9999"), vat_rate=Decimal("0.255"))
@example(name="-", description="🙂", price=Decimal("-1"), vat_rate=Decimal("0.25"))
def test_product_texts_and_decimals_round_trip(client, name, description, price, vat_rate):
    row = ProductInput("RT-1", "sv-SE", name=name, description=description, price=price, vat=vat_rate)

    assert client.add_update_products([row])[0].ok
    product = client.get_product("RT-1", "sv-SE")

    assert product.name == name
    assert product.description == description
    assert product.price == price
    assert product.vat == vat_rate


@SETTINGS
@given(
    suffix=st.text(st.sampled_from("ABCXYZ0123456789-_.åö"), min_size=1, max_size=40),
    price=st.integers(min_value=0, max_value=10**9),
    discounted=st.one_of(st.none(), st.integers(min_value=0, max_value=10**6)),
)
def test_price_list_rows_round_trip(shop, client, suffix, price, discounted):
    article = "RT" + suffix  # never "." or "..", which a URL path would swallow
    client.add_update_products([ProductInput(article, "sv-SE")])

    result = client.update_price_list_prices(
        [
            PriceListPrice(
                article, SE.upper(), Decimal(price), None if discounted is None else Decimal(discounted)
            )
        ]
    )
    stored = shop.side.get(f"/products/{article}")["prices"][SE]

    assert result[0].success
    assert result[0].price_list_id == SE  # GUIDs compared case-insensitively
    assert stored["PriceIncVat"] == str(price)
    assert stored["DiscountedPriceIncVat"] == ("-1" if discounted is None else str(discounted))


short_text = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"), max_size=60
)
quantity = st.integers(min_value=1, max_value=10_000)
unit_price = st.decimals(min_value=Decimal("0"), max_value=Decimal("999999.99"), places=2, allow_nan=False)


@SETTINGS
@given(
    first=short_text, last=short_text, city=short_text, company=short_text,
    row_name=st.one_of(short_text, long_text), quantity=quantity, price=unit_price,
    discount=st.decimals(min_value=Decimal("0"), max_value=Decimal("100"), places=2, allow_nan=False),
    freight=unit_price, vat_rate=vat,
)  # fmt: skip
def test_orders_placed_in_the_shop_read_back_unchanged(
    shop, client, first, last, city, company, row_name, quantity, price, discount, freight, vat_rate
):
    address = {"first_name": first, "last_name": last, "city": city, "company": company}
    spec = {"bill_to": address, "email": f"{first}@exempel.se", "freight_inc_vat": str(freight),
            "rows": [{"article_number": "KAFFE-500", "name": row_name, "quantity": quantity,
                      "unit_price_inc_vat": str(price), "vat": str(vat_rate),
                      "discount_inc_vat": str(discount)}]}  # fmt: skip
    order_id = shop.side.post("/orders", spec)["orders"][0]["id"]

    order = client.get_order(order_id)

    assert (order.bill_to.first_name, order.bill_to.last_name) == (first, last)
    assert (order.ship_to.city, order.ship_to.company) == (city, company)
    assert order.email == f"{first}@exempel.se"
    (row,) = order.rows
    assert (row.name, row.quantity, row.unit_price_inc_vat) == (row_name, quantity, price)
    assert (row.vat, row.discount_inc_vat) == (vat_rate, discount)
    assert order.freight_inc_vat == freight
    assert order.total_inc_vat == quantity * price - discount + freight


@SETTINGS
@given(values=st.lists(st.tuples(st.sampled_from(["sv-SE", "nb-NO", "fi-FI"]), xml_text), max_size=3))
def test_dynamic_field_values_round_trip(shop, client, values):
    distinct = tuple(dict(values).items())  # one value per culture, last one wins as in the shop

    (result,) = client.save_dynamic_fields([DynamicFieldInput("KAFFE-500", "material", distinct)])

    assert result.success
    stored = shop.side.get("/products/KAFFE-500")["dynamic"]["material"]
    assert {culture: stored[culture] for culture, _ in distinct} == dict(distinct)
