"""The agent's own small database: idempotency keys, the document event feed, seen signatures.

Kept apart from the company (Visma's database is not ours to add tables to). Only the worker
thread touches ``AgentState``, so requests with the same Idempotency-Key are naturally serialised;
``SeenSignatures`` is the HTTP threads' own connection to the same file.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS idempotency (key TEXT PRIMARY KEY, request_hash TEXT NOT NULL,"
    " kind TEXT NOT NULL, reference TEXT NOT NULL, number INTEGER, created_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS snapshot (kind TEXT, number INTEGER, flags TEXT NOT NULL,"
    " PRIMARY KEY (kind, number))",
    "CREATE TABLE IF NOT EXISTS event (id INTEGER PRIMARY KEY AUTOINCREMENT, event TEXT NOT NULL,"
    " kind TEXT NOT NULL, number INTEGER NOT NULL, reference TEXT NOT NULL, occurred_at TEXT NOT NULL,"
    " tracking_number TEXT NOT NULL DEFAULT '', invoice_number INTEGER, amount TEXT)",
    "CREATE TABLE IF NOT EXISTS mark (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
)


class AgentState:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        for statement in _SCHEMA:
            self.conn.execute(statement)

    def close(self) -> None:
        self.conn.close()

    # --- idempotency ------------------------------------------------------------------------------

    def idempotency(self, key: str) -> sqlite3.Row | None:
        return self.conn.execute("SELECT * FROM idempotency WHERE key = ?", (key,)).fetchone()

    def begin(self, key: str, request_hash: str, kind: str, reference: str, now: str) -> None:
        # Recorded before the ADK call: if the agent dies in between, the retry finds the pending
        # key and looks the document up by its reference instead of writing a second one.
        self.conn.execute(
            "INSERT INTO idempotency (key, request_hash, kind, reference, created_at) VALUES (?, ?, ?, ?, ?)",
            (key, request_hash, kind, reference, now),
        )

    def finish(self, key: str, number: int) -> None:
        self.conn.execute("UPDATE idempotency SET number = ? WHERE key = ?", (number, key))

    def finish_named(self, key: str, name: str) -> None:
        """Done, for a record whose key is text (a customer number such as "007", which the
        number column would store as 7): the name is kept in ``reference``, ``number`` is 0."""
        self.conn.execute("UPDATE idempotency SET number = 0, reference = ? WHERE key = ?", (name, key))

    def forget(self, key: str) -> None:
        self.conn.execute("DELETE FROM idempotency WHERE key = ? AND number IS NULL", (key,))

    # --- events -----------------------------------------------------------------------------------

    def mark(self, name: str) -> str | None:
        row = self.conn.execute("SELECT value FROM mark WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def set_mark(self, name: str, value: str) -> None:
        self.conn.execute("INSERT OR REPLACE INTO mark VALUES (?, ?)", (name, value))

    def snapshot(self, kind: str, number: int) -> dict[str, Any] | None:
        row = self.conn.execute(
            "SELECT flags FROM snapshot WHERE kind = ? AND number = ?", (kind, number)
        ).fetchone()
        return json.loads(row[0]) if row else None

    def save_snapshot(self, kind: str, number: int, flags: dict[str, Any]) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO snapshot VALUES (?, ?, ?)", (kind, number, json.dumps(flags))
        )

    def append(self, events: list[dict[str, Any]]) -> None:
        self.conn.execute("BEGIN")
        for e in events:
            self.conn.execute(
                "INSERT INTO event (event, kind, number, reference, occurred_at, tracking_number,"
                " invoice_number, amount) VALUES (:event, :kind, :number, :reference, :occurred_at,"
                " :tracking_number, :invoice_number, :amount)",
                e,
            )
        self.conn.execute("COMMIT")

    def events(self, after: int, limit: int) -> list[sqlite3.Row]:
        return self.conn.execute(
            "SELECT * FROM event WHERE id > ? ORDER BY id LIMIT ?", (after, limit)
        ).fetchall()


class SeenSignatures:
    """Signatures accepted within the replay window, kept in the agent's state database.

    Held in memory only, a restart forgot them: a signed ``PUT /v1/articles/…`` captured before the
    restart could be replayed within the ±300 s window and was accepted. Read and written by the
    HTTP threads (not the worker), so it has its own connection to the same WAL database and a lock.
    """

    PRUNE_EVERY = 10.0  # seconds between sweeps of signatures that have left the window

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")  # survives a process crash, which is the case here
        self.conn.execute("PRAGMA busy_timeout=5000")
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS seen_signature (signature TEXT PRIMARY KEY,"
            " forget_after INTEGER NOT NULL)"
        )
        self._lock = threading.Lock()
        self._next_prune = 0.0

    def first_time(self, signature: str, forget_after: int, now: float) -> bool:
        """Record ``signature`` until ``forget_after``; False if it is already on record."""
        with self._lock:
            if now >= self._next_prune:
                self.conn.execute("DELETE FROM seen_signature WHERE forget_after < ?", (now,))
                self._next_prune = now + self.PRUNE_EVERY
            # One statement decides atomically: a new signature, or one whose time ran out before
            # the next sweep, is (re)recorded; one still in the window changes nothing.
            cursor = self.conn.execute(
                "INSERT INTO seen_signature VALUES (?, ?) ON CONFLICT (signature) DO UPDATE"
                " SET forget_after = excluded.forget_after WHERE seen_signature.forget_after < ?",
                (signature, forget_after, now),
            )
            return cursor.rowcount == 1

    def count(self, now: float) -> int:
        with self._lock:
            row = self.conn.execute(
                "SELECT count(*) FROM seen_signature WHERE forget_after >= ?", (now,)
            ).fetchone()
            return int(row[0])

    def close(self) -> None:
        with self._lock:
            self.conn.close()
