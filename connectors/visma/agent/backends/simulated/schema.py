"""SQLite tables of a simulated company, built from the field map (§7 of the reference).

Column names are the ADK constants; types follow the ADK: TEXT for eChar, REAL for eDouble (kept as
doubles on purpose: the agent must cope with them), INTEGER 0/1 for eBool, INTEGER YYYYMMDD for eDate
and ISO text for ``*_TIMESTAMP``. Columns prefixed ``sim_`` are simulator-internal.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from connectors.visma.agent import fields as F

SQL_TYPES = {
    F.CHAR: "TEXT NOT NULL DEFAULT ''",
    F.DOUBLE: "REAL NOT NULL DEFAULT 0",
    F.BOOL: "INTEGER NOT NULL DEFAULT 0",
    F.DATE: "INTEGER NOT NULL DEFAULT 0",
    F.STAMP: "TEXT NOT NULL DEFAULT ''",
}

# Primary keys and extra columns per simulator table.
_EXTRA = {
    "ooi_head": ("sim_doc_kind TEXT NOT NULL", "PRIMARY KEY (sim_doc_kind, ADK_OOI_HEAD_DOCUMENT_NUMBER)"),
    "ooi_row": (
        "sim_doc_kind TEXT NOT NULL",
        "ADK_OOI_HEAD_DOCUMENT_NUMBER REAL NOT NULL",
        "PRIMARY KEY (sim_doc_kind, ADK_OOI_HEAD_DOCUMENT_NUMBER, ADK_OOI_ROW_ROWNUMBER)",
    ),
    "prm2": (
        "sim_next_order_no INTEGER NOT NULL DEFAULT 1",
        "sim_next_invoice_no INTEGER NOT NULL DEFAULT 1",
        "sim_next_payment_no INTEGER NOT NULL DEFAULT 1",
        "sim_next_manual_no INTEGER NOT NULL DEFAULT 1",
    ),
    "code_of_terms_of_payment": ("sim_days INTEGER NOT NULL DEFAULT 30",),
}
INDEXES = (
    "CREATE INDEX IF NOT EXISTS article_ts ON article (ADK_ARTICLE_TIMESTAMP, ADK_ARTICLE_NUMBER)",
    "CREATE INDEX IF NOT EXISTS customer_email ON customer (ADK_CUSTOMER_EMAIL)",
    "CREATE INDEX IF NOT EXISTS customer_org ON customer (ADK_CUSTOMER_ORGANISATION_NUMBER)",
    "CREATE INDEX IF NOT EXISTS head_ref ON ooi_head (ADK_OOI_HEAD_CUSTOMER_ORDER_NUMBER)",
    "CREATE INDEX IF NOT EXISTS head_ts ON ooi_head (ADK_OOI_HEAD_TIMESTAMP, sim_doc_kind,"
    " ADK_OOI_HEAD_DOCUMENT_NUMBER)",
    "CREATE INDEX IF NOT EXISTS payment_invoice ON customerpayment (ADK_CUSTOMERPAYMENT_INVOICE_NUMBER)",
)


def ddl() -> list[str]:
    statements = []
    seen: set[str] = set()
    for table in F.TABLES.values():
        if table.sql in seen:
            continue
        seen.add(table.sql)
        columns = [f"{name} {SQL_TYPES[f.type]}" for name, f in table.fields.items()]
        extra = list(_EXTRA.get(table.sql, ()))
        if not any(part.startswith("PRIMARY KEY") for part in extra):
            extra.append(f"PRIMARY KEY ({', '.join(table.key)})")
        statements.append(
            f"CREATE TABLE IF NOT EXISTS {table.sql} ({', '.join(extra[:-1] + columns + extra[-1:])})"
        )
    statements.append(
        "CREATE TABLE IF NOT EXISTS field_catalogue (db_id TEXT, constant TEXT, adk_type TEXT,"
        " length INTEGER, decimals INTEGER, PRIMARY KEY (db_id, constant))"
    )
    statements.extend(INDEXES)
    return statements


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    # WAL lets the ODBC read path (another connection) read while the worker writes.
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=5000")
    return conn


def create_company(
    path: Path, *, name: str = "Simulerat Företag AB", org_number: str = "556677-8899"
) -> None:
    """Create an empty company: settings, VAT rates 25/12/6 %, basic code tables."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = connect(path)
    try:
        conn.execute("BEGIN")
        for statement in ddl():
            conn.execute(statement)
        for table in F.TABLES.values():
            for fname, f in table.fields.items():
                conn.execute(
                    "INSERT OR IGNORE INTO field_catalogue VALUES (?, ?, ?, ?, ?)",
                    (table.db, fname, f.type, f.length, f.decimals),
                )
        now = "2000-01-01T00:00:00.000000"
        conn.execute(
            "INSERT INTO prm (ADK_PRM_NAME, ADK_PRM_ORGANISATION_NUMBER, ADK_PRM_CODE_OF_CURRENCY,"
            " ADK_PRM_PROGRAM, ADK_PRM_DATABASE_VERSION) VALUES (?, ?, 'SEK', 'ADKI_ADMIN2000', 1)",
            (name, org_number),
        )
        conn.execute(
            "INSERT INTO prm2 (ADK_PRM2_VAT1, ADK_PRM2_VAT2, ADK_PRM2_VAT3, ADK_PRM2_VAT4,"
            " ADK_PRM2_DEFAULT_PRICELIST, ADK_PRM2_DEFAULT_VATCODE_CARGO_FEE,"
            " ADK_PRM2_DEFAULT_VATCODE_DISPATCH_FEE, ADK_PRM2_NEXT_CUSTOMER_NO, ADK_PRM2_NEXT_ARTICLE_NO)"
            " VALUES (25, 12, 6, 0, '1', '1', '1', '1001', '1')",
        )
        seed_rows: dict[str, list[tuple[Any, ...]]] = {
            "code_of_currency": [("SEK", 1, 1, 1)],
            "code_of_unit": [("st", "Styck", 0), ("kg", "Kilo", 3), ("m", "Meter", 2)],
            "code_of_terms_of_payment": [
                ("30", "30 dagar netto", ""),
                ("K", "Kort", ""),
                ("F", "Faktura", ""),
            ],
            "code_of_terms_of_delivery": [("FVL", "Fritt vårt lager")],
            "code_of_way_of_delivery": [("P", "Post"), ("B", "Bud"), ("H", "Hämtas")],
            "code_of_article_group": [("ALL", "Allmänt")],
            "code_of_article_account": [
                ("1", "Varor 25 %", "3001", "1"),
                ("2", "Livsmedel 12 %", "3002", "2"),
                ("3", "Böcker 6 %", "3003", "3"),
                ("4", "Momsfri", "3004", "0"),
            ],
            "code_of_price_list": [("1", "Ordinarie", "SEK", 1, 0)],
        }
        for sql_table, rows in seed_rows.items():
            table = next(t for t in F.TABLES.values() if t.sql == sql_table)
            names = [n for n in table.fields if not n.endswith("_TIMESTAMP")][: len(rows[0])]
            marks = ", ".join("?" for _ in names)
            for row in rows:
                conn.execute(
                    f"INSERT INTO {sql_table} ({', '.join(names)}, {table.timestamp}) VALUES ({marks}, ?)",
                    (*row, now),
                )
        conn.execute("COMMIT")
    finally:
        conn.close()
