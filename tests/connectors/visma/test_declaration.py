"""The agent's API is declared once: what it serves, how it bounds parameters and how it writes records
are exactly what its OpenAPI document says and what the client's codec reads and writes."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import requests

from connectors.visma import protocol as P
from connectors.visma.client import HmacAuth
from tests.connectors.visma.processes import KEY_ID, SECRET


def served_routes(company: str, options: dict[str, Any]) -> list[dict[str, Any]]:
    """Every route an agent with the simulated backend (side door on) serves, as built at start-up."""
    from connectors.visma.agent.app import build_agent
    from connectors.visma.agent.config import AgentConfig

    agent = build_agent(AgentConfig(key_id="k", secret="s" * 16, company=company))
    try:
        return [
            {
                "operation": (route.method.lower(), route.path),
                "documented": route.documented,
                "parameters": [param.openapi() for param in route.params],
            }
            for _, route in agent.app.router.routes
        ]
    finally:
        agent.stop()


def test_every_route_served_is_in_the_document_with_its_parameters_and_nothing_else(in_fresh_process, client):
    routes = in_fresh_process(served_routes)
    document = client.openapi()
    documented = {
        (method, path): operation.get("parameters", [])
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    }
    served = {tuple(r["operation"]): r["parameters"] for r in routes if r["documented"]}
    assert served == documented
    # The simulator's side door is served, and never described to the server's side.
    side_door = [tuple(r["operation"]) for r in routes if not r["documented"]]
    assert ("post", "/_sim/orders/{number}/deliver") in side_door
    assert all(path.startswith("/_sim/") for _, path in side_door)
    assert not any(path.startswith("/_sim/") for path in document["paths"])


def _get(agent: Any, path: str, params: dict[str, str]) -> requests.Response:
    return requests.get(agent.base_url + path, params=params, auth=HmacAuth(KEY_ID, SECRET), timeout=30)


def test_integer_parameters_are_bounded_as_the_document_states(agent, client):
    checked = []
    for path, operations in client.openapi()["paths"].items():
        operation = operations.get("get", {})
        parameters = operation.get("parameters", [])
        if "{" in path:
            path = path.replace("{code}", "1")
        required = {p["name"]: "1001" for p in parameters if p["required"] and p["in"] == "query"}
        for param in parameters:
            schema = param["schema"]
            if schema.get("type") != "integer":
                continue
            name, high = param["name"], schema["maximum"]
            at_most = _get(agent, path, required | {name: str(high)})
            assert at_most.status_code == 200, (path, name, at_most.text)
            over = _get(agent, path, required | {name: str(high + 1)})
            assert over.status_code == 400, (path, name)
            assert over.json()["error"]["message"] == f"{name}: an integer from {schema['minimum']} to {high}"
            checked.append((path, name))
    # Pages and cursors of the article, stock, price, event and invoice reads, the ledger's too.
    assert ("/v1/document-events", "after") in checked and ("/v1/ledger/open-invoices", "after") in checked
    assert len(checked) >= 9


def test_a_document_is_written_by_the_agent_exactly_as_the_clients_codec_writes_it(client, agent):
    reference = f"DC-{uuid.uuid4().hex[:10]}"
    sent = P.DocumentInput(
        kind="order",
        customer_number="1001",
        reference=reference,
        rows=[P.DocumentRowInput(article_number="1001", quantity=Decimal("2"), price=Decimal("99.50"))],
    )
    # The request record survives the codec unchanged, both ways.
    assert P.DocumentInput.from_dict(P.encode(sent)) == sent
    created = client.create_document(sent, idempotency_key=reference)
    raw = _get(agent, f"/v1/documents/order/{created.number}", {})
    assert raw.status_code == 200
    # The agent's bytes are the client's record re-encoded by the same codec: no field, format or
    # decimal spelling differs between the two sides.
    assert raw.json() == P.encode(P.Document.from_dict(raw.json())) == P.encode(created)
    assert raw.json()["rows"][0]["price"] == "99.50"
