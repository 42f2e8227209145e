"""The optional ODBC read path reads what the backend reads (unixODBC + SQLite ODBC driver).

.ci/run installs the Debian packages unixodbc, unixodbc-dev and libsqliteodbc. A missing driver
fails these tests rather than skipping them: a skipped check here would hide exactly the
disagreement the path is checked for. The start-up check is tested on agents started with an ODBC
connection in their config, as an operator would; its verdict is read from the agent's log.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pyodbc
import pytest

from connectors.visma import protocol as P
from connectors.visma.agent.backends.odbc import STOCK_SQL, OdbcReader, first_difference
from connectors.visma.client import VismaClient
from tests.connectors.visma.processes import config_file, seed, serving

MISSING_DRIVER = "no SQLite ODBC driver registered with unixODBC: apt install unixodbc libsqliteodbc"


def _driver() -> str:
    for name in ("SQLite3", "SQLite3 ODBC Driver"):
        if name in pyodbc.drivers():
            return name
    pytest.fail(f"{MISSING_DRIVER} (registered: {pyodbc.drivers()})")


def connection_string(company: Path) -> str:
    # NoCreat: a vanished file is an error, not a new empty database.
    return f"DRIVER={{{_driver()}}};Database={company};NoCreat=1"


@pytest.fixture
def reader(agent) -> OdbcReader:
    return OdbcReader(connection_string(agent.company))


def _delivered_and_invoiced(client: VismaClient, reference: str) -> None:
    order = client.create_document(
        P.DocumentInput(
            kind="order",
            customer_number="1001",
            reference=reference,
            rows=[P.DocumentRowInput(article_number="2001", quantity=Decimal(1), price=Decimal("89.90"))],
        ),
        f"odbc-{reference}",
    )
    client.sim("POST", f"orders/{order.number}/deliver", {})
    client.sim("POST", f"orders/{order.number}/invoice")


@pytest.mark.parametrize("webshop_only", [False, True])
def test_stock_pages_match_the_backend(client, reader, unique, webshop_only):
    # Two articles kept out of the web shop, next to each other: a filtered page must still fill.
    hidden = [{"number": f"1001{unique}{i}", "webshop": False, "in_stock": "3"} for i in (1, 2)]
    client.sim("POST", "articles", {"items": hidden})
    after, seen = None, []
    while True:
        ours, theirs = client.stock_page(after, 4, webshop_only), reader.stock(after, 4, webshop_only)
        assert theirs.source == "odbc" and ours.source == "simulated"
        assert [s.to_dict() for s in theirs.items] == [s.to_dict() for s in ours.items]
        assert theirs.next_after == ours.next_after
        seen += [s.article_number for s in ours.items]
        if not ours.next_after:
            break
        after = ours.next_after
    assert len(seen) > 8 and len(set(seen)) == len(seen)
    assert (f"1001{unique}1" in seen) is not webshop_only


def test_document_status_matches_the_backend(client, reader, unique):
    ref = f"ODBC-{unique}"
    _delivered_and_invoiced(client, ref)
    via_api = client.document_status(ref)
    via_odbc = reader.document_status(ref)
    assert (via_api.source, via_odbc.source) == ("simulated", "odbc")
    assert [s.to_dict() for s in via_odbc.items] == [s.to_dict() for s in via_api.items]
    assert [(s.kind, s.delivered) for s in via_api.items] == [("order", True), ("invoice", False)]
    documents = {(d.kind, d.number): d.total for d in client.find_documents(ref)}
    assert {(s.kind, s.number): s.total for s in via_api.items} == documents


@pytest.fixture
def company_with_documents(tmp_path: Path) -> Path:
    """A demo company holding a delivered and invoiced order, for an agent of its own."""
    company = seed(tmp_path / "odbc.sqlite")
    with serving(tmp_path, "--company", str(company)) as agent:
        _delivered_and_invoiced(agent.client, "ODBC-START")
    return company


def test_start_up_check_enables_the_path_and_a_lost_dsn_falls_back(tmp_path, company_with_documents):
    link = tmp_path / "dsn-target.sqlite"
    link.symlink_to(company_with_documents)
    settings = {"odbc_connection": connection_string(link)}
    with serving(
        tmp_path, "--company", str(company_with_documents), "--config", config_file(tmp_path, settings)
    ) as agent:
        client = agent.client
        assert client.identity().odbc_enabled is True
        assert "ODBC read path enabled (checked 9 articles and 1 document references" in agent.log_text()
        assert client.stock_page(None, 3).source == "odbc"
        assert client.document_status("ODBC-START").source == "odbc"
        link.unlink()  # the DSN goes away while the agent runs: the company thread still answers
        page, status = client.stock_page(None, 3), client.document_status("ODBC-START")
        assert (page.source, len(page.items), status.source, len(status.items)) == (
            "simulated",
            3,
            "simulated",
            2,
        )
        assert agent.log_text().count("ODBC read failed, answered by the backend instead") == 2


WRONG_COLUMN = STOCK_SQL.replace("ADK_ARTICLE_QUANTITY_IN_STOCK", "ADK_ARTICLE_ORDER_POINT + 1")
ORDERS_ONLY = (
    "SELECT sim_doc_kind, ADK_OOI_HEAD_DOCUMENT_NUMBER, ADK_OOI_HEAD_CUSTOMER_ORDER_NUMBER,"
    " ADK_OOI_HEAD_ORDER_DELIVERED, ADK_OOI_HEAD_DOCUMENT_CANCELLED, ADK_OOI_HEAD_TOTAL_AMOUNT,"
    " ADK_OOI_HEAD_BALANCE, ADK_OOI_HEAD_TIMESTAMP FROM ooi_head"
    " WHERE ADK_OOI_HEAD_CUSTOMER_ORDER_NUMBER = ? AND sim_doc_kind = 'ORDER'"
)


@pytest.mark.parametrize(
    ("check_case", "settings", "log_line"),
    [
        (
            "stock_reads_the_wrong_column",
            {"odbc_stock_query": WRONG_COLUMN},
            "it disagrees with the simulated",
        ),
        ("status_misses_the_invoices", {"odbc_status_query": ORDERS_ONLY}, "it disagrees with the simulated"),
        ("unreachable_dsn", {"odbc_connection": "DSN=does-not-exist"}, "cannot read through ODBC"),
    ],
)
def test_start_up_check_leaves_the_path_off(tmp_path, company_with_documents, check_case, settings, log_line):
    settings = {"odbc_connection": connection_string(company_with_documents)} | settings
    with serving(
        tmp_path, "--company", str(company_with_documents), "--config", config_file(tmp_path, settings)
    ) as agent:
        assert agent.client.identity().odbc_enabled is False
        assert f"ODBC read path disabled: {log_line}" in agent.log_text()
        assert agent.client.stock_page(None, 3).source == "simulated"


def test_first_difference_names_it():
    line = P.StockLine("A", Decimal(1), Decimal(0), Decimal(1), True, True, "t")
    other = P.StockLine("A", Decimal(2), Decimal(0), Decimal(1), True, True, "t")
    assert first_difference("stock", [line], [line]) == ""
    assert "'in_stock': '1'" in first_difference("stock", [line], [other])
    assert "1 records from the backend, 0 over ODBC" in first_difference("stock", [line], [])
