"""The one thread that owns the company, and the bounded queue in front of it.

The ADK holds one open company per process and its thread-safety is undocumented (reference §1.7),
so every backend call runs on this thread. HTTP threads submit work and wait; when the queue is full
they answer 503 with Retry-After instead of piling up.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import datetime
from typing import Any, TypeVar

from connectors.visma.agent.errors import AdkError, CompanyUnavailable

log = logging.getLogger("connectors.visma.agent.worker")
T = TypeVar("T")


class QueueFull(Exception):
    pass


class WorkerTimeout(Exception):
    pass


class CompanyWorker:
    def __init__(
        self, open_company: Callable[[], None], close_company: Callable[[], None], *, maxsize: int = 64
    ) -> None:
        self._open_company = open_company
        self._close_company = close_company
        self._queue: queue.Queue[tuple[Callable[[], Any], Future, bool] | None] = queue.Queue(maxsize)
        self._thread = threading.Thread(target=self._run, name="visma-company", daemon=True)
        self.is_open = False
        self.last_successful_write: str | None = None

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._queue.put(None)
        self._thread.join(timeout)

    @property
    def depth(self) -> int:
        return self._queue.qsize()

    def call(self, fn: Callable[[], T], *, write: bool = False, timeout: float = 60.0) -> T:
        future: Future[T] = Future()
        try:
            self._queue.put_nowait((fn, future, write))
        except queue.Full:
            raise QueueFull() from None
        try:
            return future.result(timeout)
        except FutureTimeout:
            # The job stays queued and will still run; the caller retries (documents carry an
            # Idempotency-Key, so that retry cannot create a second one).
            raise WorkerTimeout() from None

    def _ensure_open(self) -> None:
        if self.is_open:
            return
        try:
            self._open_company()
        except (AdkError, CompanyUnavailable, OSError) as exc:
            code = exc.code if isinstance(exc, AdkError | CompanyUnavailable) else None
            raise CompanyUnavailable(f"cannot open the company: {exc}", code=code) from exc
        self.is_open = True
        log.info("company opened")

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                break
            fn, future, write = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                self._ensure_open()
                result = fn()
            except BaseException as exc:  # handed to the waiting HTTP thread, which maps it
                future.set_exception(exc)
            else:
                if write:
                    self.last_successful_write = datetime.now().astimezone().isoformat(timespec="seconds")
                future.set_result(result)
        if self.is_open:
            self._close_company()
            self.is_open = False
