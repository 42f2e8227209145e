"""The simulated company's own rules (reference §7), each on a fresh company in a fresh process.

The simulated ADK, like the real one, holds one open company per process, and the session's agent
holds it here; so every check below runs in a spawned process of its own (``in_fresh_process``)
and reports back plain values. The functions talk to the backend in ADK terms, as the agent does.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from connectors.visma.agent.backends.simulated import SimulatedBackend, create_company
from connectors.visma.agent.backends.simulated.documents import Options
from connectors.visma.agent.backends.simulated.faults import Fault, Faults
from connectors.visma.agent.backends.simulated.seed import seed_demo
from connectors.visma.agent.errors import AdkError, CompanyUnavailable

H = "ADK_OOI_HEAD_"
R = "ADK_OOI_ROW_"
ORDER_ROW = {f"{R}ARTICLE_NUMBER": "2001", f"{R}QUANTITY2": 1.0, f"{R}PRICE_EACH_CURRENT_CURRENCY": 100.0}


def demo(path: str, options: dict[str, Any], *, faults: Faults | None = None) -> SimulatedBackend:
    """A new demo company at ``path``, opened (in the spawned process)."""
    create_company(Path(path))
    backend = SimulatedBackend(Path(path), options=Options(**options), faults=faults)
    backend.open()
    seed_demo(backend)
    return backend


def _code(fn: Callable[[], Any]) -> int | None:
    try:
        fn()
    except AdkError as exc:
        return exc.code
    return None


# --- run in the spawned process -------------------------------------------------------------------


def vat_rates_from_prm2(path: str, options: dict[str, Any]) -> dict[str, float]:
    backend = demo(path, options)
    # The merchant changes the rate of VAT code 2 in the company settings (PRM2_VAT2).
    backend.update("ADK_DB_PRM2", {"ADK_PRM2_DEFAULT_PRICELIST": "1"}, {"ADK_PRM2_VAT2": 15.0})
    head = backend.add("ADK_DB_ORDER_HEAD", {f"{H}CUSTOMER_NUMBER": "1001"}, [ORDER_ROW])
    return {name: head[H + name] for name in ("BASIS_OF_VAT2", "AMOUNT_OF_VAT2", "TOTAL_AMOUNT")}


def numbering_per_kind(path: str, options: dict[str, Any]) -> dict[str, Any]:
    backend = demo(path, options)

    def add(table: str, number: int = 0) -> int:
        values = {f"{H}CUSTOMER_NUMBER": "1001"} | ({f"{H}DOCUMENT_NUMBER": float(number)} if number else {})
        return int(backend.add(table, values, [ORDER_ROW])[f"{H}DOCUMENT_NUMBER"])

    numbers = [add("ADK_DB_ORDER_HEAD"), add("ADK_DB_INVOICE_HEAD"), add("ADK_DB_ORDER_HEAD")]
    return {
        "numbers": numbers,
        "chosen": add("ADK_DB_ORDER_HEAD", 500),
        "taken": _code(lambda: add("ADK_DB_ORDER_HEAD", 500)),
    }


def text_outside_cp1252(path: str, options: dict[str, Any]) -> dict[str, Any]:
    backend = demo(path, options)
    values = {"ADK_CUSTOMER_NUMBER": "9001", "ADK_CUSTOMER_NAME": "Łódź 😀"}
    code = _code(lambda: backend.add("ADK_DB_CUSTOMER", values))
    found = backend.find("ADK_DB_CUSTOMER", {"ADK_CUSTOMER_NUMBER": "9001"})
    return {"code": code, "name": found["ADK_CUSTOMER_NAME"] if found else None}


def timestamps_and_stock(path: str, options: dict[str, Any]) -> dict[str, Any]:
    backend = demo(path, options)
    key = {"ADK_ARTICLE_NUMBER": "2001"}
    before = backend.find("ADK_DB_ARTICLE", key)
    customer_before = backend.find("ADK_DB_CUSTOMER", {"ADK_CUSTOMER_NUMBER": "1001"})
    backend.update("ADK_DB_CUSTOMER", {"ADK_CUSTOMER_NUMBER": "1001"}, {"ADK_CUSTOMER_CITY": "Solna"})
    customer_after = backend.find("ADK_DB_CUSTOMER", {"ADK_CUSTOMER_NUMBER": "1001"})
    order = backend.add("ADK_DB_ORDER_HEAD", {f"{H}CUSTOMER_NUMBER": "1001"}, [ORDER_ROW])
    reserved = backend.find("ADK_DB_ARTICLE", key)
    number = {f"{H}DOCUMENT_NUMBER": order[f"{H}DOCUMENT_NUMBER"]}
    delivered = backend.update("ADK_DB_ORDER_HEAD", number, {f"{H}ORDER_DELIVERED": True})
    shipped = backend.find("ADK_DB_ARTICLE", key)
    a = "ADK_ARTICLE_"
    return {
        "customer_bumped": customer_after["ADK_CUSTOMER_TIMESTAMP"]
        > customer_before["ADK_CUSTOMER_TIMESTAMP"],
        "order_bumped": delivered[f"{H}TIMESTAMP"] > order[f"{H}TIMESTAMP"],
        "article_bumped": [
            reserved[f"{a}TIMESTAMP"] > before[f"{a}TIMESTAMP"],
            shipped[f"{a}TIMESTAMP"] > reserved[f"{a}TIMESTAMP"],
        ],
        "stock": [
            (r[f"{a}QUANTITY_IN_STOCK"], r[f"{a}QUANTITY_RESERVED"], r[f"{a}DISPOSABLE_IN_STOCK"])
            for r in (before, reserved, shipped)
        ],
    }


def one_company_per_process(path: str, options: dict[str, Any]) -> dict[str, Any]:
    first = demo(path, options)
    other = Path(path).with_name("other.sqlite")
    create_company(other)
    second = SimulatedBackend(other)
    result: dict[str, Any] = {}
    try:
        second.open()
    except CompanyUnavailable as exc:
        result["while_open"] = str(exc)
    first.close()
    result["after_close"] = second.open().name
    result["closed_use"] = _code(lambda: first.find("ADK_DB_ARTICLE", {"ADK_ARTICLE_NUMBER": "1001"}))
    return result


def faults_at_open_and_write(path: str, options: dict[str, Any]) -> dict[str, Any]:
    faults = Faults()
    create_company(Path(path))
    backend = SimulatedBackend(Path(path), faults=faults)
    faults.inject(Fault(code=583, operation="open", remaining=1))
    licence = _code(backend.open)
    backend.open()  # the fault is used up
    faults.inject(Fault(code=486, operation="write"))
    values = {"ADK_CUSTOMER_NUMBER": "9002", "ADK_CUSTOMER_NAME": "Låst"}
    locked = [_code(lambda: backend.add("ADK_DB_CUSTOMER", values)) for _ in range(2)]
    reads_pass = backend.find("ADK_DB_CUSTOMER", {"ADK_CUSTOMER_NUMBER": "9002"}) is None
    faults.clear()
    backend.add("ADK_DB_CUSTOMER", values)
    return {"licence": licence, "locked": locked, "reads_pass": reads_pass}


def second_agent_over_http(path: str, options: dict[str, Any]) -> dict[str, Any]:
    """One company open in this process; an agent for another must answer 503, transient."""
    import threading

    import waitress

    from connectors.errors import RateLimited
    from connectors.visma.agent.app import build_agent
    from connectors.visma.agent.config import AgentConfig
    from connectors.visma.client import VismaClient

    demo(path, options)
    other = str(Path(path).with_name("other.sqlite"))
    agent = build_agent(AgentConfig(key_id="k", secret="s" * 16, company=other))
    server = waitress.create_server(agent.app, host="127.0.0.1", port=0, threads=2)
    threading.Thread(target=server.run, daemon=True).start()
    client = VismaClient(f"http://127.0.0.1:{server.effective_port}", "k", "s" * 16)
    try:
        client.identity()
        refused: tuple[Any, ...] = ("answered",)
    except RateLimited as exc:
        refused = (type(exc).__name__, exc.retry_after, exc.message)
    health = client.health().status
    client.close()
    server.close()
    agent.stop()
    return {"refused": refused, "health": health}


# --- the tests ------------------------------------------------------------------------------------


def test_vat_rates_come_from_the_company_settings(in_fresh_process):
    # Demo article 2001 has account code 2, i.e. VAT code 2: 12 % in a new company, 15 % here.
    # The head leaves INCLUDING_VAT unset, so the price of 100 is excluding VAT.
    assert in_fresh_process(vat_rates_from_prm2) == {
        "BASIS_OF_VAT2": 100.0,
        "AMOUNT_OF_VAT2": 15.0,
        "TOTAL_AMOUNT": 115.0,
    }


def test_document_numbers_run_per_kind(in_fresh_process):
    result = in_fresh_process(numbering_per_kind)
    assert result["numbers"] == [1, 1, 2]
    assert (result["chosen"], result["taken"]) == (500, 214)


@pytest.mark.parametrize(
    ("text_case", "mode", "expected"),
    [
        ("rejected", "reject", {"code": 34, "name": None}),
        ("replaced", "replace", {"code": None, "name": "?ód? ?"}),  # ó is in cp1252
    ],
)
def test_text_outside_cp1252_reaching_the_adk(in_fresh_process, text_case, mode, expected):
    assert in_fresh_process(text_outside_cp1252, invalid_text=mode) == expected


@pytest.mark.parametrize(
    ("stock_case", "options", "article_bumped", "disposable"),
    [
        ("defaults", {}, [True, True], [120.0, 119.0, 119.0]),
        (
            "no_bump_disposable_is_stock",
            {"bump_article_on_stock": False, "disposable_formula": "in_stock"},
            [False, False],
            [120.0, 120.0, 119.0],
        ),
    ],
)
def test_writes_bump_timestamps_and_move_stock(
    in_fresh_process, stock_case, options, article_bumped, disposable
):
    result = in_fresh_process(timestamps_and_stock, **options)
    assert result["customer_bumped"] and result["order_bumped"]
    assert result["article_bumped"] == article_bumped
    # (in stock, reserved, disposable): before the order, reserved by it, delivered.
    assert [s[:2] for s in result["stock"]] == [(120.0, 0.0), (120.0, 1.0), (119.0, 0.0)]
    assert [s[2] for s in result["stock"]] == disposable


def test_one_open_company_per_process(in_fresh_process):
    result = in_fresh_process(one_company_per_process)
    assert "a company is already open in this process" in result["while_open"]
    assert result["after_close"] == "Simulerat Företag AB"
    assert result["closed_use"] == 80  # ADKE_NO_DB_OPEN


def test_an_agent_that_cannot_open_its_company_is_transient(in_fresh_process):
    result = in_fresh_process(second_agent_over_http)
    kind, retry_after, message = result["refused"]
    assert (kind, retry_after) == ("RateLimited", 30.0)
    assert "a company is already open in this process" in message
    assert result["health"] == "ok"  # liveness is not the company's


def test_injected_faults(in_fresh_process):
    assert in_fresh_process(faults_at_open_and_write) == {
        "licence": 583,
        "locked": [486, 486],
        "reads_pass": True,
    }
