"""Exactly-once document creation and Visma's validation errors, over HTTP."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

from connectors.errors import PermanentError, TransientError
from connectors.visma import protocol as P


def order(reference: str, **overrides) -> P.DocumentInput:
    rows = overrides.pop("rows", None) or [
        P.DocumentRowInput(article_number="2001", quantity=Decimal(1), price=Decimal("89.90"))
    ]
    fields = {"kind": "order", "customer_number": "1001", "reference": reference, "rows": rows} | overrides
    return P.DocumentInput(**fields)


def test_concurrent_duplicates_create_exactly_one_document(client, agent, unique):
    before = client.sim("GET", "counts")["ooi_head"]
    document = order(f"DUP-{unique}")
    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(lambda _: client.create_document(document, f"key-{unique}"), range(12)))
    assert len({r.number for r in results}) == 1
    assert client.sim("GET", "counts")["ooi_head"] == before + 1
    assert len(client.find_documents(f"DUP-{unique}")) == 1


def test_repeat_later_returns_the_same_document(client, unique):
    first = client.create_document(order(f"REP-{unique}"), f"rep-{unique}")
    again = client.create_document(order(f"REP-{unique}"), f"rep-{unique}")
    assert (again.kind, again.number, again.total) == (first.kind, first.number, first.total)


def test_key_reused_with_another_body_is_a_conflict(client, unique):
    client.create_document(order(f"CON-{unique}"), f"con-{unique}")
    with pytest.raises(PermanentError) as info:
        client.create_document(order(f"CON2-{unique}"), f"con-{unique}")
    assert info.value.code == 409
    assert client.find_documents(f"CON2-{unique}") == []


def test_refused_create_can_be_retried_with_the_same_key(client, unique):
    bad = order(f"RETRY-{unique}", customer_number="NOPE")
    with pytest.raises(PermanentError):
        client.create_document(bad, f"retry-{unique}")
    assert client.find_documents(f"RETRY-{unique}") == []


@pytest.mark.parametrize(
    ("error_case", "code", "field"),
    [
        ("unknown_article", 50, "ADK_OOI_ROW_ARTICLE_NUMBER"),
        ("unknown_customer", 49, "ADK_OOI_HEAD_CUSTOMER_NUMBER"),
        ("reference_too_long", 180, "ADK_OOI_HEAD_CUSTOMER_ORDER_NUMBER"),
        ("too_many_decimals", 181, "ADK_OOI_ROW_PRICE_EACH_CURRENT_CURRENCY"),
        ("unknown_price_list", 35, "ADK_OOI_HEAD_LIST_OF_PRICE_CODE"),
        ("unknown_payment_terms", 41, "ADK_OOI_HEAD_CODE_OF_TERMS_OF_PAYMENT"),
        ("unknown_way_of_delivery", 42, "ADK_OOI_HEAD_CODE_OF_WAY_OF_DELIVERY"),
        ("unknown_currency", 43, "ADK_OOI_HEAD_CURRENCY_CODE"),
        ("invalid_vat_code", 373, "ADK_OOI_ROW_VAT_CODE"),
    ],
)
def test_validation_errors_are_permanent_with_the_visma_code(client, agent, unique, error_case, code, field):
    ref = f"V-{unique}"
    row = {"article_number": "2001", "quantity": Decimal(1), "price": Decimal("89.90")}
    document = {
        "unknown_article": lambda: order(ref, rows=[P.DocumentRowInput(**{**row, "article_number": "NOPE"})]),
        "unknown_customer": lambda: order(ref, customer_number="NOPE"),
        "reference_too_long": lambda: order("R" * 21),
        "too_many_decimals": lambda: order(
            ref, rows=[P.DocumentRowInput(**{**row, "price": Decimal("89.905")})]
        ),
        "unknown_price_list": lambda: order(ref, price_list="ZZ"),
        "unknown_payment_terms": lambda: order(ref, terms_of_payment="ZZ"),
        "unknown_way_of_delivery": lambda: order(ref, way_of_delivery="ZZ"),
        "unknown_currency": lambda: order(ref, currency="ZZZ"),
        "invalid_vat_code": lambda: order(ref, rows=[P.DocumentRowInput(**row, vat_code="9")]),
    }[error_case]()
    before = client.sim("GET", "counts")
    with pytest.raises(PermanentError) as info:
        client.create_document(document, f"val-{unique}")
    assert info.value.code == code
    assert info.value.system == "visma"
    assert "ADKE_" in info.value.detail
    assert client.sim("GET", "counts") == before


@pytest.mark.parametrize(("error_case", "code"), [("unknown_article", 20), ("unknown_customer", 21)])
def test_price_lookup_errors(client, error_case, code):
    customer, article = {"unknown_article": ("1001", "NOPE"), "unknown_customer": ("NOPE", "1001")}[
        error_case
    ]
    with pytest.raises(PermanentError) as info:
        client.customer_price(customer, article)
    assert info.value.code == code


def test_customer_price_uses_quantity_breaks(client):
    assert client.customer_price("1002", "1001", Decimal(1)).price == Decimal("149.40")
    assert client.customer_price("1002", "1001", Decimal(10)).price == Decimal("124.50")


@pytest.mark.parametrize(("code", "name"), [(486, "ADKE_EXCLUSIVE_LOCK"), (560, "ADKE_JOURNAL_IN_PROGRESS")])
def test_busy_company_is_transient_and_writes_nothing(client, unique, code, name):
    client.sim("POST", "faults", {"code": code, "operation": "write", "remaining": 1})
    try:
        with pytest.raises(TransientError) as info:
            client.create_document(order(f"LOCK-{unique}"), f"lock-{unique}")
        assert info.value.code == code
        assert name in info.value.detail
        # The fault is used up: the same key now succeeds, once.
        created = client.create_document(order(f"LOCK-{unique}"), f"lock-{unique}")
        assert [d.number for d in client.find_documents(f"LOCK-{unique}")] == [created.number]
    finally:
        client.sim("DELETE", "faults")


def test_licence_error_is_transient(client):
    client.sim("POST", "faults", {"code": 583, "operation": "read", "remaining": 1})
    try:
        with pytest.raises(TransientError) as info:
            client.price_lists()
        assert info.value.code == 583
    finally:
        client.sim("DELETE", "faults")


def test_lookup_by_reference_and_number(client, unique):
    created = client.create_document(order(f"LOOK-{unique}"), f"look-{unique}")
    fetched = client.get_document("order", created.number)
    assert fetched is not None and fetched.reference == f"LOOK-{unique}"
    assert client.get_document("order", 999_999) is None
    assert client.find_documents(f"NONE-{unique}") == []
