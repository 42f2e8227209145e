"""Order operations (placeholder names and model, configurable) and their effects in the shop."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from connectors.errors import PermanentError
from connectors.jetshop.simulator import SimConfig
from connectors.jetshop.wire import STOCKHOLM

ORDER = {
    "channel_id": 1,
    "currency": "SEK",
    "culture": "sv-SE",
    "customer_id": 777,
    "email": "märta@example.se",
    "bill_to": {"first_name": "Märta", "last_name": "Ångström", "address": "Östra Ågatan 3",
                "city": "Uppsala", "zip_code": "753 22", "country_code": "SE"},
    "ship_to": {"company": "Ångström AB", "first_name": "Märta", "last_name": "Ångström", "city": "Umeå",
                "country_code": "SE"},
    "payment_method": "KlarnaCheckout",
    "delivery_method": "PostNord",
    "freight_inc_vat": "49.00",
    "rows": [{"article_number": "TS-100-S", "name": "T-shirt Öresund S", "quantity": 3,
              "unit_price_inc_vat": "199.00", "vat": "0.25", "discount_inc_vat": "50.00"}],
}  # fmt: skip


def place(shop, **changes) -> int:
    return shop.side.post("/orders", {**ORDER, **changes})["orders"][0]["id"]


def test_placed_order_reads_back_with_all_parts(shop, client):
    order_id = place(shop)

    order = client.get_order(order_id)

    assert (order.channel_id, order.currency_code, order.customer_id) == (1, "SEK", 777)
    assert (order.bill_to.last_name, order.ship_to.company, order.ship_to.city) == (
        "Ångström",
        "Ångström AB",
        "Umeå",
    )
    assert (order.payment_method, order.delivery_method) == ("KlarnaCheckout", "PostNord")
    assert order.freight_inc_vat == Decimal("49.00")
    row = order.rows[0]
    assert (row.article_number, row.quantity, row.unit_price_inc_vat) == ("TS-100-S", 3, Decimal("199"))
    assert (row.vat, row.discount_inc_vat) == (Decimal("0.25"), Decimal("50"))
    assert row.product_id is not None
    assert order.total_inc_vat == Decimal("3") * 199 - 50 + 49


def test_elements_beyond_the_placeholder_model_are_kept_by_name_as_they_come(shop, client):
    """The real OrderData is unverified: whatever else it carries reaches rules as dynamic fields."""
    extra = {"OrderComment": "  Lämna vid dörren, tack!  ", "GiftWrap": "true", "FreeField1": ""}
    order = client.get_order(place(shop, extra=extra))

    assert order.extra == extra, "text kept as sent (spaces too); an empty element reads as empty"
    assert order.payment_method == "KlarnaCheckout" and "PaymentMethod" not in order.extra
    assert client.get_order(place(shop)).extra == {}


def test_unknown_order_is_none(client):
    assert client.get_order(999999) is None


def test_list_by_status_filters_channel_date_and_count(shop, client):
    place(shop, order_date="2026-02-01T12:00:00")
    place(shop, order_date="2026-02-02T12:00:00", channel_id=2, currency="NOK")

    all_received = client.list_orders_by_status(1)
    norwegian = client.list_orders_by_status(1, channel_id=2)
    since = client.list_orders_by_status(1, since=datetime(2026, 2, 1, tzinfo=STOCKHOLM))
    first = client.list_orders_by_status(1, max_count=1)

    assert len(all_received) == 4  # two seeded + two placed
    assert {o.currency_code for o in norwegian} == {"NOK"}
    assert [o.order_date.day for o in since] == [1, 2]
    assert len(first) == 1
    assert client.list_orders_by_status(3) == []


def test_status_set_twice_sends_one_email_and_captures_once(shop, client):
    order_id = place(shop)

    first = client.set_order_status(order_id, 3, send_mail=True, tracking_number="00370712345678901234")
    second = client.set_order_status(order_id, 3, send_mail=True, tracking_number="00370712345678901234")

    effects = shop.side.get(f"/orders/{order_id}")
    assert first.success and second.success
    assert [e["to"] for e in effects["emails"]] == ["märta@example.se"]
    assert len(effects["captures"]) == 1
    assert effects["captures"][0]["amount"] == "596.0000"
    assert effects["tracking_numbers"] == ["00370712345678901234"]
    assert [(h["from_status_id"], h["to_status_id"]) for h in effects["history"]] == [(1, 3)]
    assert client.get_order(order_id).status_id == 3


def test_no_email_without_the_flag_and_no_capture_for_invoice(shop, client):
    order_id = place(shop, payment_method="Invoice")

    client.set_order_status(order_id, 3, send_mail=False)

    effects = shop.side.get(f"/orders/{order_id}")
    assert effects["emails"] == []
    assert effects["captures"] == []
    assert len(effects["history"]) == 1


def test_unknown_order_or_status_is_a_per_item_failure(client):
    assert not client.set_order_status(999999, 3).success
    assert not client.set_order_status(1, 42).success


def test_duplicate_delivery_returns_a_handled_order_again(shop, client):
    order_id = place(shop)
    client.set_order_status(order_id, 2)
    shop.side.fault("duplicate_delivery")

    duplicated = client.list_orders_by_status(1)
    normal = client.list_orders_by_status(1)

    assert order_id in [o.order_id for o in duplicated]
    assert order_id not in [o.order_id for o in normal]


def test_order_statuses_and_channels(client):
    statuses = {s.status_id: s.name for s in client.list_order_statuses()}
    channels = client.list_channels()

    assert statuses[1] == "Mottagen"
    assert statuses[5] == "Väntar på betalning"
    assert [(c.channel_id, c.currency_code, c.cultures) for c in channels] == [
        (1, "SEK", ("sv-SE",)),
        (2, "NOK", ("nb-NO",)),
    ]
    assert channels[0].price_list_id == "7c7dfec3-2312-4dc9-a74f-913f3da0c686"


def test_renamed_order_operations(make_shop):
    names = {"list_by_status": "Order_GetOrdersByStatus", "update_status": "Order_SetStatus"}
    config = SimConfig(order_operations={**SimConfig().order_operations, **names})
    renamed = make_shop(config)

    with renamed.client(operation_names={"Order_GetByStatus": "Order_GetOrdersByStatus",
                                         "update_status": "Order_SetStatus"}) as client:  # fmt: skip
        assert len(client.list_orders_by_status(1)) == 2
        assert client.set_order_status(1, 2).success
    with renamed.client() as default_client, pytest.raises(PermanentError) as caught:
        default_client.list_orders_by_status(1)
    assert caught.value.code == "soap:Sender"


def test_order_times_are_stockholm_local_across_the_dst_switch(shop, client):
    shop.side.post("/clock", {"now": "2026-03-29T01:59:30", "frozen": True})
    before = place(shop)
    shop.side.post("/clock", {"advance_seconds": 60})
    after = place(shop)

    early, late = client.get_order(before).order_date, client.get_order(after).order_date

    assert (early.hour, early.minute, early.utcoffset()) == (1, 59, timedelta(hours=1))
    assert (late.hour, late.minute, late.utcoffset()) == (3, 0, timedelta(hours=2))
    # Same tzinfo means naive subtraction in Python; compare in UTC for the real elapsed time.
    assert late.astimezone(UTC) - early.astimezone(UTC) == timedelta(seconds=60)
    assert "<OrderDate>2026-03-29T03:00:30</OrderDate>" in shop.side.calls()[-1]["response"]


def test_mail_flag_alone_sends_nothing_for_a_status_without_mail(shop, client):
    order_id = place(shop)

    client.set_order_status(order_id, 2, send_mail=True)  # 2 Behandlas: no e-mail template

    effects = shop.side.get(f"/orders/{order_id}")
    assert effects["emails"] == [] and effects["captures"] == []
    assert [h["to_status_id"] for h in effects["history"]] == [2]


def test_status_table_is_configurable_and_drives_mail_and_capture(shop, client):
    shop.side.post(
        "/tables",
        {"order_statuses": [
            {"id": 10, "name": "Ny", "sends_mail": False, "captures": False},
            {"id": 40, "name": "Levererad", "sends_mail": False, "captures": True},
        ]},
    )  # fmt: skip
    order_id = place(shop, status_id=10)

    statuses = [(s.status_id, s.name) for s in client.list_order_statuses()]
    client.set_order_status(order_id, 40, send_mail=True)
    unknown = client.set_order_status(order_id, 3)  # a seeded id that this shop no longer has

    effects = shop.side.get(f"/orders/{order_id}")
    assert statuses == [(10, "Ny"), (40, "Levererad")]
    assert effects["emails"] == []
    assert [c["amount"] for c in effects["captures"]] == ["596.0000"]
    assert (unknown.success, unknown.message) == (False, "Order status not found.")


def test_channel_table_is_configurable(shop, client):
    finland = {"id": 7, "name": "Suomi", "domain": "demo.example.fi", "currency": "EUR",
               "cultures": ["fi-FI", "sv-FI"],
               "price_list_id": "A1B2C3D4-0000-4000-8000-000000000001"}  # fmt: skip
    shop.side.post("/tables", {"channels": [finland]})

    channels = client.list_channels()

    assert [(c.channel_id, c.currency_code, c.cultures, c.price_list_id) for c in channels] == [
        (7, "EUR", ("fi-FI", "sv-FI"), "a1b2c3d4-0000-4000-8000-000000000001")
    ]


def test_the_shop_rows_operation_names_configure_the_client(make_shop):
    from flows.models.config import JetshopShop  # the Django row other code builds clients from

    row = JetshopShop(op_order_list="Order_ListByStatus", op_order_get="Order_GetOne",
                      op_order_set_status="Order_SetStatus", op_order_status_list="OrderStatus_List",
                      op_channel_list="Channel_List", calls_per_second=Decimal("50"))  # fmt: skip
    names = {"list_by_status": "Order_ListByStatus", "get": "Order_GetOne",
             "update_status": "Order_SetStatus", "statuses": "OrderStatus_List",
             "channels": "Channel_List"}  # fmt: skip
    renamed = make_shop(SimConfig(order_operations=names))

    options = {"operation_names": row.order_operations, "calls_per_second": row.calls_per_second}
    with renamed.client(**options) as client:
        assert client.missing_operations() == []
        assert [o.order_id for o in client.list_orders_by_status(1)] == [1, 2]
        assert client.get_order(1).order_id == 1
        assert client.set_order_status(1, 2).success
        assert len(client.list_order_statuses()) == 5
        assert len(client.list_channels()) == 2


def test_autumn_dst_switch_repeats_the_wall_clock_hour(shop, client):
    shop.side.post("/clock", {"now": "2026-10-25T02:30:00+02:00", "frozen": True})
    summer = place(shop)
    clock = shop.side.post("/clock", {"advance_seconds": 3600})
    winter = place(shop)

    # The wire has no offset, so both orders show 02:30 and read back as the first (summer) one:
    # an hour-wide ambiguity a pull cursor must overlap (DESIGN.md, "Cursor").
    first, second = client.get_order(summer).order_date, client.get_order(winter).order_date
    assert clock["utc_offset"] == "1:00:00"
    assert first == second == datetime(2026, 10, 25, 2, 30, tzinfo=STOCKHOLM)
    assert first.utcoffset() == timedelta(hours=2)
