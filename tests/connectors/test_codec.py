"""One codec writes and reads the agent's wire records and the payloads the server stores."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from connectors import codec
from connectors.jetshop.records import Address, Order, OrderRow
from connectors.visma import protocol as P
from flows.engine import payloads


def test_a_shop_order_is_stored_and_read_back_exactly():
    order = Order(
        order_id=7,
        order_number="10007",
        order_date=datetime(2026, 5, 1, 9, 30, tzinfo=timezone(timedelta(hours=2))),
        status_id=1,
        channel_id=None,
        currency_code="SEK",
        culture="sv-SE",
        customer_id=None,
        email="a@example.se",
        bill_to=Address(first_name="Åsa", city="Malmö"),
        ship_to=Address(),
        payment_method="Klarna",
        delivery_method="PostNord",
        freight_inc_vat=Decimal("49.00"),
        freight_vat=Decimal("0.25"),
        total_inc_vat=Decimal("1E+3"),
        total_vat=Decimal("200.00"),
        rows=(OrderRow("A-1", "Kaffe", Decimal("2"), Decimal("475.50"), Decimal("0.12")),),
        modified=datetime(2026, 5, 1, 7, 30, tzinfo=UTC),
    )
    stored = json.loads(json.dumps(payloads.dump(order)))  # as it sits in SyncItem.payload
    assert stored["total_inc_vat"] == "1000"  # never exponent notation, like the agent's wire
    assert stored["order_date"] == "2026-05-01T09:30:00+02:00"
    assert payloads.load(Order, stored) == order


def test_the_wire_rules_name_the_field_a_stored_payload_is_read_as_written():
    data = {"kind": "order", "customer_number": "1001", "rows": [{"quantity": 2}]}
    # A stored payload is ours: read as written. The wire refuses a number where a string belongs.
    assert codec.load(P.DocumentInput, data).rows[0].quantity == Decimal(2)
    with pytest.raises(P.ProtocolError, match=r"^rows\[0\]: expected an object$"):
        P.DocumentInput.from_dict(data | {"rows": ["2"]})
    with pytest.raises(P.ProtocolError, match="^customer_number: expected a string$"):
        P.DocumentInput.from_dict(data | {"customer_number": 1001})
    with pytest.raises(P.ProtocolError, match="^kind: one of order, invoice$"):
        P.DocumentInput.from_dict(data | {"kind": "quote"})
    assert P.DocumentInput.from_dict(data).to_dict() == payloads.dump(P.DocumentInput.from_dict(data))
