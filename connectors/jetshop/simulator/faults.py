"""Injected faults: what a flaky shop or its load balancer does (all [inferred]; real limits unknown).

A fault applies to the next ``count`` SOAP calls, or only to calls of ``operation`` when given;
``after`` lets that many matching calls through first ("fail the 2nd Product_AddUpdate": after=1).
Kinds: ``503`` (IIS-style HTML page), ``receiver`` (HTTP 500 ``soap:Receiver``), ``429`` (with
``Retry-After``), ``reset`` (TCP reset, no response), ``delay`` (fixed ``delay_ms`` or uniform in
[``delay_ms``, ``delay_max_ms``]; the recorded spread was ~50 ms with a 4 s tail) and
``duplicate_delivery`` (the next status pulls also return orders that already left the status).
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from typing import Any

KINDS = {"503", "receiver", "429", "reset", "delay", "duplicate_delivery"}


@dataclass
class Fault:
    kind: str
    count: int = 1
    operation: str | None = None
    retry_after: int = 5
    delay_ms: int = 50
    delay_max_ms: int | None = None
    after: int = 0

    @classmethod
    def from_json(cls, spec: dict[str, Any]) -> Fault:
        kind = str(spec.get("kind", ""))
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; one of {sorted(KINDS)}")
        return cls(
            kind=kind,
            count=int(spec.get("count", 1)),
            operation=spec.get("operation"),
            retry_after=int(spec.get("retry_after", 5)),
            delay_ms=int(spec.get("delay_ms", 50)),
            delay_max_ms=int(spec["delay_max_ms"]) if spec.get("delay_max_ms") is not None else None,
            after=max(0, int(spec.get("after", 0))),
        )

    def delay_seconds(self, rng: random.Random) -> float:
        if self.delay_max_ms is None:
            return self.delay_ms / 1000
        return rng.uniform(self.delay_ms, self.delay_max_ms) / 1000


class FaultPlan:
    def __init__(self, seed: int = 1) -> None:
        self._lock = threading.Lock()
        self.pending: list[Fault] = []
        self.rng = random.Random(seed)  # seeded: a failing test replays the same delays

    def add(self, fault: Fault) -> None:
        with self._lock:
            self.pending.append(fault)

    def clear(self) -> None:
        with self._lock:
            self.pending.clear()

    def take(self, operation: str) -> Fault | None:
        """The first pending fault for this call, consuming one of its ``count``."""
        with self._lock:
            for fault in self.pending:
                if fault.operation in (None, operation):
                    if fault.after > 0:
                        fault.after -= 1  # a call let through; later faults may still apply
                        continue
                    fault.count -= 1
                    if fault.count <= 0:
                        self.pending.remove(fault)
                    return fault
        return None

    def describe(self) -> list[dict[str, Any]]:
        with self._lock:
            return [vars(f).copy() for f in self.pending]


IIS_503 = (
    b'<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN""http://www.w3.org/TR/html4/strict.dtd">\r\n'
    b"<HTML><HEAD><TITLE>Service Unavailable</TITLE>\r\n"
    b'<META HTTP-EQUIV="Content-Type" Content="text/html; charset=us-ascii"></HEAD>\r\n'
    b"<BODY><h2>Service Unavailable</h2>\r\n<hr><p>HTTP Error 503. The service is unavailable.</p>\r\n"
    b"</BODY></HTML>\r\n"
)
