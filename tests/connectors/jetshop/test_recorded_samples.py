"""The recorded Jetshop traffic (tests/fixtures/jetshop, copied from shared/samples/jetshop).

Three directions: our parser reads the real responses; the simulator, given the real requests,
answers byte for byte what the real service answered; and the client, asked for the same thing,
sends the same XML the working client sent.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal

import pytest
from lxml import etree

from connectors.jetshop import parse
from connectors.jetshop.records import DynamicFieldInput, PriceListPrice, ProductInput, StockInput
from connectors.jetshop.wire import STOCKHOLM

from .conftest import FIXTURES


def sample(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def result_of(name: str, operation: str):
    response = parse.parse_envelope(sample(name))
    return parse.result_element(response, operation)


def test_parse_found_product():
    product = parse.product(result_of("Product_Get.found.response.200.xml", "Product_Get"))

    assert product is not None
    assert product.article_number == "3489-99-1"
    assert product.product_id == 2062
    assert product.price == Decimal("0")
    assert product.discounted_price is None  # -1.0000 means "no discounted price"
    assert product.vat == Decimal("0.25")
    assert product.price_list_id == "7c7dfec3-2312-4dc9-a74f-913f3da0c686"
    assert product.modified == datetime(2026, 1, 16, 9, 30, 47, 690000, tzinfo=STOCKHOLM)
    assert product.modified.utcoffset().total_seconds() == 3600
    assert product.stock is not None
    assert product.stock.delivery_date == datetime(2026, 1, 23, tzinfo=STOCKHOLM)
    assert (product.stock.stock_status_id, product.stock.stock_status_name) == (9, "Kommer datum")
    assert product.stock.stock_count == 0


def test_parse_unknown_product_is_none():
    assert parse.product(result_of("Product_Get.notfound.response.200.xml", "Product_Get")) is None


def test_parse_add_update_results_per_culture():
    rows = parse.product_results(result_of("Product_AddUpdate.new.response.200.xml", "Product_AddUpdate"))

    assert [(r.culture, r.status, r.product_id) for r in rows] == [
        ("sv-SE", "SuccessNew", 2068),
        ("nb-NO", "SuccessUpdate", 2068),
    ]
    assert all(r.ok and r.stock_result == "Success" for r in rows)


def test_parse_sender_fault():
    fault = parse.parse_envelope(sample("Product_AddUpdate.fault.response.500.xml"))

    assert isinstance(fault, parse.SoapFault)
    assert fault.is_sender
    assert "is not a valid AllXsd value" in fault.reason


def test_parse_price_list_and_delete_results():
    rows = parse.price_list_results(
        result_of("PriceList_UpdateArticleIncVAT.ok.response.200.xml", "PriceList_UpdateArticleIncVAT")
    )
    deleted = parse.delete_result(result_of("Product_Delete.success.response.200.xml", "Product_Delete"))
    missing = parse.delete_result(result_of("Product_Delete.notfound.response.200.xml", "Product_Delete"))

    assert [r.success for r in rows] == [True, True, True]
    assert (deleted.result, deleted.deleted) == ("Success", True)
    assert (missing.result, missing.deleted) == ("NotFound", False)


@pytest.mark.parametrize(
    "case",
    [
        "Product_Get.notfound",
        "Product_Get.found",
        "Product_AddUpdate.fault",
        "PriceList_UpdateArticleIncVAT.ok",
        "ProductDynamicField_SaveProductDynamicFieldData.ok",
        "Product_Delete.notfound",
    ],
)
def test_simulator_answers_recorded_requests_byte_for_byte(shop, case):
    expected = next(FIXTURES.glob(f"{case}.response.*.xml"))
    status = int(expected.name.rsplit(".", 2)[-2])

    response = shop.post_raw(sample(f"{case}.request.xml"))

    assert response.status_code == status
    assert response.content == expected.read_bytes()


def test_simulator_delete_success_then_not_found_as_recorded(shop, client):
    client.add_update_products([ProductInput("DEMO-3447-10", "sv-SE")])

    first = shop.post_raw(sample("Product_Delete.success.request.xml"))
    second = shop.post_raw(sample("Product_Delete.notfound.request.xml"))

    assert first.content == sample("Product_Delete.success.response.200.xml")
    assert second.content == sample("Product_Delete.notfound.response.200.xml")


@pytest.mark.parametrize("case", ["new", "update"])
def test_simulator_add_update_matches_recorded_shape(shop, client, case):
    if case == "update":
        client.add_update_products([ProductInput("4925-31", "sv-SE")])

    response = shop.post_raw(sample(f"Product_AddUpdate.{case}.request.xml"))

    # Product ids are the shop's own counter; everything else is as recorded.
    def ids_out(body: bytes) -> bytes:
        return re.sub(rb"<ProductId>\d+</ProductId>", b"<ProductId>N</ProductId>", body)

    assert response.status_code == 200
    assert ids_out(response.content) == ids_out(sample(f"Product_AddUpdate.{case}.response.200.xml"))


def test_shop_id_header_is_recorded(shop):
    shop.post_raw(sample("Product_Get.notfound.request.xml"))

    assert shop.side.calls("Product_Get")[-1]["shop_id"] == "demo"


def shape(element: etree._Element) -> tuple:
    """Tag, attributes, declared prefixes, text and children; blind to indentation only.

    (C14N would be the usual tool, but it refuses the relative namespace URI ``WebServiceProvider``.)
    """
    text = (element.text or "").strip() if len(element) else element.text or ""
    return (element.tag, dict(element.attrib), dict(element.nsmap), text, [shape(c) for c in element])


PRICE_LISTS = ("7c7dfec3-2312-4dc9-a74f-913f3da0c686", "0036268d-6d49-4a21-b0a2-3c12af44fb14",
               "f2585a2d-452f-45eb-9cb1-9080134ce0c9")  # fmt: skip
CLIENT_CALLS = {
    "Product_Get.found": lambda c: c.get_product("3489-99-1", "sv-SE"),
    "Product_Delete.success": lambda c: c.delete_product("DEMO-3447-10"),
    "Product_AddUpdate.new": lambda c: c.update_stock([StockInput("2889-80", 1559)], ["sv-SE", "nb-NO"]),
    "Product_AddUpdate.update": lambda c: c.update_stock(
        [StockInput("4925-31", 672, use_advanced_status=True)], ["sv-SE", "nb-NO"]
    ),
    "PriceList_UpdateArticleIncVAT.ok": lambda c: c.update_price_list_prices(
        [PriceListPrice("3489-99-1", guid, Decimal(123)) for guid in PRICE_LISTS]
    ),
    "ProductDynamicField_SaveProductDynamicFieldData.ok": lambda c: c.save_dynamic_fields(
        [DynamicFieldInput("3489-99-1", "b2c_mp", (("sv-SE", "true"), ("nb-NO", "true")))]
    ),
}


@pytest.mark.parametrize("case", sorted(CLIENT_CALLS))
def test_client_sends_what_the_working_client_sent(shop, client, case):
    CLIENT_CALLS[case](client)

    sent = shop.side.calls()[-1]["request"].encode("utf-8")

    assert shape(etree.fromstring(sent)) == shape(etree.fromstring(sample(f"{case}.request.xml")))
