"""Optional fast read path over ODBC (pyodbc): bulk stock and document status.

Visma publishes no ODBC driver or schema (reference §5), so the SQL is configurable; the defaults
read the simulator's tables, which use the ADK constant names as columns. At start-up the agent reads
a sample through both this path and the backend; if they disagree the path stays off and says why.
Queries stream with ``fetchmany`` so memory stays bounded whatever the page size, and use no LIMIT/TOP
(dialects differ): the cursor is simply abandoned when the page is full.
"""

from __future__ import annotations

import logging
from typing import Any

from connectors.visma import protocol as P
from connectors.visma.agent.catalog import STOCK_FIELDS, stock_page

log = logging.getLogger("connectors.visma.agent.odbc")

STOCK_SQL = (
    "SELECT " + ", ".join(STOCK_FIELDS) + " FROM article WHERE ADK_ARTICLE_NUMBER > ? "
    "ORDER BY ADK_ARTICLE_NUMBER"
)
STATUS_SQL = (
    "SELECT sim_doc_kind, ADK_OOI_HEAD_DOCUMENT_NUMBER, ADK_OOI_HEAD_CUSTOMER_ORDER_NUMBER,"
    " ADK_OOI_HEAD_ORDER_DELIVERED, ADK_OOI_HEAD_DOCUMENT_CANCELLED, ADK_OOI_HEAD_BALANCE,"
    " ADK_OOI_HEAD_TOTAL_AMOUNT, ADK_OOI_HEAD_TIMESTAMP FROM ooi_head"
    " WHERE ADK_OOI_HEAD_CUSTOMER_ORDER_NUMBER = ? ORDER BY sim_doc_kind, ADK_OOI_HEAD_DOCUMENT_NUMBER"
)
SAMPLE = 50


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
            cursor.execute(self.stock_sql, after or "")
            while len(rows) < limit:
                batch = cursor.fetchmany(min(1000, limit - len(rows)))
                if not batch:
                    break
                for values in batch:
                    record = dict(zip(STOCK_FIELDS, values, strict=True))
                    record["ADK_ARTICLE_STOCK_GOODS"] = bool(record["ADK_ARTICLE_STOCK_GOODS"])
                    record["ADK_ARTICLE_WEBSHOP"] = bool(record["ADK_ARTICLE_WEBSHOP"])
                    if webshop_only and not record["ADK_ARTICLE_WEBSHOP"]:
                        continue
                    rows.append(record)
            cursor.close()
        finally:
            conn.close()
        return stock_page(rows, limit, source=self.name)

    def document_status(self, reference: str) -> list[dict[str, Any]]:
        """Head-only status of the documents with this shop reference (no rows, no totals)."""
        conn = self._connect()
        try:
            cursor = conn.cursor()
            cursor.execute(self.status_sql, reference)
            return [
                {
                    "kind": str(r[0]).lower(),
                    "number": int(r[1]),
                    "reference": (r[2] or "").strip(),
                    "delivered": bool(r[3]),
                    "cancelled": bool(r[4]),
                    "balance": P.parse_decimal(f"{float(r[5]):.2f}"),
                    "total": P.parse_decimal(f"{float(r[6]):.2f}"),
                    "timestamp": r[7],
                }
                for r in cursor.fetchall()
            ]
        finally:
            conn.close()


def agree(ours: P.StockPage, theirs: P.StockPage) -> str:
    """Empty when both pages carry the same figures; otherwise the first difference."""
    if len(ours.items) != len(theirs.items):
        return f"{len(ours.items)} vs {len(theirs.items)} articles"
    for a, b in zip(ours.items, theirs.items, strict=True):
        if (a.article_number, a.in_stock, a.reserved, a.disposable) != (
            b.article_number,
            b.in_stock,
            b.reserved,
            b.disposable,
        ):
            return f"article {a.article_number!r}: backend {a} vs odbc {b}"
    return ""


def enable_odbc(service: Any, worker: Any, config: Any) -> None:
    """Check the ODBC path against the backend and switch it on only if they agree."""
    try:
        reader = OdbcReader(
            config.odbc_connection, stock_sql=config.odbc_stock_query, status_sql=config.odbc_status_query
        )
        theirs = reader.stock(None, SAMPLE)
    except Exception as exc:
        log.warning("ODBC read path disabled: cannot read through ODBC (%s: %s)", type(exc).__name__, exc)
        return
    ours = worker.call(lambda: service.catalog.stock(None, SAMPLE, False))
    difference = agree(ours, theirs)
    if difference:
        log.warning(
            "ODBC read path disabled: it disagrees with the %s backend: %s", service.backend.name, difference
        )
        return
    service.odbc = reader
    log.info("ODBC read path enabled (checked %d articles against the backend)", len(ours.items))
