"""The optional ODBC read path reads what the backend reads (unixODBC + SQLite ODBC driver).

CI installs the Debian packages unixodbc, unixodbc-dev and libsqliteodbc; without the driver the
tests skip with the reason.
"""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest

from connectors.visma import protocol as P
from connectors.visma.agent.backends.odbc import OdbcReader, agree, enable_odbc


def _driver() -> str:
    try:
        import pyodbc
    except ImportError as exc:  # pragma: no cover - pyodbc is in requirements
        pytest.skip(f"pyodbc not importable: {exc}")
    for name in ("SQLite3", "SQLite3 ODBC Driver"):
        if name in pyodbc.drivers():
            return name
    pytest.skip(
        f"no SQLite ODBC driver registered with unixODBC (have {pyodbc.drivers()}); apt install libsqliteodbc"
    )


@pytest.fixture
def reader(agent) -> OdbcReader:
    return OdbcReader(f"DRIVER={{{_driver()}}};Database={agent.company}")


def test_stock_pages_match_the_backend(client, reader):
    after = None
    pages = 0
    while True:
        ours, theirs = client.stock_page(after, 4), reader.stock(after, 4)
        assert theirs.source == "odbc"
        assert [s.to_dict() for s in theirs.items] == [s.to_dict() for s in ours.items]
        assert theirs.next_after == ours.next_after
        pages += 1
        if not ours.next_after:
            break
        after = ours.next_after
    assert pages > 1


def test_document_status_matches_the_backend(client, reader, unique):
    ref = f"ODBC-{unique}"
    order = client.create_document(
        P.DocumentInput(
            kind="order",
            customer_number="1001",
            reference=ref,
            rows=[P.DocumentRowInput(article_number="2001", quantity=Decimal(1), price=Decimal("89.90"))],
        ),
        f"odbc-{unique}",
    )
    client.sim("POST", f"orders/{order.number}/deliver", {})
    client.sim("POST", f"orders/{order.number}/invoice")
    via_api = {
        (d.kind, d.number): (d.delivered, d.cancelled, d.balance, d.total) for d in client.find_documents(ref)
    }
    via_odbc = {
        (s["kind"], s["number"]): (s["delivered"], s["cancelled"], s["balance"], s["total"])
        for s in reader.document_status(ref)
    }
    assert via_odbc == via_api
    assert len(via_odbc) == 2


def test_start_up_check_enables_or_disables(agent, reader, caplog):
    service, worker = agent.agent.service, agent.agent.worker
    config = agent.config
    try:
        config.odbc_connection = reader.connection_string
        enable_odbc(service, worker, config)
        assert service.odbc is not None
        assert agent.client.identity().odbc_enabled is True
        assert agent.client.stock_page(None, 3).source == "odbc"

        service.odbc = None
        # A query that reads the wrong column must be caught and the path left off.
        config.odbc_stock_query = (
            "SELECT ADK_ARTICLE_NUMBER, ADK_ARTICLE_ORDER_POINT + 1, ADK_ARTICLE_QUANTITY_RESERVED,"
            " ADK_ARTICLE_DISPOSABLE_IN_STOCK, ADK_ARTICLE_STOCK_GOODS, ADK_ARTICLE_WEBSHOP,"
            " ADK_ARTICLE_TIMESTAMP"
            " FROM article WHERE ADK_ARTICLE_NUMBER > ? ORDER BY ADK_ARTICLE_NUMBER"
        )
        with caplog.at_level(logging.WARNING, logger="connectors.visma.agent.odbc"):
            enable_odbc(service, worker, config)
        assert service.odbc is None
        assert "ODBC read path disabled: it disagrees with the simulated backend" in caplog.text
    finally:
        service.odbc = None
        config.odbc_connection = config.odbc_stock_query = ""


def test_unreachable_dsn_leaves_the_path_off(agent, caplog):
    service, worker, config = agent.agent.service, agent.agent.worker, agent.config
    config.odbc_connection = "DSN=does-not-exist"
    try:
        with caplog.at_level(logging.WARNING, logger="connectors.visma.agent.odbc"):
            enable_odbc(service, worker, config)
    finally:
        config.odbc_connection = ""
    assert service.odbc is None
    assert "cannot read through ODBC" in caplog.text


def test_agree_reports_the_first_difference():
    line = P.StockLine("A", Decimal(1), Decimal(0), Decimal(1), True, True, "t")
    other = P.StockLine("A", Decimal(2), Decimal(0), Decimal(1), True, True, "t")
    assert agree(P.StockPage([line]), P.StockPage([line])) == ""
    assert "article 'A'" in agree(P.StockPage([line]), P.StockPage([other]))
