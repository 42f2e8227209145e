"""The whole system on loopback: two Jetshop shops and a Visma agent as their own processes, a real
Celery worker on real Redis, the test database shared with it, and the test playing beat."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from flows.tasks import run_flow, sweep_stuck
from sharespine.celery import app
from tests.simulators import ROOT, Agent, Shop


class Worker:
    """``celery worker`` in its own process group, so SIGKILL takes its pool children down too."""

    def __init__(self, queues: str = "orders,bulk", concurrency: int = 2) -> None:
        self.queues = queues
        self.concurrency = concurrency
        self.process: subprocess.Popen | None = None
        self.log = ROOT / "var" / "test" / f"worker-{os.getpid()}-{queues.replace(',', '-')}.log"

    def start(self) -> Worker:
        db = settings.DATABASES["default"]
        env = {
            **os.environ,
            # The test database, not the one the settings name: the worker sees what the test wrote.
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{connection.settings_dict['NAME']}",
            "FLOWS_STUCK_AFTER_SECONDS": "5",
        }
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "sharespine", "worker", "--queues", self.queues,
             "--concurrency", str(self.concurrency), "--hostname", f"e2e-{os.getpid()}-{self.queues}@test",
             "--without-gossip", "--without-mingle", "--loglevel", "INFO"],
            cwd=ROOT, env=env, stdout=self.log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        return self

    def kill(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


class Beat:
    """What celery beat does for one integration, on the test's clock: poll orders and status,
    sweep for stuck items."""

    def __init__(self, integration_id: int, flows: tuple[str, ...]) -> None:
        self.integration_id = integration_id
        self.flows = flows

    def tick(self) -> None:
        for flow in self.flows:
            run_flow.apply_async((self.integration_id, flow), queue="orders")
        sweep_stuck.apply_async(queue="orders")

    def until(self, done: Callable[[], bool], timeout: float = 120, every: float = 1.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.tick()
            time.sleep(every)
            if done():
                return
        raise AssertionError(f"not done after {timeout} s")


@pytest.fixture
def worker() -> Iterator[Worker]:
    if not os.environ.get("REDIS_URL"):
        pytest.fail("REDIS_URL must point at the test Redis: end-to-end tests never run eagerly")
    app.control.purge()
    running = Worker().start()
    yield running
    running.stop()


@pytest.fixture
def shops() -> Iterator[list[Shop]]:
    started = [Shop.in_process("empty"), Shop.in_process("empty")]
    yield started
    for shop in started:
        shop.stop()


@pytest.fixture
def agent(tmp_path: Path) -> Iterator[Agent]:
    running = Agent.in_process(tmp_path / "company.sqlite")
    yield running
    running.stop()
