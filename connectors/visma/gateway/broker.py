"""Requests and answers between the server's workers and the gateway processes.

Per agent key there is one request queue; whichever gateway process holds that agent's connection
takes requests from it, so any number of gateways may run side by side and a request queued while
the agent reconnects (to the same gateway or another) waits there for it. An answer goes to a slot
of its own, keyed by the request id, that the waiting client reads once.

* ``owner(key)``: the connection that holds the agent now (``<gateway>:<connection>``), set when it
  connects and refreshed on a timer with a time-to-live, so a gateway that dies stops owning its
  agents after at most ``ttl`` seconds (sooner when the agent reconnects elsewhere: the newest
  connection wins).
* ``taken_by(request id)``: which connection took a request. A client whose request was taken by a
  connection that no longer owns the agent knows its answer will never come (the connection was cut
  or its gateway died) and gives up at once with a transient error; the engine retries the item
  normally and the agent's idempotency key makes a re-sent create return the first document.

Two implementations with the same behaviour: ``RedisBroker`` (production, ``REDIS_URL``) and
``SqliteBroker`` (the embedded ``make run`` default, which has no Redis: one SQLite file under
``var/`` in WAL mode, polled every few milliseconds — plenty for a demo, not for hundreds of agents).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Protocol, cast

ANSWER_TTL = 120  # an answer nobody collected is dropped after this many seconds
TAKEN_TTL = 3600
PREFIX = "agentgw:"


class Broker(Protocol):
    # --- the server's side (VismaClient's transport)
    def owner(self, key: str) -> str | None: ...
    def submit(self, key: str, rid: str, payload: str) -> None: ...
    def withdraw(self, key: str, rid: str, payload: str) -> bool: ...
    def taken_by(self, rid: str) -> str | None: ...
    def wait_answer(self, rid: str, timeout: float) -> str | None: ...

    # --- the gateway's side
    def claim(self, key: str, conn: str, ttl: float) -> None: ...
    def refresh(self, key: str, conn: str, ttl: float) -> bool: ...
    def release(self, key: str, conn: str) -> None: ...
    def pop(self, keys: list[str], wake: str, timeout: float) -> tuple[str, str] | None: ...
    def wake(self, wake: str) -> None: ...
    def requeue(self, key: str, rid: str, payload: str) -> None: ...
    def mark_taken(self, rid: str, conn: str) -> None: ...
    def answer(self, rid: str, payload: str) -> None: ...
    def first_time(self, token: str, ttl: float) -> bool: ...
    def close(self) -> None: ...


def broker_for(redis_url: str | None, sqlite_path: Path | str) -> Broker:
    return RedisBroker(redis_url) if redis_url else SqliteBroker(sqlite_path)


class RedisBroker:
    """Lists for the queues (RPUSH / BLPOP: oldest first) and for the answers (one BLPOP each)."""

    # Compare-and-set for the owner key: only the connection that holds it may extend or drop it.
    _REFRESH = (
        "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end"
        " return 0"
    )
    _RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"

    def __init__(self, url: str) -> None:
        import redis  # the server has it; the agent never imports this module

        self.redis = redis.Redis.from_url(url, decode_responses=True, health_check_interval=30)
        self._refresh = self.redis.register_script(self._REFRESH)
        self._release = self.redis.register_script(self._RELEASE)

    @staticmethod
    def _queue(key: str) -> str:
        return f"{PREFIX}q:{key}"

    # decode_responses=True: Redis answers text, though its client's types also allow bytes.
    def owner(self, key: str) -> str | None:
        return cast(str | None, self.redis.get(f"{PREFIX}owner:{key}"))

    def submit(self, key: str, rid: str, payload: str) -> None:
        self.redis.rpush(self._queue(key), payload)

    def withdraw(self, key: str, rid: str, payload: str) -> bool:
        return bool(self.redis.lrem(self._queue(key), 1, payload))

    def taken_by(self, rid: str) -> str | None:
        return cast(str | None, self.redis.get(f"{PREFIX}taken:{rid}"))

    def wait_answer(self, rid: str, timeout: float) -> str | None:
        found = self.redis.blpop([f"{PREFIX}a:{rid}"], timeout=max(timeout, 0.01))
        return None if found is None else cast(str, found[1])

    def claim(self, key: str, conn: str, ttl: float) -> None:
        self.redis.set(f"{PREFIX}owner:{key}", conn, px=int(ttl * 1000))

    def refresh(self, key: str, conn: str, ttl: float) -> bool:
        return bool(self._refresh(keys=[f"{PREFIX}owner:{key}"], args=[conn, int(ttl * 1000)]))

    def release(self, key: str, conn: str) -> None:
        self._release(keys=[f"{PREFIX}owner:{key}"], args=[conn])

    def pop(self, keys: list[str], wake: str, timeout: float) -> tuple[str, str] | None:
        wake_key = f"{PREFIX}wake:{wake}"
        found = self.redis.blpop([wake_key, *map(self._queue, keys)], timeout=max(timeout, 0.01))
        if found is None or found[0] == wake_key:
            return None
        queue, payload = cast(tuple[str, str], found)
        return queue[len(PREFIX) + 2 :], payload

    def wake(self, wake: str) -> None:
        pipe = self.redis.pipeline()
        pipe.rpush(f"{PREFIX}wake:{wake}", "1")
        pipe.expire(f"{PREFIX}wake:{wake}", 60)
        pipe.execute()

    def requeue(self, key: str, rid: str, payload: str) -> None:
        self.redis.lpush(self._queue(key), payload)  # back at the front: it was the oldest

    def mark_taken(self, rid: str, conn: str) -> None:
        self.redis.set(f"{PREFIX}taken:{rid}", conn, ex=TAKEN_TTL)

    def answer(self, rid: str, payload: str) -> None:
        pipe = self.redis.pipeline()
        pipe.rpush(f"{PREFIX}a:{rid}", payload)
        pipe.expire(f"{PREFIX}a:{rid}", ANSWER_TTL)
        pipe.delete(f"{PREFIX}taken:{rid}")
        pipe.execute()

    def first_time(self, token: str, ttl: float) -> bool:
        return bool(self.redis.set(f"{PREFIX}seen:{token}", "1", nx=True, ex=max(int(ttl), 1)))

    def close(self) -> None:
        self.redis.close()


class SqliteBroker:
    """The same on one SQLite file (WAL), polled: for the embedded demo, which runs without Redis."""

    POLL = 0.005

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        with self._db() as db:
            db.executescript(
                """
                CREATE TABLE IF NOT EXISTS queue (seq INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL,
                    rid TEXT NOT NULL, payload TEXT NOT NULL, front INTEGER NOT NULL DEFAULT 0);
                CREATE INDEX IF NOT EXISTS queue_key ON queue (key, front DESC, seq);
                CREATE TABLE IF NOT EXISTS answer (rid TEXT PRIMARY KEY, payload TEXT NOT NULL, expires REAL);
                CREATE TABLE IF NOT EXISTS taken (rid TEXT PRIMARY KEY, conn TEXT NOT NULL, expires REAL);
                CREATE TABLE IF NOT EXISTS owner (key TEXT PRIMARY KEY, conn TEXT NOT NULL, expires REAL);
                CREATE TABLE IF NOT EXISTS seen (token TEXT PRIMARY KEY, expires REAL);
                CREATE TABLE IF NOT EXISTS wake (name TEXT PRIMARY KEY, at REAL);
                """
            )

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=20, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
        return db

    def owner(self, key: str) -> str | None:
        row = (
            self._db()
            .execute("SELECT conn FROM owner WHERE key = ? AND expires > ?", (key, time.time()))
            .fetchone()
        )
        return row[0] if row else None

    def submit(self, key: str, rid: str, payload: str) -> None:
        self._db().execute("INSERT INTO queue (key, rid, payload) VALUES (?, ?, ?)", (key, rid, payload))

    def withdraw(self, key: str, rid: str, payload: str) -> bool:
        return self._db().execute("DELETE FROM queue WHERE rid = ?", (rid,)).rowcount > 0

    def taken_by(self, rid: str) -> str | None:
        row = self._db().execute("SELECT conn FROM taken WHERE rid = ?", (rid,)).fetchone()
        return row[0] if row else None

    def wait_answer(self, rid: str, timeout: float) -> str | None:
        end = time.monotonic() + timeout
        db = self._db()
        while True:
            row = db.execute("DELETE FROM answer WHERE rid = ? RETURNING payload", (rid,)).fetchone()
            if row:
                return row[0]
            if time.monotonic() >= end:
                return None
            time.sleep(self.POLL)

    def claim(self, key: str, conn: str, ttl: float) -> None:
        self._db().execute(
            "INSERT INTO owner (key, conn, expires) VALUES (?, ?, ?)"
            " ON CONFLICT (key) DO UPDATE SET conn = excluded.conn, expires = excluded.expires",
            (key, conn, time.time() + ttl),
        )

    def refresh(self, key: str, conn: str, ttl: float) -> bool:
        return (
            self._db()
            .execute(
                "UPDATE owner SET expires = ? WHERE key = ? AND conn = ? AND expires > ?",
                (time.time() + ttl, key, conn, time.time()),
            )
            .rowcount
            > 0
        )

    def release(self, key: str, conn: str) -> None:
        self._db().execute("DELETE FROM owner WHERE key = ? AND conn = ?", (key, conn))

    def pop(self, keys: list[str], wake: str, timeout: float) -> tuple[str, str] | None:
        end = time.monotonic() + timeout
        db = self._db()
        marks = ",".join("?" * len(keys))
        while True:
            if db.execute("DELETE FROM wake WHERE name = ?", (wake,)).rowcount:
                return None
            if keys:
                row = db.execute(
                    f"DELETE FROM queue WHERE seq = (SELECT seq FROM queue WHERE key IN ({marks})"
                    " ORDER BY front DESC, seq LIMIT 1) RETURNING key, payload",
                    keys,
                ).fetchone()
                if row:
                    return row[0], row[1]
            if time.monotonic() >= end:
                return None
            time.sleep(self.POLL)

    def wake(self, wake: str) -> None:
        self._db().execute("INSERT OR REPLACE INTO wake (name, at) VALUES (?, ?)", (wake, time.time()))

    def requeue(self, key: str, rid: str, payload: str) -> None:
        self._db().execute(
            "INSERT INTO queue (key, rid, payload, front) VALUES (?, ?, ?, 1)", (key, rid, payload)
        )

    def mark_taken(self, rid: str, conn: str) -> None:
        self._db().execute(
            "INSERT OR REPLACE INTO taken (rid, conn, expires) VALUES (?, ?, ?)",
            (rid, conn, time.time() + TAKEN_TTL),
        )

    def answer(self, rid: str, payload: str) -> None:
        db = self._db()
        now = time.time()
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute(
                "INSERT OR REPLACE INTO answer (rid, payload, expires) VALUES (?, ?, ?)",
                (rid, payload, now + ANSWER_TTL),
            )
            db.execute("DELETE FROM taken WHERE rid = ?", (rid,))
            # Housekeeping on the way: whatever nobody came back for.
            for table in ("answer", "taken", "seen", "owner"):
                db.execute(f"DELETE FROM {table} WHERE expires < ?", (now,))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def first_time(self, token: str, ttl: float) -> bool:
        now = time.time()
        db = self._db()
        db.execute("DELETE FROM seen WHERE expires < ?", (now,))
        return db.execute("INSERT OR IGNORE INTO seen VALUES (?, ?)", (token, now + ttl)).rowcount > 0

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None
