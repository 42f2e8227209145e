"""What the agent accepts equals what it can answer: keys stay keys, amounts stay answerable.

Each case was accepted before (issue 15 §2): a key outside Windows-1252 was transliterated into
another key, and amounts Visma took could not be read back by the server.
"""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from typing import Any

import pytest
import requests

from connectors.visma import bounds
from connectors.visma import protocol as P
from connectors.visma.signing import signed_headers
from tests.connectors.visma.processes import KEY_ID, SECRET


def _send(agent, method: str, path: str, body: Any, **headers: str) -> requests.Response:
    data = json.dumps(body).encode()
    # The path is signed as sent: percent-encoded, as any HTTP client puts it on the wire.
    wire_path = requests.Request(method, agent.base_url + path).prepare().path_url
    signed = signed_headers(KEY_ID, SECRET, method, wire_path, data)
    send = {**signed, **headers, "Content-Type": "application/json"}
    return requests.request(method, agent.base_url + path, data=data, headers=send, timeout=30)


def _refused(response: requests.Response, field: str) -> dict[str, Any]:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["category"] == "validation"
    assert error["field"] == field
    assert field in error["message"]
    return error


def _order(reference: str, rows: list[dict[str, Any]], **head: Any) -> dict[str, Any]:
    return {"kind": "order", "customer_number": "1001", "reference": reference, "rows": rows, **head}


ROW = {"article_number": "1001", "quantity": "1", "price": "249.00"}


# --- text outside Windows-1252 ---------------------------------------------------------------------


def test_article_numbers_outside_cp1252_are_refused_not_merged(agent, client, unique):
    client.put_article(f"A{unique}-", P.ArticleInput(name="The real one"))
    for number in (f"A{unique}-☃", f"A{unique}-★"):
        error = _refused(_send(agent, "PUT", f"/v1/articles/{number}", {"name": "Snowman"}), "number")
        assert "Windows-1252" in error["message"] and error["name"] == "ADKE_INVALID_STRING"
    assert client.get_article(f"A{unique}-").name == "The real one"
    # A lookup by such a key finds nothing rather than the transliterated neighbour.
    assert client.get_article(f"A{unique}-☃") is None


def test_a_name_with_nothing_in_cp1252_is_refused(agent, client, unique):
    before = client.sim("GET", "counts")
    body = {"number": f"J{unique}", "name": "日本語テスト 🎉"}
    _refused(_send(agent, "POST", "/v1/customers", body, **{"Idempotency-Key": f"name-{unique}"}), "name")
    assert client.sim("GET", "counts") == before
    assert client.find_customers(number=f"J{unique}") == []


def test_references_outside_cp1252_are_refused_and_match_nothing(agent, client, unique):
    client.create_document(
        P.DocumentInput(
            kind="order",
            customer_number="1001",
            reference=f"R{unique}--x",
            rows=[P.DocumentRowInput(article_number="1001", quantity=Decimal(1), price=Decimal(1))],
        ),
        f"ref-{unique}",
    )
    response = _send(
        agent, "POST", "/v1/documents", _order(f"R{unique}-☃-x", [ROW]), **{"Idempotency-Key": unique}
    )
    _refused(response, "reference")
    assert client.find_documents(f"R{unique}-☃-x") == []
    assert [d.reference for d in client.find_documents(f"R{unique}--x")] == [f"R{unique}--x"]


def test_free_text_is_transliterated_and_the_answer_says_so(client, unique):
    created = client.create_customer(
        P.CustomerInput(number=f"Q{unique}", name="Łódź ‒ Trading 😀", city="Kraków"), uuid.uuid4().hex
    )
    assert created.name == "Lódz - Trading"
    assert [w for w in created.warnings if w.startswith("ADK_CUSTOMER_NAME: transliterated")]


# --- amounts and counts ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bounds_case", "rows", "head", "field"),
    [
        ("huge_quantity", [{**ROW, "quantity": "999999999"}], {}, "rows[0].quantity"),
        ("negative_price_on_article", [{**ROW, "price": "-10.00"}], {}, "rows[0].price"),
        ("discount_150_percent", [{**ROW, "discount_percent": "150"}], {}, "rows[0].discount_percent"),
        ("discount_above_the_row", [{**ROW, "discount_amount": "300.00"}], {}, "rows[0].discount_amount"),
        ("no_rows", [], {}, "rows"),
        ("5000_rows", [ROW] * 5000, {}, "rows"),
        ("order_too_big_to_answer", [{**ROW, "quantity": "999999", "price": "100000"}], {}, "rows"),
        ("zero_quantity_article", [{**ROW, "quantity": "0"}], {}, "rows[0].quantity"),
        ("negative_freight", [ROW], {"freight": "-1"}, "freight"),
        ("too_many_texts", [ROW], {"texts": ["a", "b", "c", "d"]}, "texts"),
        ("not_a_date", [ROW], {"date": "2024-02-30"}, "date"),
    ],
)
def test_out_of_bounds_documents_are_refused_and_write_nothing(
    agent, client, unique, bounds_case, rows, head, field
):
    before = client.sim("GET", "counts")
    response = _send(
        agent, "POST", "/v1/documents", _order(f"B{unique}", rows, **head), **{"Idempotency-Key": unique}
    )
    _refused(response, field)
    assert client.sim("GET", "counts") == before
    assert client.find_documents(f"B{unique}") == []


def test_quantity_beyond_the_wire_format_is_a_bad_request(agent, client, unique):
    response = _send(
        agent,
        "POST",
        "/v1/documents",
        _order(f"B{unique}", [{**ROW, "quantity": "999999999999"}]),
        **{"Idempotency-Key": unique},
    )
    assert response.status_code == 400
    assert "quantity" in response.json()["error"]["message"]


def test_list_prices_count_towards_the_bound(agent, client, unique):
    # No price given: the agent fills in the list price (249.00), and only then is the sum known.
    rows = [{"article_number": "1001", "quantity": "999999"}]
    assert bounds.document_problems(P.DocumentInput.from_dict(_order("x", rows))) == []
    before = client.sim("GET", "counts")
    _refused(
        _send(agent, "POST", "/v1/documents", _order(f"L{unique}", rows), **{"Idempotency-Key": unique}),
        "rows",
    )
    assert client.sim("GET", "counts") == before


def test_the_largest_document_allowed_is_answered(client, unique):
    row = P.DocumentRowInput(article_number="1001", quantity=Decimal("99999.99"), price=Decimal("999.99"))
    document = P.DocumentInput(
        kind="invoice", customer_number="1001", reference=f"M{unique}", rows=[row], including_vat=False
    )
    assert bounds.document_problems(document) == []
    made = client.create_document(document, f"max-{unique}")  # decoded strictly: every amount in range
    assert made.excluding_vat == Decimal("99998990.00")
    assert made.total == made.excluding_vat + made.vat_amount + made.round_off


def test_discount_and_credit_rows_stay_allowed(client, unique):
    """The orders flow's own rows: an order discount and a rounding row are text rows, negative."""
    rows = [
        P.DocumentRowInput(
            article_number="1001", quantity=Decimal(2), price=Decimal("249.00"), discount_amount=Decimal(50)
        ),
        P.DocumentRowInput(
            quantity=Decimal(1), text="Rabatt 25 % moms", price=Decimal("-40.00"), vat_code="1"
        ),
        P.DocumentRowInput(quantity=Decimal(1), text="Öresavrundning", price=Decimal("-0.40"), vat_code="0"),
    ]
    document = P.DocumentInput(kind="order", customer_number="1001", reference=f"D{unique}", rows=rows)
    assert bounds.document_problems(document) == []
    made = client.create_document(document, f"disc-{unique}")
    assert made.total - made.round_off == Decimal("407.60")


# --- the server's side: checked before writing ------------------------------------------------------


def test_the_server_can_check_a_document_before_writing():
    ok = P.DocumentInput(
        kind="order",
        customer_number="1001",
        reference="S-1",
        rows=[P.DocumentRowInput(article_number="1001", quantity=Decimal(2), price=Decimal("249.00"))],
    )
    bounds.check_document(ok)
    huge = P.DocumentInput(
        kind="order",
        customer_number="1001",
        reference="S-☃",
        rows=[
            P.DocumentRowInput(article_number="1001", quantity=Decimal(100_000), price=Decimal("9999999.99"))
        ],
    )
    with pytest.raises(bounds.OutOfBounds) as info:
        bounds.check_document(huge)
    assert [p.field for p in info.value.problems] == ["reference", "rows"]
    assert isinstance(info.value, P.ProtocolError)


@pytest.mark.parametrize(
    ("record", "field", "keywords"),
    [
        (P.DocumentRowInput, "quantity", {"pattern": "^[0-9]{1,6}(\\.[0-9]{1,2})?$"}),
        (P.DocumentRowInput, "price", {"pattern": "^-?[0-9]{1,7}(\\.[0-9]{1,2})?$"}),
        (P.DocumentInput, "rows", {"minItems": 1, "maxItems": bounds.MAX_ROWS}),
        (P.DocumentInput, "reference", {"maxLength": 20, "pattern": bounds.KEY_PATTERN}),
        (P.CustomerInput, "name", {"maxLength": bounds.MAX_TEXT_LENGTH, "minLength": 1}),
        (P.ArticleInput, "weight", {"pattern": "^[0-9]{1,5}(\\.[0-9]{1,3})?$"}),
    ],
)
def test_the_openapi_document_states_the_bounds(client, record, field, keywords):
    served = client.openapi()["components"]["schemas"][record.__name__]["properties"][field]
    assert keywords.items() <= served.items()


def test_the_wire_decimal_and_the_client_agree():
    assert P.parse_decimal("999999999.99") == Decimal("999999999.99")
    with pytest.raises(P.ProtocolError, match="out of range"):
        P.parse_decimal("517304063990234500.00", "excluding_vat")
    assert P.DocumentRowInput(quantity=Decimal("1E+3")).to_dict()["quantity"] == "1000"
