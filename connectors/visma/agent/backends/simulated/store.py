"""Generic record I/O of the simulator: validation with real ADKE numbers, timestamps, SQL.

Business rules (documents, stock, payments) live in ``documents.py``; this module knows only what
the ADK checks for every table: the field exists (488), the value has the field's type (103), fits
its length (180) and decimals (181), and is Windows-1252 (34).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from connectors.visma.agent import fields as F
from connectors.visma.agent.errors import AdkError

TS_FORMAT = "%Y-%m-%dT%H:%M:%S.%f"


class Clock:
    """Strictly increasing local timestamps, so a change always sorts after the previous one.

    Visma's timestamp resolution is unknown [U]; microseconds plus monotonicity keep the
    simulator deterministic for cursor tests.
    """

    def __init__(self) -> None:
        self._last = datetime.min
        self._lock = threading.Lock()

    def now(self) -> str:
        with self._lock:
            current = datetime.now()
            if current <= self._last:
                current = self._last + timedelta(microseconds=1)
            self._last = current
            return current.strftime(TS_FORMAT)


def validate(table: F.Table, values: Mapping[str, Any], *, allow_stamp: bool = False) -> None:
    for name, value in values.items():
        spec = table.fields.get(name)
        if spec is None:
            raise AdkError(488, field=name, table=table.db)
        if spec.type == F.CHAR:
            if not isinstance(value, str):
                raise AdkError(103, field=name, table=table.db)
            if spec.length and len(value) > spec.length:
                raise AdkError(180, field=name, table=table.db, detail=f"max {spec.length}")
            try:
                value.encode("cp1252")
            except UnicodeEncodeError as exc:
                raise AdkError(34, field=name, table=table.db) from exc
        elif spec.type == F.DOUBLE:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise AdkError(103, field=name, table=table.db)
            if abs(round(value, spec.decimals) - value) > 1e-9 * max(1.0, abs(value)):
                raise AdkError(181, field=name, table=table.db, detail=f"max {spec.decimals} decimals")
        elif spec.type == F.BOOL:
            if value not in (True, False, 0, 1):
                raise AdkError(103, field=name, table=table.db)
        elif spec.type == F.DATE:
            if isinstance(value, bool) or not isinstance(value, int):
                raise AdkError(103, field=name, table=table.db)
        elif spec.type == F.STAMP and not allow_stamp:
            raise AdkError(109, field=name, table=table.db)


def to_record(table: F.Table, row: sqlite3.Row) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in row.keys():
        spec = table.fields.get(name)
        value = row[name]
        if spec is not None and spec.type == F.BOOL:
            value = bool(value)
        elif spec is not None and spec.type == F.DOUBLE:
            value = float(value)
        out[name] = value
    return out


class Store:
    def __init__(self, conn: sqlite3.Connection, clock: Clock) -> None:
        self.conn = conn
        self.clock = clock

    def _kind_filter(self, table: F.Table) -> tuple[str, list[Any]]:
        return ("sim_doc_kind = ?", [table.kind]) if table.kind else ("1 = 1", [])

    def find(self, table: F.Table, key: Mapping[str, Any]) -> dict[str, Any] | None:
        rows = self.select(table, where=key, limit=1)
        return rows[0] if rows else None

    def select(
        self,
        table: F.Table,
        *,
        where: Mapping[str, Any] | None = None,
        order_by: Sequence[str] = (),
        after: Sequence[Any] | None = None,
        limit: int = 1000,
        columns: Sequence[str] | None = None,
    ) -> list[dict[str, Any]]:
        clause, params = self._kind_filter(table)
        parts = [clause]
        for name, value in (where or {}).items():
            self._check_column(table, name)
            parts.append(f"{name} = ?")
            params.append(value)
        for name in order_by:
            self._check_column(table, name)
        if after is not None and order_by:
            cols = ", ".join(order_by)
            marks = ", ".join("?" for _ in order_by)
            parts.append(f"({cols}) > ({marks})")
            params.extend(after)
        selected = ", ".join(columns) if columns else "*"
        for name in columns or ():
            self._check_column(table, name)
        sql = f"SELECT {selected} FROM {table.sql} WHERE {' AND '.join(parts)}"
        if order_by:
            sql += f" ORDER BY {', '.join(order_by)}"
        sql += " LIMIT ?"
        params.append(int(limit))
        return [to_record(table, row) for row in self.conn.execute(sql, params)]

    def _check_column(self, table: F.Table, name: str) -> None:
        # Column names go into SQL text, so only names from the field map are accepted.
        if name not in table.fields and name not in ("ADK_OOI_HEAD_DOCUMENT_NUMBER", "sim_doc_kind"):
            raise AdkError(488, field=name, table=table.db)

    def insert(
        self, table: F.Table, values: Mapping[str, Any], extra: Mapping[str, Any] | None = None
    ) -> str:
        validate(table, values)
        stamp = self.clock.now()
        record = {**values, **_stamped(table, stamp), **(extra or {})}
        if table.kind:
            record["sim_doc_kind"] = table.kind
        names = ", ".join(record)
        marks = ", ".join("?" for _ in record)
        self.conn.execute(f"INSERT INTO {table.sql} ({names}) VALUES ({marks})", list(record.values()))
        return stamp

    def update(self, table: F.Table, key: Mapping[str, Any], values: Mapping[str, Any]) -> str:
        """Update one record and bump its timestamp (every write does, reference §7)."""
        validate(table, values)
        stamp = self.clock.now()
        record = {**values, **_stamped(table, stamp)}
        clause, params = self._kind_filter(table)
        sets = ", ".join(f"{name} = ?" for name in record)
        keys = " AND ".join(f"{name} = ?" for name in key)
        cursor = self.conn.execute(
            f"UPDATE {table.sql} SET {sets} WHERE {clause} AND {keys}",
            [*record.values(), *params, *key.values()],
        )
        if cursor.rowcount == 0:
            raise AdkError(115, table=table.db)
        return stamp


def _stamped(table: F.Table, stamp: str) -> dict[str, str]:
    # The settings tables have no timestamp field in the ADK (there is no ADK_PRM_TIMESTAMP).
    return {table.timestamp: stamp} if table.timestamp else {}
