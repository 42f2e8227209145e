"""``?WSDL`` describes every operation the simulator implements; the client checks it."""

from __future__ import annotations

from datetime import datetime

import requests
from lxml import etree

from connectors.jetshop.simulator import SimConfig
from connectors.jetshop.wire import STOCKHOLM

WSDL = "{http://schemas.xmlsoap.org/wsdl/}"
XS = "{http://www.w3.org/2001/XMLSchema}"
EXPECTED = {
    "Product_Get", "Product_AddUpdate", "Product_Delete", "PriceList_UpdateArticleIncVAT",
    "ProductDynamicField_SaveProductDynamicFieldData", "Product_AddUpdateImages",
    "Order_GetByStatus", "Order_Get", "Order_UpdateStatus", "OrderStatus_GetAll", "Channel_GetAll",
    "Product_GetChangedSince",
}  # fmt: skip


def test_wsdl_lists_every_operation(shop):
    response = requests.get(shop.url + "?WSDL", auth=("sim", "sim"), timeout=5)
    root = etree.fromstring(response.content)

    port_ops = {op.get("name") for op in root.iter(WSDL + "portType") for op in op.iter(WSDL + "operation")}
    binding_ops = {op.get("name") for op in root.iter(WSDL + "binding") for op in op.iter(WSDL + "operation")}
    address = root.find(".//{http://schemas.xmlsoap.org/wsdl/soap12/}address")

    assert response.status_code == 200
    assert port_ops == binding_ops == EXPECTED
    assert root.get("targetNamespace") == "WebServiceProvider"
    assert address.get("location") == shop.url


def test_wsdl_needs_credentials(shop):
    assert requests.get(shop.url + "?WSDL", timeout=5).status_code == 401


def test_client_finds_no_missing_operations(client):
    assert client.missing_operations() == []


def test_client_reports_operations_the_shop_does_not_offer(make_shop):
    config = SimConfig(order_operations={**SimConfig().order_operations, "get": "Order_GetOrder"})

    with make_shop(config).client() as client:
        assert client.missing_operations() == ["Order_Get"]


def declared_parameters(shop) -> dict[str, dict[str, str]]:
    """Operation → {parameter name: minOccurs} from the served WSDL's schema."""
    root = etree.fromstring(requests.get(shop.url + "?WSDL", auth=("sim", "sim"), timeout=5).content)
    schema = root.find(f"{WSDL}types/{XS}schema")
    out = {}
    for element in schema.findall(f"{XS}element"):
        sequence = element.find(f"{XS}complexType/{XS}sequence")
        params = sequence.findall(f"{XS}element")
        out[element.get("name")] = {p.get("name"): p.get("minOccurs") for p in params}
    return out


def test_order_parameters_the_client_sends_are_the_ones_the_wsdl_declares(shop, client):
    declared = declared_parameters(shop)
    since = datetime(2026, 1, 1, tzinfo=STOCKHOLM)

    client.list_orders_by_status(1, since=since, until=since, channel_id=1, max_count=5)
    client.get_order(1)
    client.set_order_status(1, 2, send_mail=True, tracking_number="T-1", comment="Packad")
    client.list_order_statuses()
    client.list_channels()

    calls = shop.side.calls()
    assert len(calls) == 5
    for call in calls:
        body = etree.fromstring(call["request"].encode()).find(
            "{http://www.w3.org/2003/05/soap-envelope}Body"
        )
        sent = {child.tag.split("}")[1] for child in body[0]}
        params = declared[call["operation"]]
        required = {name for name, min_occurs in params.items() if min_occurs == "1"}
        assert required <= sent <= set(params), call["operation"]
    assert list(declared["Order_UpdateStatus"]) == [
        "orderId", "orderStatusId", "sendMail", "trackingNumber", "comment"
    ]  # fmt: skip
    assert declared["Product_AddUpdate"] == {}  # verified operations stay loosely typed (xs:any)


def test_the_product_enumeration_is_declared_with_the_parameters_the_client_sends(shop, client):
    declared = declared_parameters(shop)["Product_GetChangedSince"]

    client.list_products_changed(datetime(2026, 1, 1, tzinfo=STOCKHOLM), "sv-SE", skip=5, take=10)
    client.list_products_changed(None, "nb-NO")

    # All optional, as ASMX declares nullable value types and strings.
    assert declared == {"fromDate": "0", "culture": "0", "skip": "0", "take": "0"}
    for call in shop.side.calls("Product_GetChangedSince"):
        body = etree.fromstring(call["request"].encode()).find(
            "{http://www.w3.org/2003/05/soap-envelope}Body"
        )
        assert {child.tag.split("}")[1] for child in body[0]} <= set(declared)
