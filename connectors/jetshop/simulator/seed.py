"""Seeds: ``empty`` (tables only) and ``demo`` (a small catalogue, two channels, orders).

Status ids and names are synthetic placeholders (jetshop-commerce.md §3); the three price-list
GUIDs are the ones in the recorded traffic, so the recorded requests replay against the demo seed.
"""

from __future__ import annotations

import copy
from typing import Any

from connectors.jetshop.simulator import orders, products
from connectors.jetshop.simulator.clock import Clock
from connectors.jetshop.simulator.state import SimState, empty_data

PRICE_LIST_SE = "7c7dfec3-2312-4dc9-a74f-913f3da0c686"
PRICE_LIST_NO = "0036268d-6d49-4a21-b0a2-3c12af44fb14"
PRICE_LIST_B2B = "f2585a2d-452f-45eb-9cb1-9080134ce0c9"

TABLES = {
    "channels": [
        {"id": 1, "name": "Sverige", "domain": "demo.example.se", "currency": "SEK", "cultures": ["sv-SE"],
         "price_list_id": PRICE_LIST_SE},
        {"id": 2, "name": "Norge", "domain": "demo.example.no", "currency": "NOK", "cultures": ["nb-NO"],
         "price_list_id": PRICE_LIST_NO},
    ],
    "price_lists": [
        {"id": PRICE_LIST_SE, "name": "Standard SEK", "currency": "SEK", "channel_id": 1},
        {"id": PRICE_LIST_NO, "name": "Standard NOK", "currency": "NOK", "channel_id": 2},
        {"id": PRICE_LIST_B2B, "name": "Återförsäljare SEK", "currency": "SEK", "channel_id": 1},
    ],
    "stock_statuses": [{"id": 1, "name": "Exakt antal"}, {"id": 9, "name": "Kommer datum"}],
    "order_statuses": [
        {"id": 1, "name": "Mottagen", "sends_mail": True, "captures": False},
        {"id": 2, "name": "Behandlas", "sends_mail": False, "captures": False},
        {"id": 3, "name": "Skickad", "sends_mail": True, "captures": True},
        {"id": 4, "name": "Makulerad", "sends_mail": True, "captures": False},
        {"id": 5, "name": "Väntar på betalning", "sends_mail": False, "captures": False},
    ],
    "dynamic_field_keys": ["material"],
}  # fmt: skip


def _product(state: SimState, now: str, article: str, names: dict[str, str], price: str, **extra) -> dict:
    product = products.new_product(state, article, now)
    product["shared"].update({"Price": price, "Vat": "0.25000000", **extra})
    for culture, name in names.items():
        product["texts"][culture] = {"Name": name, "Permalink": article.lower()}
    product["stock"].update({"NewStockCount": "10", "StockStatusId": "1"})
    for guid in (PRICE_LIST_SE, PRICE_LIST_NO):
        product["prices"][guid] = {"PriceIncVat": "199" if guid == PRICE_LIST_SE else "229",
                                   "DiscountedPriceIncVat": "-1"}  # fmt: skip
    return product


# Keys each table row must have; the others are optional.
_REQUIRED = {
    "channels": {"id", "name", "currency", "cultures"},
    "price_lists": {"id", "name", "currency"},
    "stock_statuses": {"id", "name"},
    "order_statuses": {"id", "name", "sends_mail", "captures"},
}


def _row(table: str, row: dict[str, Any]) -> dict[str, Any]:
    missing = _REQUIRED[table] - row.keys()
    if missing:
        raise ValueError(f"{table}: row {row!r} lacks {sorted(missing)}")
    out = dict(row)
    if table == "price_lists":
        out["id"] = str(out["id"]).lower()  # GUIDs are compared case-insensitively
        out.setdefault("channel_id", None)
    else:
        out["id"] = int(out["id"])  # ids are compared with ints parsed from requests
    if table == "channels":
        out.setdefault("domain", "")
        out["cultures"] = [str(c) for c in out["cultures"]]
        out["price_list_id"] = str(out["price_list_id"]).lower() if out.get("price_list_id") else None
    if table == "order_statuses":
        out["sends_mail"], out["captures"] = bool(out["sends_mail"]), bool(out["captures"])
    return out


def check_tables(tables: dict[str, Any]) -> dict[str, Any]:
    """Validated copies of table replacements; a ValueError names the bad table or row."""
    out: dict[str, Any] = {}
    for table, rows in tables.items():
        if table not in TABLES:
            raise ValueError(f"unknown table {table!r}; one of {sorted(TABLES)}")
        if not isinstance(rows, list):
            raise ValueError(f"{table}: expected a list")
        keys = table == "dynamic_field_keys"
        out[table] = [str(k) for k in rows] if keys else [_row(table, r) for r in rows]
    return out


def seed(state: SimState, clock: Clock, name: str) -> None:
    state.data = empty_data()
    state.data.update(copy.deepcopy({**TABLES, **check_tables(state.config.tables)}))
    if name == "empty":
        return
    now = "2026-01-16T09:30:47.69"
    state.data["next_product_id"] = 2062
    # 3489-99-1 is the recorded article: Product_Get on it answers exactly the recorded response.
    mug = products.new_product(state, "3489-99-1", "2026-01-16T09:30:47.5")
    mug["modified"] = now
    mug["stock"].update({"NewStockCount": "0", "StockStatusId": "9", "DeliveryDate": "2026-01-23T00:00:00",
                         "StockStatusWhenOutOfStock": "9", "UseAdvancedStatus": "false"})  # fmt: skip
    shirt = _product(
        state, now, "TS-100", {"sv-SE": "T-shirt Öresund", "nb-NO": "T-skjorte Øresund"}, "159.2000"
    )
    for size in ("S", "M", "L"):
        article = f"TS-100-{size}"
        variant = _product(
            state, now, article, {"sv-SE": f"T-shirt Öresund {size}"}, "159.2000", AttValue=size
        )
        variant["parent"] = "TS-100"
        shirt["variants"].append(article)
    _product(state, now, "KAFFE-500", {"sv-SE": "Kaffe mörkrost 500 g", "nb-NO": "Kaffe mørkbrent 500 g"},
             "71.4286", Vat="0.12000000")  # fmt: skip
    customer = {"first_name": "Åsa", "last_name": "Öberg", "address": "Storgatan 1", "zip_code": "111 22",
                "city": "Stockholm", "country_code": "SE", "phone": "+46701234567"}  # fmt: skip
    orders.place(state, clock, {
        "channel_id": 1, "currency": "SEK", "culture": "sv-SE", "customer_id": 501, "email": "asa@example.se",
        "bill_to": customer, "payment_method": "KlarnaCheckout", "delivery_method": "PostNord MyPack",
        "freight_inc_vat": "49.00", "order_date": "2026-01-16T10:15:00",
        "rows": [{"article_number": "TS-100-M", "name": "T-shirt Öresund M", "quantity": 2,
                  "unit_price_inc_vat": "199.00", "vat": "0.25", "discount_inc_vat": "20.00"},
                 {"article_number": "KAFFE-500", "name": "Kaffe mörkrost 500 g", "quantity": 1,
                  "unit_price_inc_vat": "89.00", "vat": "0.12"}],
    })  # fmt: skip
    orders.place(state, clock, {
        "channel_id": 2, "currency": "NOK", "culture": "nb-NO", "customer_id": 502, "email": "ola@example.no",
        "bill_to": {"first_name": "Ola", "last_name": "Nordmann", "address": "Karl Johans gate 1",
                    "zip_code": "0154", "city": "Oslo", "country_code": "NO"},
        "payment_method": "Invoice", "delivery_method": "Bring", "freight_inc_vat": "79.00",
        "order_date": "2026-01-16T11:00:00",
        "rows": [{"article_number": "3489-99-1", "name": "Krus Fjell", "quantity": 1,
                  "unit_price_inc_vat": "229.00", "vat": "0.25"}],
    })  # fmt: skip
