"""The JSON side door as the demo and tests use it over HTTP: reset, tables, clock, log."""

from __future__ import annotations

import pytest
import requests

from connectors.errors import TransientError
from connectors.jetshop.records import ProductInput


def test_reset_over_http_restores_the_seed_and_clears_log_faults_and_clock(shop, client):
    client.add_update_products([ProductInput("GONE-1", "sv-SE", name="Tillfällig")])
    placed = shop.side.post("/orders", {"email": "a@example.se"})["orders"][0]["id"]
    shop.side.fault("503", count=5)
    shop.side.post("/clock", {"now": "2030-01-01T00:00:00"})

    assert shop.side.post("/reset", {"seed": "demo"}) == {"seed": "demo"}

    assert shop.side.get("/log")["calls"] == []
    assert shop.side.get("/faults")["faults"] == []
    assert shop.side.get("/clock")["frozen"] is False
    assert client.get_product("GONE-1", "sv-SE") is None  # also proves the 503 fault is gone
    assert [o["id"] for o in shop.side.get("/orders")["orders"]] == [1, 2]
    assert placed == 3


def test_reset_to_the_empty_seed_keeps_only_the_tables(shop, client):
    shop.side.post("/reset", {"seed": "empty"})

    assert shop.side.get("/products")["products"] == []
    assert client.list_orders_by_status(1) == []
    assert [s.name for s in client.list_order_statuses()][0] == "Mottagen"


def test_reset_brings_back_the_seeded_tables(shop, client):
    shop.side.post("/tables", {"order_statuses": [{"id": 9, "name": "X", "sends_mail": 0, "captures": 0}]})

    shop.side.post("/reset")

    assert len(client.list_order_statuses()) == 5


@pytest.mark.parametrize(
    ("payload", "complaint"),
    [
        ({"warehouses": []}, "unknown table 'warehouses'"),
        ({"order_statuses": [{"id": 1, "name": "Mottagen"}]}, "lacks ['captures', 'sends_mail']"),
        ({"faults": [{"kind": "meteor"}]}, None),
    ],
)
def test_bad_side_door_input_is_a_400_naming_the_problem(shop, payload, complaint):
    path = "/faults" if "faults" in payload else "/tables"

    response = requests.post(shop.side.base_url + path, json=payload, timeout=5)

    assert response.status_code == 400
    assert (complaint or "unknown fault kind 'meteor'") in response.json()["error"]


def test_stock_status_table_names_the_status_product_get_shows(shop, client):
    shop.side.post("/tables", {"stock_statuses": [{"id": 1, "name": "Finns i lager"}]})

    assert client.get_product("KAFFE-500", "sv-SE").stock.stock_status_name == "Finns i lager"


def test_log_records_each_call_with_its_outcome(shop, client):
    shop.side.fault("receiver", operation="Channel_GetAll")
    client.get_product("NO-SUCH-1", "sv-SE")
    with pytest.raises(TransientError):
        client.list_channels()

    calls = shop.side.calls()

    assert [(c["seq"], c["operation"], c["status"], c.get("fault")) for c in calls] == [
        (1, "Product_Get", 200, None),
        (2, "Channel_GetAll", 500, "receiver"),
    ]
    assert calls[0]["shop_id"] == "demo"
    assert "<Product_GetResult />" in calls[0]["response"]
    assert [c["operation"] for c in shop.side.calls("Channel_GetAll")] == ["Channel_GetAll"]
