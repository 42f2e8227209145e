"""The product enumeration ``Product_GetChangedSince``, a placeholder like the order operations
(jetshop-commerce.md §2.5, §2.6, pitfalls P7 and P8), and the side door's write counter and bulk
product creation that catalogue tests and the benchmark build on.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.errors import PermanentError, TransientError
from connectors.jetshop import JetshopClient
from connectors.jetshop.client import MAX_GROUP_REREADS
from connectors.jetshop.records import PriceListPrice, ProductInput, StockInput
from connectors.jetshop.simulator import JetshopSimulator, SimConfig, products
from connectors.jetshop.simulator.server import start_process
from connectors.jetshop.simulator.soap import find
from connectors.jetshop.wire import ENDPOINT_PATH, STOCKHOLM

SE = "7c7dfec3-2312-4dc9-a74f-913f3da0c686"
NO = "0036268d-6d49-4a21-b0a2-3c12af44fb14"
# The demo seed gives every product one ModifiedDate, so they come in article-number order.
SEEDED = ["3489-99-1", "KAFFE-500", "TS-100", "TS-100-L", "TS-100-M", "TS-100-S"]
OPERATION = "Product_GetChangedSince"


def at(shop, when: str) -> None:
    shop.side.post("/clock", {"now": when, "frozen": True})


def articles(products) -> list[str]:
    return [p.article_number for p in products]


def stockholm(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=STOCKHOLM)


def product_data_xml(response: str, article: str) -> str:
    chunks = re.findall(r"<ProductData>.*?</ProductData>", response, re.S)
    return next(c for c in chunks if f"<ArticleNumber>{article}</ArticleNumber>" in c)


# -- the operation ---------------------------------------------------------------------------


def test_without_since_every_product_comes_by_modified_date_then_article_number(client):
    assert articles(client.list_products_changed(None, "sv-SE")) == SEEDED


def test_since_is_inclusive_and_only_product_writes_move_modified_date(shop, client):
    at(shop, "2026-05-04T10:00:00")
    client.add_update_products([ProductInput("CH-A", "sv-SE", name="A")])
    at(shop, "2026-05-04T11:00:00")
    client.add_update_products([ProductInput("CH-B", "sv-SE", name="B")])
    since = stockholm(2026, 5, 4, 10, 30)

    before = client.list_products_changed(since, "sv-SE")
    at(shop, "2026-05-04T12:00:00")
    client.update_price_list_prices([PriceListPrice("CH-A", SE, Decimal("100"))])
    after_price = client.list_products_changed(since, "sv-SE")
    at(shop, "2026-05-04T13:00:00")
    client.update_stock([StockInput("CH-A", 3)], ["sv-SE"])  # a stock-only row is a product write
    after_stock = client.list_products_changed(since, "sv-SE")
    from_exactly_b = client.list_products_changed(stockholm(2026, 5, 4, 11, 0), "sv-SE")

    assert articles(before) == articles(after_price) == ["CH-B"]
    assert [(p.article_number, p.modified) for p in after_stock] == [
        ("CH-B", stockholm(2026, 5, 4, 11, 0)),
        ("CH-A", stockholm(2026, 5, 4, 13, 0)),
    ]
    assert articles(from_exactly_b) == ["CH-B", "CH-A"]
    request = shop.side.calls(OPERATION)[0]["request"]
    assert "<fromDate>2026-05-04T10:30:00</fromDate><culture>sv-SE</culture><skip>0</skip>" in request


def test_each_product_comes_once_exactly_as_product_get_renders_it_in_that_culture(shop, client):
    swedish = {p.article_number: p for p in client.list_products_changed(None, "sv-SE")}
    norwegian = {p.article_number: p for p in client.list_products_changed(None, "nb-NO")}
    listed_xml = shop.side.calls(OPERATION)[-1]["response"]

    assert list(swedish) == list(norwegian) == SEEDED
    assert (swedish["KAFFE-500"].name, norwegian["KAFFE-500"].name) == (
        "Kaffe mörkrost 500 g",
        "Kaffe mørkbrent 500 g",
    )
    assert norwegian["TS-100-S"].name == ""  # no Norwegian text, as Product_Get answers it
    assert (swedish["KAFFE-500"].price_list_id, norwegian["KAFFE-500"].price_list_id) == (SE, NO)
    for article in SEEDED:
        assert norwegian[article] == client.get_product(article, "nb-NO")
        got_xml = shop.side.calls("Product_Get")[-1]["response"]
        assert product_data_xml(listed_xml, article) == product_data_xml(got_xml, article)


def test_variants_are_listed_as_products_of_their_own_with_their_parent(client):
    listed = {p.article_number: p for p in client.list_products_changed(None, "sv-SE")}
    parent = listed["TS-100"]
    variants = [listed[article] for article in parent.variant_article_numbers]

    assert parent.has_attributes and parent.parent_article_number is None
    assert [(v.article_number, v.parent_article_number, v.attribute_value) for v in variants] == [
        ("TS-100-S", "TS-100", "S"),
        ("TS-100-M", "TS-100", "M"),
        ("TS-100-L", "TS-100", "L"),
    ]
    assert len({parent.product_id, *(v.product_id for v in variants)}) == 4


def test_skip_and_take_page_through_the_ordered_list(client):
    everything = client.list_products_changed(None, "sv-SE")

    pages = [client.list_products_changed(None, "sv-SE", skip=skip, take=4) for skip in (0, 4, 8)]

    assert pages == [everything[:4], everything[4:], []]
    assert client.list_products_changed(None, "sv-SE", skip=2) == everything[2:]
    assert client.list_products_changed(None, "sv-SE", take=0) == []


def test_a_negative_skip_is_a_sender_fault(client):
    with pytest.raises(PermanentError) as caught:
        client.list_products_changed(None, "sv-SE", skip=-1)

    assert caught.value.code == "soap:Sender"
    assert "ArgumentOutOfRangeException" in caught.value.detail


def test_deleted_products_are_no_longer_listed(client):
    client.delete_product("TS-100")  # its variants go with it

    assert articles(client.list_products_changed(None, "sv-SE")) == ["3489-99-1", "KAFFE-500"]


def test_since_is_wall_clock_time_so_the_autumn_repeated_hour_needs_an_overlap(shop, client):
    at(shop, "2026-10-25T02:50:00+02:00")
    client.add_update_products([ProductInput("DST-A", "sv-SE", name="Sommartid")])
    cursor = client.list_products_changed(stockholm(2026, 10, 25), "sv-SE")[-1].modified
    shop.side.post("/clock", {"advance_seconds": 40 * 60})  # 02:30 winter time, 40 minutes later
    client.add_update_products([ProductInput("DST-B", "sv-SE", name="Vintertid")])

    # B was written after A but shows the earlier wall-clock time (P7): a cursor at A's time
    # misses it; one that overlaps by an hour does not.
    assert articles(client.list_products_changed(cursor, "sv-SE")) == ["DST-A"]
    assert articles(client.list_products_changed(cursor - timedelta(hours=1), "sv-SE")) == ["DST-B", "DST-A"]


# -- paging ------------------------------------------------------------------------------------


def test_iteration_pages_until_a_short_page(shop, client):
    at(shop, "2026-06-01T08:00:00")  # after the seeded products' ModifiedDate
    shop.side.post("/products", {"generate": {"count": 9, "prefix": "IT-"}})

    listed = list(client.iter_products_changed(None, "sv-SE", page_size=5))
    pages = len(shop.side.calls(OPERATION))

    assert articles(listed) == articles(client.list_products_changed(None, "sv-SE"))
    assert len(listed) == 15
    assert pages == 4  # three full pages and the short one that ends the enumeration


def offset_pages(client: JetshopClient, page_size: int):
    """Paging by a plain offset, which the client's iterator deliberately does not do."""
    skip = 0
    while True:
        page = client.list_products_changed(None, "sv-SE", skip=skip, take=page_size)
        yield from page
        if len(page) < page_size:
            return
        skip += page_size


def read_while_writing(shop, client, enumerate_) -> list[str]:
    """20 products with one ModifiedDate, read in pages of 5; after the first page, the second
    product (already read) is written, which moves it to the end of the order."""
    shop.side.post("/reset", {"seed": "empty"})
    at(shop, "2026-05-04T10:00:00")
    shop.side.post("/products", {"generate": {"count": 20, "prefix": "W-"}})
    at(shop, "2026-05-04T11:00:00")
    reading = enumerate_(client, 5)
    seen = [next(reading).article_number for _ in range(5)]
    client.add_update_products([ProductInput("W-000002", "sv-SE", name="Ändrad")])
    return seen + [p.article_number for p in reading]


def test_a_write_during_the_enumeration_loses_no_product(shop, client):
    expected = {f"W-{n:06d}" for n in range(1, 21)}

    by_offset = read_while_writing(shop, client, offset_pages)
    by_iterator = read_while_writing(
        shop, client, lambda c, size: c.iter_products_changed(None, "sv-SE", page_size=size)
    )

    assert expected - set(by_offset) == {"W-000006"}  # the hazard is real
    # Every product once, and the written one again at the end (its newer version).
    assert sorted(by_iterator) == sorted([*expected, "W-000002"])
    assert by_iterator[-1] == "W-000002"


def test_a_shop_whose_order_is_not_stable_fails_the_enumeration_instead_of_looping(make_shop):
    shifty = make_shop(seed="empty")
    shifty.side.post("/products", {"generate": {"count": 20, "prefix": "U-"}})

    def one_place_off(state, clock, req):
        """Answers every page after the first one place early, as an unstable ordering would."""
        skip = find(req.op, "skip")
        if int(skip.text) > 0:
            skip.text = str(int(skip.text) - 1)
        return products.products_changed(state, clock, req)

    shifty.app.handlers[OPERATION] = one_place_off
    with shifty.client() as client, pytest.raises(TransientError) as caught:
        list(client.iter_products_changed(None, "sv-SE", page_size=5))

    assert caught.value.code == "unstable_order"
    assert len(shifty.side.calls(OPERATION)) == 2 * (MAX_GROUP_REREADS + 1)


SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# Few distinct dates, so groups of equal ModifiedDate straddle page boundaries.
# Long past, so the writes meanwhile (at the real time) always move a product to the end.
modified_dates = st.sampled_from(["2020-05-04T10:00:00", "2020-05-04T10:00:00.5", "2020-05-04T11:00:00"])


@SETTINGS
@given(
    dates=st.lists(modified_dates, max_size=25),
    page_size=st.integers(min_value=1, max_value=7),
    # (after how many products read, which product, one already read?) to write meanwhile
    writes=st.lists(st.tuples(st.integers(0, 30), st.integers(0, 24), st.booleans()), max_size=4),
)
def test_enumeration_yields_every_product_whatever_is_written_meanwhile(
    shop, client, dates, page_size, writes
):
    shop.side.post("/reset", {"seed": "empty"})
    specs = [{"article_number": f"H-{i:02d}", "modified": date} for i, date in enumerate(dates)]
    shop.side.post("/products", {"products": specs})
    expected = [s["article_number"] for s in specs]
    ordered = articles(client.list_products_changed(None, "sv-SE"))

    seen: list[str] = []
    written: list[str] = []
    pending = sorted(writes)
    for product in client.iter_products_changed(None, "sv-SE", page_size=page_size):
        seen.append(product.article_number)
        while pending and pending[0][0] <= len(seen):
            _, index, already_read = pending.pop(0)
            candidates = seen if already_read else expected
            written.append(candidates[index % len(candidates)])
            client.add_update_products([ProductInput(written[-1], "sv-SE", name="Ändrad")])

    # Every product at least once; only a product written meanwhile more than once (at most once
    # per write, its newer version).
    assert set(seen) == set(expected)
    for article in expected:
        assert 1 <= seen.count(article) <= 1 + written.count(article)
    if not written:
        assert seen == ordered


# -- configuration -------------------------------------------------------------------------------


def test_renamed_enumeration_by_any_of_its_keys(make_shop):
    renamed = make_shop(SimConfig(order_operations={"products_changed": "Product_ListChanged"}))

    for key in ("op_product_changed", "products_changed", OPERATION):
        with renamed.client(operation_names={key: "Product_ListChanged"}) as client:
            assert articles(client.list_products_changed(None, "sv-SE")) == SEEDED
            assert client.missing_operations() == []
    with renamed.client() as default_client:
        assert default_client.missing_operations() == [OPERATION]
        with pytest.raises(PermanentError) as caught:
            default_client.list_products_changed(None, "sv-SE")
    assert caught.value.code == "soap:Sender"


def test_an_unknown_operation_role_is_refused():
    with pytest.raises(ValueError, match="unknown operation roles \\['product_changed'\\]"):
        JetshopSimulator(SimConfig(order_operations={"product_changed": "Product_ListChanged"}))


def test_command_line_renames_the_enumeration():
    process, base_url = start_process("--order-operations", '{"products_changed": "Product_ListChanged"}')
    try:
        names = {"op_product_changed": "Product_ListChanged"}
        with JetshopClient(base_url + ENDPOINT_PATH, "sim", "sim", "demo", operation_names=names) as client:
            assert client.missing_operations() == []
            assert articles(client.list_products_changed(None, "sv-SE")) == SEEDED
    finally:
        process.terminate()
        process.wait(timeout=10)


# -- side door: write counter and bulk creation ----------------------------------------------------


def test_writes_count_the_product_add_update_rows_applied_to_each_article(shop, client):
    client.add_update_products([ProductInput("NEW-1", c, name="Ny") for c in ("sv-SE", "nb-NO")])
    client.update_stock([StockInput("KAFFE-500", 3)], ["sv-SE"])  # stock-only rows count
    client.add_update_products([ProductInput("ORPHAN-1", "sv-SE", parent_article_number="NO-SUCH")])
    client.update_price_list_prices([PriceListPrice("TS-100", SE, Decimal("100"))])  # not a product row

    writes = {p["article"]: p["writes"] for p in shop.side.get("/products")["products"]}

    assert writes == {**dict.fromkeys(SEEDED, 0), "KAFFE-500": 1, "NEW-1": 2}
    assert shop.side.get("/products/NEW-1")["writes"] == 2


def test_batched_writes_touch_each_article_exactly_once(shop):
    shop.side.post("/reset", {"seed": "empty"})
    rows = [ProductInput(f"ONCE-{i}", "sv-SE", name=f"Produkt {i}") for i in range(25)]

    with shop.client(batch_size=10) as client:
        client.add_update_products(rows)

    assert {p["writes"] for p in shop.side.get("/products")["products"]} == {1}


def test_generated_products_with_variants_read_back_through_the_enumeration(shop, client):
    at(shop, "2026-06-01T08:00:00")
    generate = {"count": 1000, "prefix": "P", "culture": "sv-SE", "vat": "0.12", "price": "100.00",
                "variants": ["S", "M"]}  # fmt: skip

    created = shop.side.post("/products", {"generate": generate})
    listed = list(client.iter_products_changed(stockholm(2026, 6, 1, 8, 0), "sv-SE"))

    assert created == {"created": 3000, "first": "P000001", "last": "P001000-M"}
    assert len(listed) == 3000
    assert articles(listed[:4]) == ["P000001", "P000001-M", "P000001-S", "P000002"]
    first, medium = listed[0], listed[1]
    assert (first.name, first.price, first.vat, first.stock.stock_count) == (
        "Produkt 1", Decimal("100"), Decimal("0.12"), 10
    )  # fmt: skip
    assert first.variant_article_numbers == ("P000001-S", "P000001-M")
    assert (medium.name, medium.parent_article_number, medium.attribute_value) == (
        "Produkt 1 M",
        "P000001",
        "M",
    )
    assert shop.side.get("/products/P000001")["writes"] == 0  # created, never written through SOAP


def test_explicit_product_specs(shop, client):
    specs = [
        {"article_number": "X-1", "names": {"sv-SE": "Kopp", "nb-NO": "Krus"}, "price": "99.5",
         "vat": "0.25", "stock_count": 5, "ean_code": "7350000000001", "modified": "2026-05-04T10:00:00"},
        {"article_number": "X-1-BLÅ", "name": "Kopp blå", "parent_article_number": "X-1",
         "attribute_value": "Blå"},
    ]  # fmt: skip

    assert shop.side.post("/products", {"products": specs})["created"] == 2

    cup, blue = client.get_product("X-1", "nb-NO"), client.get_product("X-1-BLÅ", "sv-SE")
    assert (cup.name, cup.price, cup.ean_code, cup.stock.stock_count) == (
        "Krus",
        Decimal("99.5"),
        "7350000000001",
        5,
    )
    assert cup.modified == stockholm(2026, 5, 4, 10, 0)
    assert (blue.name, blue.parent_article_number, blue.attribute_value) == ("Kopp blå", "X-1", "Blå")
    assert cup.variant_article_numbers == ("X-1-BLÅ",)


@pytest.mark.parametrize(
    ("payload", "complaint"),
    [
        ({"products": [{"article_number": "KAFFE-500"}]}, "already exist: ['KAFFE-500']"),
        ({"products": [{"article_number": "D-1"}, {"article_number": "D-1"}]}, "given twice"),
        ({"products": [{"article_number": "V-1", "parent_article_number": "NO-SUCH"}]}, "unknown parent"),
        ({"products": [{"article_number": "N-1", "price": "gratis"}]}, "not a decimal: 'gratis'"),
        ({"products": [{"article_number": "N-1", "vat": "NaN"}]}, "not a number: 'NaN'"),
        ({"generate": {"count": 10_000_000}}, "count must be between"),
        ({"generate": {"prefix": "P"}}, "KeyError"),
    ],
)
def test_bad_bulk_input_is_a_400_and_creates_nothing(shop, payload, complaint):
    payload = {**payload, "products": [{"article_number": "FIRST-1"}, *payload.get("products", [])]}

    response = requests.post(shop.side.base_url + "/products", json=payload, timeout=5)

    assert response.status_code == 400
    assert complaint in response.json()["error"]
    assert "FIRST-1" not in {p["article"] for p in shop.side.get("/products")["products"]}


def test_a_hundred_thousand_products_are_created_in_one_call(shop, client):
    # How fast is a benchmark's question (about a second on a laptop), not a timed test's.
    at(shop, "2026-06-01T08:00:00")  # after the seeded products' ModifiedDate
    created = shop.side.post("/products", {"generate": {"count": 100_000}})

    assert created == {"created": 100_000, "first": "P000001", "last": "P100000"}
    tail = client.list_products_changed(None, "sv-SE", skip=100_000)
    assert articles(tail) == ["P099995", "P099996", "P099997", "P099998", "P099999", "P100000"]
