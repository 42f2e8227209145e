"""Optional fast read path over ODBC (pyodbc): bulk stock and document status.

Visma publishes no ODBC driver or schema (reference §5), so the SQL is configurable; the defaults
read the simulator's tables, which use the ADK constant names as columns. At start-up the agent reads
a sample of both through this path and through the backend; if anything differs the path stays off
and the log says why.

The stock query takes two parameters, the last article number seen and the page size, and must
return at most that many rows in article-number order: some drivers (the SQLite one among them)
materialise the whole result before the first fetch, so a query without a row limit costs the
entire table per page. The limit is dialect-specific (SQLite ``LIMIT ?``; SQL Server ``OFFSET 0
ROWS FETCH NEXT ? ROWS ONLY``), which is one more reason the query is configuration.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from connectors.visma import protocol as P
from connectors.visma.agent.catalog import STOCK_FIELDS, lookup_text, stock_page
from connectors.visma.agent.config import AgentConfig
from connectors.visma.agent.mapping import clean, dec

log = logging.getLogger("connectors.visma.agent.odbc")

STOCK_SQL = (
    "SELECT " + ", ".join(STOCK_FIELDS) + " FROM article WHERE ADK_ARTICLE_NUMBER > ? "
    "ORDER BY ADK_ARTICLE_NUMBER LIMIT ?"
)
# Columns in this order: kind (ORDER/INVOICE), number, reference, delivered, cancelled, total,
# balance, timestamp; one parameter, the shop's reference.
STATUS_SQL = (
    "SELECT sim_doc_kind, ADK_OOI_HEAD_DOCUMENT_NUMBER, ADK_OOI_HEAD_CUSTOMER_ORDER_NUMBER,"
    " ADK_OOI_HEAD_ORDER_DELIVERED, ADK_OOI_HEAD_DOCUMENT_CANCELLED, ADK_OOI_HEAD_TOTAL_AMOUNT,"
    " ADK_OOI_HEAD_BALANCE, ADK_OOI_HEAD_TIMESTAMP FROM ooi_head"
    " WHERE ADK_OOI_HEAD_CUSTOMER_ORDER_NUMBER = ? ORDER BY sim_doc_kind DESC, ADK_OOI_HEAD_DOCUMENT_NUMBER"
)
SAMPLE = 50  # articles compared at start-up
SAMPLE_REFERENCES = 20  # document references compared at start-up


class OdbcReader:
    name = "odbc"

    def __init__(self, connection_string: str, *, stock_sql: str = "", status_sql: str = "") -> None:
        import pyodbc  # optional dependency: only needed when a DSN is configured

        self._pyodbc = pyodbc
        self.connection_string = connection_string
        self.stock_sql = stock_sql or STOCK_SQL
        self.status_sql = status_sql or STATUS_SQL

    def _connect(self) -> Any:
        # A connection per call: pyodbc connections are not shared between HTTP threads.
        return self._pyodbc.connect(self.connection_string, autocommit=True, readonly=True)

    def stock(self, after: str | None, limit: int, webshop_only: bool = False) -> P.StockPage:
        rows: list[dict[str, Any]] = []
        conn = self._connect()
        try:
            cursor = conn.cursor()
            last = after or ""
            # Web-shop filtering happens here (the query stays simple to adapt), so a page may need
            # more than one query to fill; each query is bounded by the page size.
            while len(rows) < limit:
                batch = cursor.execute(self.stock_sql, last, limit).fetchall()
                for values in batch:
                    record = dict(zip(STOCK_FIELDS, values, strict=True))
                    record["ADK_ARTICLE_STOCK_GOODS"] = bool(record["ADK_ARTICLE_STOCK_GOODS"])
                    record["ADK_ARTICLE_WEBSHOP"] = bool(record["ADK_ARTICLE_WEBSHOP"])
                    if record["ADK_ARTICLE_WEBSHOP"] or not webshop_only:
                        rows.append(record)
                if len(batch) < limit:
                    break
                last = batch[-1][0]
            cursor.close()
        finally:
            conn.close()
        return stock_page(rows[:limit], limit, source=self.name)

    def document_status(self, reference: str) -> P.DocumentStatusList:
        """Head-only status of the documents with this shop reference (no rows)."""
        conn = self._connect()
        try:
            cursor = conn.cursor()
            cursor.execute(self.status_sql, lookup_text(reference))
            items = [
                P.DocumentStatus(
                    kind=str(r[0]).lower(),
                    number=int(r[1]),
                    reference=clean(r[2]),
                    delivered=bool(r[3]),
                    cancelled=bool(r[4]),
                    total=dec(r[5]),
                    balance=dec(r[6]),
                    timestamp=clean(r[7]),
                )
                for r in cursor.fetchall()
            ]
        finally:
            conn.close()
        return P.DocumentStatusList(items=items, source=self.name)


def first_difference(what: str, ours: Sequence[P.Record], theirs: Sequence[P.Record]) -> str:
    """Empty when both sides read the same records; otherwise the first difference, for the log."""
    if len(ours) != len(theirs):
        return f"{what}: {len(ours)} records from the backend, {len(theirs)} over ODBC"
    for a, b in zip(ours, theirs, strict=True):
        if a.to_dict() != b.to_dict():
            return f"{what}: backend {a.to_dict()} vs odbc {b.to_dict()}"
    return ""


def enable_odbc(service: Any, worker: Any, config: AgentConfig) -> None:
    """Check the ODBC path against the backend and switch it on only if they agree."""
    try:
        reader = OdbcReader(
            config.odbc_connection, stock_sql=config.odbc_stock_query, status_sql=config.odbc_status_query
        )
        references = worker.call(lambda: service.documents.sample_references(SAMPLE_REFERENCES))
        theirs_stock = reader.stock(None, SAMPLE)
        theirs_status = [reader.document_status(ref) for ref in references]
    except Exception as exc:  # any driver, DSN or SQL failure means: leave the path off, say why
        log.warning("ODBC read path disabled: cannot read through ODBC (%s: %s)", type(exc).__name__, exc)
        return
    ours_stock = worker.call(lambda: service.catalog.stock(None, SAMPLE, False))
    ours_status = worker.call(lambda: [service.documents.status(ref) for ref in references])
    difference = first_difference("stock", ours_stock.items, theirs_stock.items)
    for ref, ours, theirs in zip(references, ours_status, theirs_status, strict=True):
        difference = difference or first_difference(f"documents {ref!r}", ours.items, theirs.items)
    if difference:
        log.warning(
            "ODBC read path disabled: it disagrees with the %s backend: %s", service.backend.name, difference
        )
        return
    service.odbc = reader
    log.info(
        "ODBC read path enabled (checked %d articles and %d document references against the backend)",
        len(ours_stock.items),
        len(references),
    )
