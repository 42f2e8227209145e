"""The ``adk`` backend gives the answers the ``simulated`` one gives, through the wrapper's calls.

The agent runs with ``--backend adk`` against the simulated company behind the AdkNet wrapper's
call surface (``backends/simulated/wrapper.py``, put on PYTHONPATH from ``fake_adk``), in both
wrapper dialects, and must answer a whole session of API calls exactly like an agent on the
simulated backend does on a copy of the same company. What this covers: our translation to
buffers, typed field calls, sort orders, filters, paging cursors, row blocks and error structs.
What it cannot cover: the real wrapper's behaviour where it differs from reference §1.
"""

from __future__ import annotations

import shutil
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from connectors.errors import PermanentError
from connectors.visma import protocol as P
from connectors.visma.client import VismaClient
from tests.connectors.visma.processes import seed, serving

FAKE_ADK = Path(__file__).parent / "fake_adk"
VOLATILE = {
    "timestamp",
    "occurred_at",
    "last_successful_write",
    "started_at",
    "queue_depth",
    "backend",
    "source",
}


def _stable(value: Any) -> Any:
    """Wire data without what legitimately differs between two runs (times, backend name)."""
    if isinstance(value, P.Record):
        value = value.to_dict()
    if isinstance(value, dict):
        return {k: _stable(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_stable(v) for v in value]
    return value


def _code(call: Any) -> int | str | None:
    try:
        call()
    except PermanentError as exc:
        return exc.code
    return None


def session(client: VismaClient) -> dict[str, Any]:
    """One merchant's worth of calls; every answer is kept for comparison."""
    out: dict[str, Any] = {"identity": client.identity()}
    out["stock"] = list(client.iter_stock(page_size=4))  # three pages: the cursor continues
    first = client.articles_changed(None, 4)
    out["articles"] = [first, client.articles_changed(first.next_cursor, 4)]
    out["article"] = client.get_article("2001")
    out["missing_article"] = client.get_article("NOPE")
    out["new_article"] = client.put_article("7001", P.ArticleInput(name="Ny vara – Ł", webshop=True))
    out["changed_article"] = client.put_article("7001", P.ArticleInput(name="Ändrad", inactive=False))
    out["price_lists"] = client.price_lists()
    out["prices"] = list(client.iter_prices("2", page_size=3))
    out["customer_price"] = client.customer_price("1002", "1001", Decimal(10))
    out["by_email"] = client.find_customers(email="bjorn@example.se")
    out["by_org"] = client.find_customers(org_number="556036-0793")
    out["new_customer"] = client.create_customer(
        P.CustomerInput(number="8001", name="Åsa Ödmark", city="Luleå"), uuid.uuid4().hex
    )
    out["bad_org_number"] = _code(
        lambda: client.create_customer(P.CustomerInput(name="X", org_number="1"), uuid.uuid4().hex)
    )
    rows = [
        P.DocumentRowInput(article_number="1001", quantity=Decimal(2), price=Decimal("249.00")),
        P.DocumentRowInput(article_number="3001", quantity=Decimal(1), discount_percent=Decimal(10)),
        P.DocumentRowInput(text="Tack för din beställning!"),
    ]
    order = P.DocumentInput(
        kind="order", customer_number="1003", reference="W-1", rows=rows, freight=Decimal(49)
    )
    out["order"] = client.create_document(order, "order-w-1")
    out["order_again"] = client.create_document(order, "order-w-1")
    invoice = P.DocumentInput(
        kind="invoice", customer_number="1001", reference="W-2", rows=rows[:1], including_vat=False
    )
    out["invoice"] = client.create_document(invoice, "invoice-w-2")
    out["by_reference"] = [client.find_documents("W-1"), client.document_status("W-2")]
    out["open_invoices"] = client.open_invoices(customer="1001")
    out["events"] = client.document_events(0, 100)
    out["stock_after"] = [client.get_article("1001"), client.get_article("3001")]
    unknown = P.DocumentInput(
        kind="order",
        customer_number="1001",
        rows=[P.DocumentRowInput(article_number="NOPE", quantity=Decimal(1))],
    )
    out["unknown_article"] = _code(lambda: client.create_document(unknown, "bad-1"))
    too_long = P.DocumentInput(kind="order", customer_number="1001", reference="R" * 21, rows=rows[:1])
    out["reference_too_long"] = _code(lambda: client.create_document(too_long, "bad-2"))
    return _stable(out)


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seed(tmp_path_factory.mktemp("adk") / "seeded.sqlite")


@pytest.fixture(scope="module")
def simulated_answers(company: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("simulated")
    copy = shutil.copy(company, tmp / "company.sqlite")
    with serving(tmp, "--backend", "simulated", "--company", str(copy)) as agent:
        return session(agent.client)


@pytest.mark.parametrize("wrapper", ["net4", "net6"])
def test_adk_backend_answers_like_the_simulated_one(company, simulated_answers, tmp_path, wrapper):
    copy = shutil.copy(company, tmp_path / "company.sqlite")
    with serving(
        tmp_path,
        "--backend",
        "adk",
        "--company",
        str(copy),
        "--common-files",
        str(tmp_path),
        "--state",
        str(tmp_path / "agent-state.sqlite"),
        pythonpath=FAKE_ADK,
        env={"FAKE_ADK_WRAPPER": wrapper},
    ) as agent:
        answers = session(agent.client)
        assert agent.client.identity().backend == "adk"
        assert _code(lambda: agent.client.sim("GET", "counts")) == 404  # no side door into real Visma
    for name, expected in simulated_answers.items():
        assert answers[name] == expected, name


def test_the_session_means_something(simulated_answers):
    # Guard against two equally empty answers: the comparison above is only worth what this holds.
    answers = simulated_answers
    assert answers["identity"]["company_name"] == "Simulerat Företag AB"
    assert answers["identity"]["program_variant"] == "ADKI_ADMIN2000"
    assert len(answers["stock"]) == 9
    assert [len(page["items"]) for page in answers["articles"]] == [4, 4]
    assert answers["missing_article"] is None
    assert (answers["new_article"]["name"], answers["changed_article"]["name"]) == ("Ny vara – L", "Ändrad")
    assert ("1001", "10", "124.50") in {
        (p["article_number"], p["quantity"], p["price"]) for p in answers["prices"]
    }
    assert answers["customer_price"]["price"] == "124.50"
    assert [c["number"] for c in answers["by_org"]] == ["1002"]
    assert answers["bad_org_number"] == 108
    order = answers["order"]
    assert (order["number"], order["total"], len(order["rows"])) == (1, "789.00", 3)
    assert answers["order_again"] == order
    assert [(e["event"], e["kind"]) for e in answers["events"]["items"]] == [("invoiced", "invoice")]
    assert answers["open_invoices"]["items"][0]["balance"] == "623.00"
    assert (answers["unknown_article"], answers["reference_too_long"]) == (50, 180)
