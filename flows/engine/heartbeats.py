"""Queue heartbeats: when a worker last proved it consumes each queue (kept in the shared cache)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.utils import timezone

from flows.modes import BULK_QUEUE, ORDERS_QUEUE

QUEUES = (ORDERS_QUEUE, BULK_QUEUE)
# Beat sends one a minute; three missed beats mean no worker is consuming the queue.
STALE_AFTER_SECONDS = 180


@dataclass(frozen=True)
class Heartbeat:
    queue: str
    at: datetime | None
    worker: str = ""
    delivered_via: str = ""

    @property
    def age_seconds(self) -> float | None:
        return None if self.at is None else (timezone.now() - self.at).total_seconds()

    @property
    def healthy(self) -> bool:
        return self.age_seconds is not None and self.age_seconds < STALE_AFTER_SECONDS


def _key(queue: str) -> str:
    return f"queue-heartbeat:{queue}"


def record(queue: str, *, worker: str, delivered_via: str, at: datetime) -> None:
    cache.set(
        _key(queue), {"at": at.isoformat(), "worker": worker, "delivered_via": delivered_via}, timeout=None
    )


def read(queue: str) -> Heartbeat:
    stored = cache.get(_key(queue))
    if not stored:
        return Heartbeat(queue=queue, at=None)
    return Heartbeat(
        queue=queue,
        at=datetime.fromisoformat(stored["at"]),
        worker=stored["worker"],
        delivered_via=stored["delivered_via"],
    )


def read_all() -> list[Heartbeat]:
    return [read(queue) for queue in QUEUES]
