"""Exactly once across agent crashes: an Idempotency-Key recorded but not completed, or whose
document has since been removed in Visma. Each case runs on a company of its own in a fresh process
(see ``in_fresh_process``); the crash is reproduced by recording the key the way ``create`` does
before its ADK write, then writing (or not) as the crashed agent would have.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from connectors.visma import protocol as P
from connectors.visma.agent.catalog import Catalog
from connectors.visma.agent.config import AgentConfig
from connectors.visma.agent.documents import DocumentDesk
from connectors.visma.agent.errors import Conflict
from connectors.visma.agent.mapping import clean
from connectors.visma.agent.state import AgentState
from tests.connectors.visma.test_simulator import demo

H = "ADK_OOI_HEAD_"


def _order(reference: str) -> P.DocumentInput:
    row = P.DocumentRowInput(article_number="2001", quantity=Decimal(1), price=Decimal("89.90"))
    return P.DocumentInput(kind="order", customer_number="1001", reference=reference, rows=[row])


def crash_cases(path: str, options: dict[str, Any]) -> dict[str, Any]:
    backend = demo(path, options)
    state = AgentState(Path(path + ".state"))
    desk = DocumentDesk(backend, state, AgentConfig(company=path))

    def orders(reference: str) -> list[int]:
        return [d.number for d in desk.by_reference(reference) if d.kind == "order"]

    # 1. The agent wrote the order, then died before recording its number.
    state.begin("after-write", "hash-1", "order", "CRASH-1", "2024-05-01T10:00:00")
    head, rows = desk._to_adk(_order("CRASH-1"), [])
    written = int(backend.add("ADK_DB_ORDER_HEAD", head, rows)[f"{H}DOCUMENT_NUMBER"])
    recovered, created_1 = desk.create(_order("CRASH-1"), "after-write", "hash-1")
    # 2. The agent died before the ADK write: nothing in Visma, so the repeat writes it now.
    state.begin("before-write", "hash-2", "order", "CRASH-2", "2024-05-01T10:00:00")
    made, created_2 = desk.create(_order("CRASH-2"), "before-write", "hash-2")
    again, created_3 = desk.create(_order("CRASH-2"), "before-write", "hash-2")
    made_once = orders("CRASH-2") == [made.number]
    # 3. Someone removed that order in Visma; a late repeat must not quietly make another.
    backend.conn.execute("DELETE FROM ooi_head WHERE ADK_OOI_HEAD_DOCUMENT_NUMBER = ?", (made.number,))
    try:
        desk.create(_order("CRASH-2"), "before-write", "hash-2")
        removed = ""
    except Conflict as exc:
        removed = str(exc)
    return {
        "recovered": (recovered.number == written, created_1, orders("CRASH-1")),
        "made": (created_2, created_3, again.number == made.number, made_once),
        "removed": (removed, orders("CRASH-2")),
    }


def test_keys_survive_agent_crashes(in_fresh_process):
    result = in_fresh_process(crash_cases)
    assert result["recovered"] == (True, False, [1])
    assert result["made"] == (True, False, True, True)
    removed, left = result["removed"]
    assert "order 2, made under this Idempotency-Key, is no longer in Visma" in removed
    assert left == []


def customer_crash_cases(path: str, options: dict[str, Any]) -> dict[str, Any]:
    backend = demo(path, options)
    state = AgentState(Path(path + ".state"))
    catalog = Catalog(backend, state)
    guest = P.CustomerInput(name="Krasch Kund", email="krasch@example.se", city="Luleå")

    def named(name: str) -> list[str]:
        return [c.number for c in catalog.find_customers(email="krasch@example.se") if c.name == name]

    # 1. The agent wrote the customer, then died before recording its number: the repeat finds it.
    state.begin("after-write", "", "customer", "", "2024-05-01T10:00:00")
    values = {"ADK_CUSTOMER_NAME": guest.name, "ADK_CUSTOMER_EMAIL": guest.email}
    written = clean(backend.add("ADK_DB_CUSTOMER", values)["ADK_CUSTOMER_NUMBER"])
    recovered, created_1 = catalog.create_customer(guest, "after-write")
    # 2. Died before the ADK write: the repeat writes it, and a later repeat answers with it.
    other = P.CustomerInput(name="Före Krasch", email="krasch@example.se")
    state.begin("before-write", "", "customer", "", "2024-05-01T10:00:00")
    made, created_2 = catalog.create_customer(other, "before-write")
    again, created_3 = catalog.create_customer(other, "before-write")
    made_once = named("Före Krasch")
    # 3. Someone removed that customer in Visma; a late repeat must not quietly make another.
    backend.conn.execute("DELETE FROM customer WHERE ADK_CUSTOMER_NUMBER = ?", (made.number,))
    try:
        catalog.create_customer(other, "before-write")
        removed = ""
    except Conflict as exc:
        removed = str(exc)
    return {
        "recovered": (recovered.number == written, created_1, named("Krasch Kund")),
        "made": (created_2, created_3, again.number == made.number, made_once),
        "removed": (removed, made.number),
    }


def test_customer_keys_survive_agent_crashes(in_fresh_process):
    result = in_fresh_process(customer_crash_cases)
    recovered, created, numbers = result["recovered"]
    assert (recovered, created, len(numbers)) == (True, False, 1)
    made_first, made_again, same, numbers = result["made"]
    assert (made_first, made_again, same, len(numbers)) == (True, False, True, 1)
    removed, number = result["removed"]
    assert f"customer {number}, made under this Idempotency-Key, is no longer in Visma" in removed
