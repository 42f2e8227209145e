"""``?WSDL`` describes every operation the simulator implements; the client checks it."""

from __future__ import annotations

import requests
from lxml import etree

from connectors.jetshop.simulator import SimConfig

WSDL = "{http://schemas.xmlsoap.org/wsdl/}"
EXPECTED = {
    "Product_Get", "Product_AddUpdate", "Product_Delete", "PriceList_UpdateArticleIncVAT",
    "ProductDynamicField_SaveProductDynamicFieldData", "Product_AddUpdateImages",
    "Order_GetByStatus", "Order_Get", "Order_UpdateStatus", "OrderStatus_GetAll", "Channel_GetAll",
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
