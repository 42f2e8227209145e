"""Products, stock and price lists: the verified behaviours (jetshop-commerce.md §6.1 items 1–8)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from connectors.errors import PermanentError
from connectors.jetshop.records import DynamicFieldInput, PriceListPrice, ProductInput, StockInput
from connectors.jetshop.wire import STOCKHOLM

SE = "7c7dfec3-2312-4dc9-a74f-913f3da0c686"
NO = "0036268d-6d49-4a21-b0a2-3c12af44fb14"


def both_cultures(article: str, **fields) -> list[ProductInput]:
    return [ProductInput(article, culture, **fields) for culture in ("sv-SE", "nb-NO")]


def test_unknown_article_is_none(client):
    assert client.get_product("NO-SUCH-1", "sv-SE") is None


def test_new_article_then_update_per_culture_row(client):
    first = client.add_update_products(both_cultures("NEW-1", name="Ny", stock=StockInput("NEW-1", 5)))
    again = client.add_update_products(both_cultures("NEW-1", name="Ny igen"))

    assert [r.status for r in first] == ["SuccessNew", "SuccessUpdate"]
    assert [r.stock_result for r in first] == ["Success", "Success"]
    assert [r.status for r in again] == ["SuccessUpdate", "SuccessUpdate"]
    assert [r.stock_result for r in again] == ["None", "None"]
    assert len({r.product_id for r in first + again}) == 1


def test_batches_return_one_result_per_row(shop):
    rows = [ProductInput(f"B-{i}", "sv-SE", name=f"Produkt {i}") for i in range(25)]

    with shop.client(batch_size=10) as client:
        results = client.add_update_products(rows)

    assert [r.article_number for r in results] == [f"B-{i}" for i in range(25)]
    assert len(shop.side.calls("Product_AddUpdate")) == 3


def test_texts_are_per_culture_and_numbers_are_formatted_as_observed(shop, client):
    client.add_update_products(
        [
            ProductInput("TXT-1", "sv-SE", name="Smörgåsbord", price=Decimal("99.5"), vat=Decimal("0.12")),
            ProductInput("TXT-1", "nb-NO", name="Smørbrød"),
        ]
    )

    sv, nb = client.get_product("TXT-1", "sv-SE"), client.get_product("TXT-1", "nb-NO")
    stored = shop.side.get("/products/TXT-1")

    assert (sv.name, nb.name) == ("Smörgåsbord", "Smørbrød")
    assert (sv.price, sv.vat) == (Decimal("99.5"), Decimal("0.12"))
    assert stored["shared"]["Price"] == "99.5000"
    assert stored["shared"]["Vat"] == "0.12000000"
    assert "<Price>99.5</Price>" in shop.side.calls("Product_AddUpdate")[-1]["request"]


@pytest.mark.parametrize(
    "delivery_date", ['<DeliveryDate xsi:nil="true" />', "<DeliveryDate></DeliveryDate>"]
)
def test_empty_or_nil_delivery_date_is_a_sender_fault(shop, delivery_date):
    body = (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<soap12:Envelope xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        ' xmlns:soap12="http://www.w3.org/2003/05/soap-envelope"><soap12:Body>'
        '<Product_AddUpdate xmlns="WebServiceProvider"><products><ProductData>'
        "<ArticleNumber>F-1</ArticleNumber>"
        f"<Culture>sv-SE</Culture><StockData><ArticleNumber>F-1</ArticleNumber>{delivery_date}</StockData>"
        "</ProductData></products></Product_AddUpdate></soap12:Body></soap12:Envelope>"
    ).encode()

    response = shop.post_raw(body)

    assert response.status_code == 500
    assert b"<soap:Value>soap:Sender</soap:Value>" in response.content
    assert b"is not a valid AllXsd value" in response.content
    assert "F-1" not in {p["article"] for p in shop.side.get("/products")["products"]}


def test_client_omits_missing_delivery_date_so_stock_updates_succeed(shop, client):
    results = client.update_stock([StockInput("3489-99-1", 7, stock_status_id=1)], ["sv-SE", "nb-NO"])

    assert [r.ok for r in results] == [True, True]
    assert "DeliveryDate" not in shop.side.calls("Product_AddUpdate")[-1]["request"]
    assert client.get_product("3489-99-1", "sv-SE").stock.stock_count == 7


def test_stock_with_delivery_date_round_trips(client):
    when = datetime(2026, 2, 2, tzinfo=STOCKHOLM)

    client.update_stock([StockInput("KAFFE-500", 0, stock_status_id=9, delivery_date=when)], ["sv-SE"])

    stock = client.get_product("KAFFE-500", "sv-SE").stock
    assert (stock.delivery_date, stock.stock_status_name) == (when, "Kommer datum")


def test_price_list_rows_report_per_item(shop, client):
    results = client.update_price_list_prices(
        [
            PriceListPrice("TS-100-M", SE, Decimal("249")),
            PriceListPrice("TS-100-M", NO, Decimal("299"), discounted_price_inc_vat=Decimal("249")),
            PriceListPrice("TS-100-M", "00000000-0000-0000-0000-000000000000", Decimal("1")),
            PriceListPrice("NO-SUCH-1", SE, Decimal("1")),
        ]
    )

    assert [r.success for r in results] == [True, True, False, False]
    assert results[2].message and results[3].message
    prices = shop.side.get("/products/TS-100-M")["prices"]
    assert prices[SE] == {"PriceIncVat": "249", "DiscountedPriceIncVat": "-1", "UseDiscountDateSpan": "false"}
    assert prices[NO]["DiscountedPriceIncVat"] == "249"


def test_fractional_price_is_refused_per_row_when_the_field_is_an_integer(shop, client):
    results = client.update_price_list_prices(
        [PriceListPrice("TS-100-S", SE, Decimal("199.50")), PriceListPrice("TS-100-L", SE, Decimal("199"))]
    )

    assert [r.success for r in results] == [False, True]
    assert "whole number" in results[0].message
    assert "TS-100-S" not in shop.side.calls("PriceList_UpdateArticleIncVAT")[-1]["request"]


def test_non_integer_in_an_int_price_field_is_a_permanent_sender_fault(shop):
    with shop.client(integer_price_fields=()) as client, pytest.raises(PermanentError) as caught:
        client.update_price_list_prices([PriceListPrice("TS-100-S", SE, Decimal("199.50"))])

    assert caught.value.code == "soap:Sender"
    assert "Input string was not in a correct format" in caught.value.detail
    assert shop.side.get("/products/TS-100-S")["prices"][SE]["PriceIncVat"] == "199"  # unchanged


def test_price_list_writes_do_not_move_modified_date_but_product_writes_do(shop, client):
    shop.side.post("/clock", {"now": "2026-05-04T10:00:00", "frozen": True})
    client.add_update_products([ProductInput("MOD-1", "sv-SE", name="A")])
    shop.side.post("/clock", {"advance_seconds": 3600})

    client.update_price_list_prices([PriceListPrice("MOD-1", SE, Decimal("100"))])
    after_price = client.get_product("MOD-1", "sv-SE").modified
    client.add_update_products([ProductInput("MOD-1", "sv-SE", name="B")])
    after_product = client.get_product("MOD-1", "sv-SE").modified

    assert after_price == datetime(2026, 5, 4, 10, 0, tzinfo=STOCKHOLM)
    assert after_product == datetime(2026, 5, 4, 11, 0, tzinfo=STOCKHOLM)
    assert (
        "<ModifiedDate>2026-05-04T11:00:00</ModifiedDate>" in shop.side.calls("Product_Get")[-1]["response"]
    )


def test_delete_success_then_not_found(client):
    client.add_update_products([ProductInput("DEL-1", "sv-SE")])

    assert client.delete_product("DEL-1").result == "Success"
    assert client.delete_product("DEL-1").result == "NotFound"
    assert client.get_product("DEL-1", "sv-SE") is None


def test_variants_have_own_article_numbers_and_product_ids(client):
    parent = client.get_product("TS-100", "sv-SE")
    variants = [client.get_product(a, "sv-SE") for a in parent.variant_article_numbers]

    assert parent.has_attributes
    assert [v.article_number for v in variants] == ["TS-100-S", "TS-100-M", "TS-100-L"]
    assert [v.attribute_value for v in variants] == ["S", "M", "L"]
    assert {v.parent_article_number for v in variants} == {"TS-100"}
    assert len({parent.product_id, *(v.product_id for v in variants)}) == 4


def test_new_variant_is_linked_to_its_parent(client):
    results = client.add_update_products(
        [ProductInput("TS-100-XL", "sv-SE", parent_article_number="TS-100", attribute_value="XL")]
    )

    assert results[0].status == "SuccessNew"
    assert "TS-100-XL" in client.get_product("TS-100", "sv-SE").variant_article_numbers


def test_a_failed_row_is_returned_in_place_and_the_others_are_written(client):
    results = client.add_update_products(
        [
            ProductInput("OK-1", "sv-SE", name="Första"),
            ProductInput("ORPHAN-1", "sv-SE", parent_article_number="NO-SUCH-PARENT", attribute_value="XL"),
            ProductInput("OK-2", "sv-SE", name="Andra"),
        ]
    )

    assert [(r.article_number, r.status, r.ok) for r in results] == [
        ("OK-1", "SuccessNew", True),
        ("ORPHAN-1", "Failed", False),
        ("OK-2", "SuccessNew", True),
    ]
    assert client.get_product("ORPHAN-1", "sv-SE") is None
    assert client.get_product("OK-2", "sv-SE").name == "Andra"


def test_clearing_a_discounted_price_writes_minus_one(shop, client):
    client.update_price_list_prices([PriceListPrice("KAFFE-500", SE, Decimal("89"), Decimal("79"))])
    discounted = shop.side.get("/products/KAFFE-500")["prices"][SE]["DiscountedPriceIncVat"]

    client.update_price_list_prices([PriceListPrice("KAFFE-500", SE, Decimal("89"))])
    cleared = shop.side.get("/products/KAFFE-500")["prices"][SE]["DiscountedPriceIncVat"]

    assert (discounted, cleared) == ("79", "-1")
    assert "<DiscountedPriceIncVat>-1</DiscountedPriceIncVat>" in shop.side.calls()[-1]["request"]


def test_dynamic_field_unknown_key_fails_per_row_and_a_known_key_is_saved(shop, client):
    results = client.save_dynamic_fields(
        [
            DynamicFieldInput("3489-99-1", "b2c_mp", (("sv-SE", "true"),)),
            DynamicFieldInput("TS-100", "material", (("sv-SE", "Bomull"), ("nb-NO", "Bomull"))),
            DynamicFieldInput("NO-SUCH-1", "material", (("sv-SE", "Ull"),)),
        ]
    )

    assert [(r.article_number, r.key, r.success) for r in results] == [
        ("3489-99-1", "b2c_mp", False),
        ("TS-100", "material", True),
        ("NO-SUCH-1", "material", False),
    ]
    assert results[0].message == "No dynamic field, connected to product, found with key."
    assert results[0].product_id == 2062 and results[2].product_id is None
    stored = shop.side.get("/products/TS-100")["dynamic"]
    assert stored == {"material": {"sv-SE": "Bomull", "nb-NO": "Bomull"}}
    assert "b2c_mp" not in shop.side.get("/products/3489-99-1")["dynamic"]
