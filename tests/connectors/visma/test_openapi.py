"""Schemathesis against the agent's own OpenAPI document, every request signed: no input may produce
a 5xx, and every answer must match the document (status code and body schema)."""

from __future__ import annotations

import uuid
from decimal import ROUND_DOWN, Decimal

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from connectors.visma import bounds
from connectors.visma import protocol as P
from connectors.visma.agent.api import Api
from connectors.visma.agent.codes_api import CodesApi
from connectors.visma.agent.ledger_api import LedgerApi
from connectors.visma.agent.server import Router
from connectors.visma.client import HmacAuth
from tests.connectors.visma.processes import KEY_ID, SECRET


def declared_document() -> dict:
    """The document of the routes declared on the /v1 handler classes, as ``build_agent`` serves them."""
    router = Router()
    router.include(Api)
    router.include(LedgerApi)
    router.include(CodesApi)
    router.describe("/v1/openapi.json")
    return router.document


def test_served_document_is_the_declared_one(client):
    served = client.openapi()
    assert served == declared_document()
    assert served["openapi"].startswith("3.")
    assert "/v1/documents" in served["paths"] and "/_sim/counts" not in served["paths"]


# Loaded from the same declarations the agent serves (checked above); the agent's address is known
# only at run time, so it is given to each call.
schema = schemathesis.openapi.from_dict(declared_document())
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]


@schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_answers_match_the_document(case, agent):
    # Signed through the auth hook (HmacAuth adds a nonce, so no two calls share a signature).
    response = case.call_and_validate(base_url=agent.base_url, auth=HmacAuth(KEY_ID, SECRET), checks=CHECKS)
    # A 401 here would mean schemathesis never got past the door.
    assert response.status_code != 401


# Random bodies never name an existing customer and article, so they never make a document; this
# generates orders and invoices that do, anywhere inside the bounds, and holds every answer to the
# document too: whatever the agent accepts, it can answer for.
ARTICLES = ("1001", "1002", "2001", "3001")


@st.composite
def documents_inside_the_bounds(draw: st.DrawFn) -> dict:
    count = draw(st.integers(1, 4))
    budget = bounds.MAX_DOCUMENT_AMOUNT / count  # each row's share of the document's sum
    rows = []
    for _ in range(count):
        quantity = draw(st.decimals(Decimal("0.01"), bounds.MAX_QUANTITY, places=2))
        top = min(bounds.MAX_PRICE, (budget / quantity).quantize(Decimal("0.01"), ROUND_DOWN))
        price = draw(st.decimals(Decimal(0), top, places=2))
        row = {
            "article_number": draw(st.sampled_from(ARTICLES)),
            "quantity": str(quantity),
            "price": str(price),
        }
        if draw(st.booleans()):
            row["discount_percent"] = str(draw(st.decimals(Decimal(0), Decimal(100), places=2)))
        rows.append(row)
    return {
        "kind": draw(st.sampled_from(P.DOCUMENT_KINDS)),
        "customer_number": "1001",
        "reference": f"ST-{uuid.uuid4().hex[:12]}",
        "including_vat": draw(st.booleans()),
        "rows": rows,
    }


@given(body=documents_inside_the_bounds())
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_documents_inside_the_bounds_are_answered_within_the_document(agent, body):
    assert bounds.document_problems(P.DocumentInput.from_dict(body)) == []
    case = schema["/v1/documents"]["POST"].Case(body=body, headers={"Idempotency-Key": body["reference"]})
    response = case.call_and_validate(base_url=agent.base_url, auth=HmacAuth(KEY_ID, SECRET), checks=CHECKS)
    assert response.status_code == 201, response.text
    P.Document.from_dict(response.json())  # and the server's strict decoding reads it
