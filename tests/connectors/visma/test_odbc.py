"""The optional ODBC read path reads what the backend reads (unixODBC + SQLite ODBC driver).

.ci/run installs the Debian packages unixodbc, unixodbc-dev and libsqliteodbc. A missing driver
fails these tests rather than skipping them: a skipped check here would hide exactly the
disagreement the path is checked for.
"""

from __future__ import annotations

import logging
from decimal import Decimal

import pyodbc
import pytest

from connectors.visma import protocol as P
from connectors.visma.agent.backends.odbc import OdbcReader, enable_odbc, first_difference

MISSING_DRIVER = "no SQLite ODBC driver registered with unixODBC: apt install unixodbc libsqliteodbc"


def _driver() -> str:
    for name in ("SQLite3", "SQLite3 ODBC Driver"):
        if name in pyodbc.drivers():
            return name
    pytest.fail(f"{MISSING_DRIVER} (registered: {pyodbc.drivers()})")


@pytest.fixture
def reader(agent) -> OdbcReader:
    return OdbcReader(f"DRIVER={{{_driver()}}};Database={agent.company}")


@pytest.fixture
def odbc_config(agent):
    """The running agent's config, restored (and the read path switched off) afterwards."""
    config = agent.config
    saved = (config.odbc_connection, config.odbc_stock_query, config.odbc_status_query)
    yield config
    agent.agent.service.odbc = None
    config.odbc_connection, config.odbc_stock_query, config.odbc_status_query = saved


def _delivered_and_invoiced(client, reference: str) -> None:
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


def test_start_up_check_enables_the_path_when_both_agree(agent, client, reader, odbc_config, unique):
    _delivered_and_invoiced(client, f"ODBC-ON-{unique}")
    odbc_config.odbc_connection = reader.connection_string
    enable_odbc(agent.agent.service, agent.agent.worker, odbc_config)
    assert client.identity().odbc_enabled is True
    assert client.stock_page(None, 3).source == "odbc"
    status = client.document_status(f"ODBC-ON-{unique}")
    assert (status.source, len(status.items)) == ("odbc", 2)


@pytest.mark.parametrize(
    ("query_case", "setting", "sql"),
    [
        (
            "stock_reads_the_wrong_column",
            "odbc_stock_query",
            "SELECT ADK_ARTICLE_NUMBER, ADK_ARTICLE_ORDER_POINT + 1, ADK_ARTICLE_QUANTITY_RESERVED,"
            " ADK_ARTICLE_DISPOSABLE_IN_STOCK, ADK_ARTICLE_STOCK_GOODS, ADK_ARTICLE_WEBSHOP,"
            " ADK_ARTICLE_TIMESTAMP FROM article WHERE ADK_ARTICLE_NUMBER > ?"
            " ORDER BY ADK_ARTICLE_NUMBER LIMIT ?",
        ),
        (
            "status_misses_the_invoices",
            "odbc_status_query",
            "SELECT sim_doc_kind, ADK_OOI_HEAD_DOCUMENT_NUMBER, ADK_OOI_HEAD_CUSTOMER_ORDER_NUMBER,"
            " ADK_OOI_HEAD_ORDER_DELIVERED, ADK_OOI_HEAD_DOCUMENT_CANCELLED, ADK_OOI_HEAD_TOTAL_AMOUNT,"
            " ADK_OOI_HEAD_BALANCE, ADK_OOI_HEAD_TIMESTAMP FROM ooi_head"
            " WHERE ADK_OOI_HEAD_CUSTOMER_ORDER_NUMBER = ? AND sim_doc_kind = 'ORDER'",
        ),
    ],
)
def test_start_up_check_disables_the_path_on_disagreement(
    agent, client, reader, odbc_config, caplog, unique, query_case, setting, sql
):
    _delivered_and_invoiced(client, f"ODBC-OFF-{unique}")
    odbc_config.odbc_connection = reader.connection_string
    setattr(odbc_config, setting, sql)
    with caplog.at_level(logging.WARNING, logger="connectors.visma.agent.odbc"):
        enable_odbc(agent.agent.service, agent.agent.worker, odbc_config)
    assert agent.agent.service.odbc is None
    assert client.identity().odbc_enabled is False
    assert "ODBC read path disabled: it disagrees with the simulated backend" in caplog.text
    assert client.stock_page(None, 3).source == "simulated"


def test_odbc_failing_after_start_up_falls_back_to_the_backend(agent, client, reader, odbc_config, caplog):
    odbc_config.odbc_connection = reader.connection_string
    enable_odbc(agent.agent.service, agent.agent.worker, odbc_config)
    assert client.stock_page(None, 3).source == "odbc"
    agent.agent.service.odbc.connection_string = "DSN=gone-since-start-up"
    with caplog.at_level(logging.WARNING, logger="connectors.visma.agent.api"):
        page = client.stock_page(None, 3)
        status = client.document_status("NONE")
    assert (page.source, len(page.items), status.source) == ("simulated", 3, "simulated")
    assert caplog.text.count("ODBC read failed, answered by the backend instead") == 2


def test_unreachable_dsn_leaves_the_path_off(agent, odbc_config, caplog):
    odbc_config.odbc_connection = "DSN=does-not-exist"
    with caplog.at_level(logging.WARNING, logger="connectors.visma.agent.odbc"):
        enable_odbc(agent.agent.service, agent.agent.worker, odbc_config)
    assert agent.agent.service.odbc is None
    assert "ODBC read path disabled: cannot read through ODBC" in caplog.text


def test_first_difference_names_it():
    line = P.StockLine("A", Decimal(1), Decimal(0), Decimal(1), True, True, "t")
    other = P.StockLine("A", Decimal(2), Decimal(0), Decimal(1), True, True, "t")
    assert first_difference("stock", [line], [line]) == ""
    assert "'in_stock': '1'" in first_difference("stock", [line], [other])
    assert "1 records from the backend, 0 over ODBC" in first_difference("stock", [line], [])
