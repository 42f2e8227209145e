"""Before the tests: do PostgreSQL and Redis answer? If not, say how to start them and stop."""

from __future__ import annotations

import os
import sys
from urllib.parse import urlsplit

import psycopg
import redis

HOW_TO_START = {
    "PostgreSQL": "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start   "
    "(or: docker compose up -d postgres)",
    "Redis": 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no   '
    "(or: docker compose up -d redis)",
}


def check_postgres(url: str) -> str | None:
    # Connect to the maintenance database: the test database is created by the test run.
    parts = urlsplit(url)
    try:
        psycopg.connect(
            host=parts.hostname,
            port=parts.port or 5432,
            user=parts.username or "postgres",
            password=parts.password,
            dbname="postgres",
            connect_timeout=3,
        ).close()
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0]
    return None


def check_redis(url: str) -> str | None:
    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        return str(exc)
    return None


def main() -> int:
    failures = []
    for name, url, check in (
        ("PostgreSQL", os.environ["DATABASE_URL"], check_postgres),
        ("Redis", os.environ["REDIS_URL"], check_redis),
    ):
        error = check(url)
        if error:
            failures.append(
                f"{name} does not answer at {urlsplit(url).netloc.split('@')[-1]}: {error}\n"
                f"  start it with: {HOW_TO_START[name]}"
            )
    for failure in failures:
        print(failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
