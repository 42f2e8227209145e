"""The outside world for flow and end-to-end tests: a Jetshop shop and a Visma agent on loopback.

The shop can run in the test process (a thread) or as its own process; the agent always runs in
its own, like the ADK it opens one company per process. A real Celery worker reaches them over
HTTP just as the test does. Tests talk to them through their side doors, as a person in the shop
or in Visma would.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

from connectors.jetshop.simulator import JetshopSimulator, RunningServer, SimConfig
from connectors.jetshop.wire import ENDPOINT_PATH
from connectors.visma.client import VismaClient

ROOT = Path(__file__).resolve().parents[1]
AGENT_KEY = "flows-test-key"
AGENT_SECRET = "flows-test-secret-0123456789"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")


class Shop:
    """A Jetshop simulator and its JSON side door."""

    def __init__(self, base_url: str, process: subprocess.Popen | None = None, server=None) -> None:
        self.base_url = base_url
        self.endpoint = base_url + ENDPOINT_PATH
        self.process = process
        self.server = server
        self.http = requests.Session()
        self.http.trust_env = False

    @classmethod
    def in_thread(cls, seed: str = "empty") -> Shop:
        server = RunningServer(JetshopSimulator(SimConfig(), seed)).start()
        return cls(server.base_url, server=server)

    @classmethod
    def in_process(cls, seed: str = "empty") -> Shop:
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "connectors.jetshop.simulator", "--port", str(port), "--seed", seed],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(port)
        return cls(f"http://127.0.0.1:{port}", process=process)

    def side(self, method: str, path: str, payload: Any = None) -> Any:
        response = self.http.request(method, f"{self.base_url}/_sim/{path}", json=payload, timeout=10)
        response.raise_for_status()
        return response.json()

    def place(self, *orders: dict) -> list[dict]:
        return self.side("POST", "orders", {"orders": list(orders)})["orders"]

    def order(self, order_id: int) -> dict:
        return self.side("GET", f"orders/{order_id}")

    def fault(self, **spec: Any) -> None:
        self.side("POST", "faults", spec)

    def calls(self, operation: str) -> list[dict]:
        return self.side("GET", f"log?operation={operation}")["calls"]

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)


class Agent:
    """A Visma agent with the simulated backend (demo company) and a client for its side door."""

    def __init__(self, base_url: str, company: Path, process: subprocess.Popen) -> None:
        self.base_url = base_url
        self.company = company
        self.process = process
        self.client = VismaClient(base_url, AGENT_KEY, AGENT_SECRET, read_timeout=30)

    @classmethod
    def in_process(cls, company: Path, port: int | None = None) -> Agent:
        port = port or free_port()
        env = {**os.environ, "VISMA_AGENT_KEY_ID": AGENT_KEY, "VISMA_AGENT_SECRET": AGENT_SECRET}
        process = subprocess.Popen(
            [sys.executable, "-m", "connectors.visma.agent", "serve", "--backend", "simulated",
             "--company", str(company), "--port", str(port), "--seed", "demo"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for_port(port, timeout=60)
        return cls(f"http://127.0.0.1:{port}", company, process=process)

    def documents(self, reference: str):  # type: ignore[no-untyped-def]
        return self.client.find_documents(reference)

    def deliver(self, number: int, tracking: str = "") -> dict:
        return self.client.sim("POST", f"orders/{number}/deliver", {"tracking_number": tracking})

    def counts(self) -> dict:
        return self.client.sim("GET", "counts")

    def stop(self) -> None:
        self.client.close()
        self.process.terminate()
        self.process.wait(timeout=10)
