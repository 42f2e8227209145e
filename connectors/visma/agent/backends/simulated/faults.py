"""Injectable faults: an exclusive lock, a licence error, slow calls (reference §7, "process rules").

Shared between the worker thread (which trips them) and the side door (which sets them), hence the
lock. A fault applies to "read", "write" or "any" call and may expire after ``remaining`` trips.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass

from connectors.visma.agent.errors import AdkError


@dataclass
class Fault:
    code: int | None = None  # ADKE number to fail with; None: only delay
    operation: str = "any"
    remaining: int | None = None  # None: until cleared
    delay: float = 0.0  # seconds added to each matching call


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def inject(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def active(self) -> list[dict]:
        with self._lock:
            return [asdict(f) for f in self._faults]

    def check(self, operation: str) -> None:
        delay, code = 0.0, None
        with self._lock:
            for fault in list(self._faults):
                if fault.operation not in ("any", operation):
                    continue
                delay = max(delay, fault.delay)
                if fault.code is not None and code is None:
                    code = fault.code
                    if fault.remaining is not None:
                        fault.remaining -= 1
                        if fault.remaining <= 0:
                            self._faults.remove(fault)
        if delay:
            time.sleep(delay)
        if code is not None:
            raise AdkError(code, detail="injected by the simulator")
