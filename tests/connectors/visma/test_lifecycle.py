"""Order → deliver → invoice → pay, with stock and the event feed, through API and side door."""

from __future__ import annotations

from decimal import Decimal

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
