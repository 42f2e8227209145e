"""Property tests: what the client writes is what the client reads back through the shop."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.jetshop.records import PriceListPrice, ProductInput

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
