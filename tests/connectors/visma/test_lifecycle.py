"""Order → deliver → invoice → pay, with stock and the event feed, through API and side door."""

from __future__ import annotations

from decimal import Decimal

import pytest

from connectors.errors import PermanentError
from connectors.visma import protocol as P


def _stock(client, article: str) -> tuple[Decimal, Decimal, Decimal]:
    found = client.get_article(article)
    return found.in_stock, found.reserved, found.disposable


def _events(client, after: str, reference: str) -> list[P.DocumentEvent]:
    return [e for e in client.document_events(after, 10_000).items if e.reference == reference]


def test_order_to_payment_in_the_event_feed(client, unique):
    cursor = client.document_events(0, 10_000).next_cursor
    in_stock, reserved, disposable = _stock(client, "1002")
    ref = f"LIFE-{unique}"
    order = client.create_document(
        P.DocumentInput(
            kind="order",
            customer_number="1003",
            reference=ref,
            rows=[P.DocumentRowInput(article_number="1002", quantity=Decimal(2), price=Decimal("199.00"))],
        ),
        f"life-{unique}",
    )
    assert _stock(client, "1002") == (in_stock, reserved + 2, disposable - 2)
    assert _events(client, cursor, ref) == []

    client.sim("POST", f"orders/{order.number}/deliver", {"tracking_number": f"TRK{unique}"})
    assert _stock(client, "1002") == (in_stock - 2, reserved, disposable - 2)
    invoice = P.Document.from_dict(client.sim("POST", f"orders/{order.number}/invoice"))
    assert (invoice.order_number, invoice.reference, invoice.total) == (order.number, ref, Decimal("398.00"))
    assert client.get_document("order", order.number).invoice_number == invoice.number

    client.sim("POST", f"invoices/{invoice.number}/payments", {"amount": "100.00"})
    open_items = {i.number: i.balance for i in client.open_invoices(customer="1003").items}
    assert open_items[invoice.number] == Decimal("298.00")
    client.sim("POST", f"invoices/{invoice.number}/payments", {"amount": "298.00"})
    assert invoice.number not in {i.number for i in client.open_invoices(customer="1003").items}

    events = _events(client, cursor, ref)
    assert [(e.event, e.kind) for e in events] == [
        ("delivered", "order"),
        ("invoiced", "order"),
        ("paid", "invoice"),
    ]
    assert events[0].tracking_number == f"TRK{unique}"
    assert events[1].invoice_number == invoice.number
    assert events[2].amount == Decimal("398.00")
    assert [int(e.id) for e in events] == sorted(int(e.id) for e in events)
    # Polling again brings nothing new for this order.
    assert _events(client, events[-1].id, ref) == []


def test_cancelled_order_releases_its_reservation(client, unique):
    cursor = client.document_events(0, 10_000).next_cursor
    before = _stock(client, "2002")
    ref = f"CANCEL-{unique}"
    order = client.create_document(
        P.DocumentInput(
            kind="order",
            customer_number="1001",
            reference=ref,
            rows=[P.DocumentRowInput(article_number="2002", quantity=Decimal(3), price=Decimal("59.00"))],
        ),
        f"cancel-{unique}",
    )
    client.sim("POST", f"documents/order/{order.number}/cancel")
    assert _stock(client, "2002") == before
    assert [e.event for e in _events(client, cursor, ref)] == ["cancelled"]


def test_direct_invoice_is_announced_and_moves_stock(client, unique):
    cursor = client.document_events(0, 10_000).next_cursor
    in_stock, _, _ = _stock(client, "3002")
    ref = f"INV-{unique}"
    invoice = client.create_document(
        P.DocumentInput(
            kind="invoice",
            customer_number="1001",
            reference=ref,
            rows=[P.DocumentRowInput(article_number="3002", quantity=Decimal(1))],
        ),
        f"inv-{unique}",
    )
    assert invoice.rows[0].price == Decimal("79.00")  # no price given: the customer's price list
    assert _stock(client, "3002")[0] == in_stock - 1
    assert [(e.event, e.invoice_number) for e in _events(client, cursor, ref)] == [
        ("invoiced", invoice.number)
    ]


def test_catalogue_reads(client, unique):
    lists = {p.code: p for p in client.price_lists()}
    assert set(lists) >= {"1", "2", "3"}
    breaks = [(p.article_number, p.quantity, p.price) for p in client.iter_prices("2", page_size=3)]
    assert ("1001", Decimal(10), Decimal("124.50")) in breaks
    stock = list(client.iter_stock(page_size=4))
    assert [s.article_number for s in stock] == sorted(s.article_number for s in stock)
    assert len({s.article_number for s in stock}) == len(stock)
    page = client.articles_changed(None, 1000)
    assert {"1001", "2001"} <= {a.number for a in page.items}
    client.sim("POST", "articles", {"items": [{"number": f"N{unique}", "name": "Ny", "in_stock": "4"}]})
    newer = client.articles_changed(page.next_cursor, 1000)
    assert [a.number for a in newer.items] == [f"N{unique}"]
    assert client.get_article(f"N{unique}").in_stock == Decimal(4)
    client.sim(
        "PUT", "prices", {"price_list": "1", "article_number": f"N{unique}", "quantity": "0", "price": "9.90"}
    )
    assert client.customer_price("1001", f"N{unique}").price == Decimal("9.90")
    updated = client.put_article(f"N{unique}", P.ArticleInput(name="Nyare", webshop=False))
    assert (updated.name, updated.webshop) == ("Nyare", False)


def _order(client, reference: str, article: str, quantity: int, **head) -> P.Document:
    row = P.DocumentRowInput(article_number=article, quantity=Decimal(quantity), price=Decimal("10.00"))
    document = P.DocumentInput(kind="order", customer_number="1001", reference=reference, rows=[row], **head)
    return client.create_document(document, f"key-{reference}")


def test_partial_delivery_leaves_a_backorder(client, unique):
    cursor = client.document_events(0, 10_000).next_cursor
    in_stock, reserved, _ = _stock(client, "3001")
    ref = f"PART-{unique}"
    order = _order(client, ref, "3001", 3)
    rows = [{"row_number": 1, "quantity": "1"}]
    client.sim("POST", f"orders/{order.number}/deliver", {"tracking_number": f"P1{unique}", "rows": rows})
    # One shipped; the other two moved to a backorder, which reserves them.
    assert _stock(client, "3001") == (in_stock - 1, reserved + 2, in_stock - 1 - reserved - 2)
    first, backorder = [d for d in client.find_documents(ref) if d.kind == "order"]
    assert (first.number, first.delivered, first.rows[0].quantity_delivered) == (order.number, True, 1)
    # Prices are incl. VAT (the default): the backorder carries the other two at 10.00 each.
    assert (backorder.delivered, backorder.rows[0].quantity_ordered, backorder.total) == (
        False,
        2,
        Decimal("20.00"),
    )
    invoice = P.Document.from_dict(client.sim("POST", f"orders/{order.number}/invoice"))
    assert (invoice.total, invoice.rows[0].quantity_delivered) == (Decimal("10.00"), 1)  # shipped only

    client.sim("POST", f"orders/{backorder.number}/deliver", {"tracking_number": f"P2{unique}"})
    assert _stock(client, "3001") == (in_stock - 3, reserved, in_stock - 3 - reserved)
    delivered = [
        (e.number, e.tracking_number) for e in _events(client, cursor, ref) if e.event == "delivered"
    ]
    assert delivered == [(order.number, f"P1{unique}"), (backorder.number, f"P2{unique}")]


def test_no_backorder_when_the_order_says_so(client, unique):
    in_stock, reserved, _ = _stock(client, "3001")
    ref = f"NOBACK-{unique}"
    order = _order(client, ref, "3001", 3, do_not_create_backorder=True)
    client.sim("POST", f"orders/{order.number}/deliver", {"rows": [{"row_number": 1, "quantity": "1"}]})
    assert _stock(client, "3001") == (in_stock - 1, reserved, in_stock - 1 - reserved)
    assert [d.number for d in client.find_documents(ref)] == [order.number]


def test_side_door_stock_adjustments(client, unique):
    in_stock, reserved, _ = _stock(client, "1003")
    client.sim("POST", "stock/1003", {"delta": "5"})
    client.sim("POST", "stock/1003", {"delta": "-2"})
    assert _stock(client, "1003") == (in_stock + 3, reserved, in_stock + 3 - reserved)
    with pytest.raises(PermanentError) as info:
        client.sim("POST", f"stock/NO{unique}", {"delta": "1"})
    assert info.value.code == 20  # ADKE_COULD_NOT_FIND_ARTICLE


def test_cancelled_invoice_is_announced(client, unique):
    cursor = client.document_events(0, 10_000).next_cursor
    ref = f"INVX-{unique}"
    row = P.DocumentRowInput(article_number="4001", quantity=Decimal(1), price=Decimal("500.00"))
    invoice = client.create_document(
        P.DocumentInput(kind="invoice", customer_number="1001", reference=ref, rows=[row]), f"invx-{unique}"
    )
    cancelled = P.Document.from_dict(client.sim("POST", f"documents/invoice/{invoice.number}/cancel"))
    assert (cancelled.cancelled, cancelled.balance) == (True, Decimal("0.00"))
    assert invoice.number not in {i.number for i in client.open_invoices(customer="1001", limit=10_000).items}
    assert [(e.event, e.kind) for e in _events(client, cursor, ref)] == [
        ("invoiced", "invoice"),
        ("cancelled", "invoice"),
    ]


@pytest.mark.parametrize(
    ("denial_case", "code"),
    [
        ("deliver_twice", 13),
        ("invoice_twice", 217),
        ("invoice_undelivered", 688),
        ("invoice_cancelled", 263),
        ("invoice_unknown_order", 262),
        ("cancel_delivered", 13),
        ("pay_cancelled_invoice", 9),
        ("cancel_paid_invoice", 141),
        ("deliver_unknown_order", 115),
    ],
)
def test_documents_past_their_edit_window_are_refused(client, unique, denial_case, code):
    order = _order(client, f"DENY-{unique}", "1001", 1)
    number = order.number

    def deliver(n: int = number) -> None:
        client.sim("POST", f"orders/{n}/deliver", {})

    def invoice(n: int = number) -> P.Document:
        return P.Document.from_dict(client.sim("POST", f"orders/{n}/invoice"))

    def cancel(kind: str, n: int) -> None:
        client.sim("POST", f"documents/{kind}/{n}/cancel")

    def pay(n: int) -> None:
        client.sim("POST", f"invoices/{n}/payments", {"amount": "1.00"})

    steps = {
        "deliver_twice": (deliver, deliver),
        "invoice_twice": (lambda: (deliver(), invoice()), invoice),
        "invoice_undelivered": (lambda: None, invoice),
        "invoice_cancelled": (lambda: cancel("order", number), invoice),
        "invoice_unknown_order": (lambda: None, lambda: invoice(999_999)),
        "cancel_delivered": (deliver, lambda: cancel("order", number)),
        "pay_cancelled_invoice": (
            lambda: (deliver(), cancel("invoice", invoice().number)),
            lambda: pay(order_invoice(client, number)),
        ),
        "cancel_paid_invoice": (
            lambda: (deliver(), pay(invoice().number)),
            lambda: cancel("invoice", order_invoice(client, number)),
        ),
        "deliver_unknown_order": (lambda: None, lambda: deliver(999_999)),
    }
    prepare, refused = steps[denial_case]
    prepare()
    before = client.get_document("order", number)
    with pytest.raises(PermanentError) as info:
        refused()
    assert info.value.code == code
    assert client.get_document("order", number) == before


def order_invoice(client, order_number: int) -> int:
    return client.get_document("order", order_number).invoice_number
