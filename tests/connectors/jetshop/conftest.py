"""A Jetshop simulator on a free loopback port, and a client pointed at it.

One server per test session (starting one per test costs more than the tests); each test gets
the shop reseeded, its faults, log and clock cleared.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from connectors.jetshop import JetshopClient
from connectors.jetshop.simulator import JetshopSimulator, RunningServer, SimConfig
from connectors.jetshop.wire import ENDPOINT_PATH

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "jetshop"


class SideDoor:
    """The simulator's JSON side door, used over HTTP like the demo does."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url + "/_sim"
        self.http = requests.Session()
        self.http.trust_env = False

    def get(self, path: str) -> Any:
        response = self.http.get(self.base_url + path, timeout=5)
        response.raise_for_status()
        return response.json()

    def post(self, path: str, payload: Any = None) -> Any:
        # Set-up, not what is tested: generous, so a busy machine cannot fail a test here.
        response = self.http.post(self.base_url + path, json=payload or {}, timeout=120)
        response.raise_for_status()
        return response.json()

    def fault(self, kind: str, **options: Any) -> None:
        self.post("/faults", {"kind": kind, **options})

    def calls(self, operation: str | None = None) -> list[dict[str, Any]]:
        return self.get("/log" + (f"?operation={operation}" if operation else ""))["calls"]


class Shop:
    """A running simulator: the WSGI app, its endpoint URL and its side door."""

    def __init__(self, config: SimConfig | None = None, seed: str = "demo") -> None:
        self.app = JetshopSimulator(config or SimConfig(), seed)
        self.server = RunningServer(self.app).start()
        self.url = self.server.base_url + ENDPOINT_PATH
        self.side = SideDoor(self.server.base_url)

    def client(self, **options: Any) -> JetshopClient:
        options.setdefault("calls_per_second", None)
        options.setdefault("connect_timeout", 2.0)
        options.setdefault("read_timeout", 5.0)
        return JetshopClient(self.url, "sim", "sim", "demo", **options)

    def post_raw(self, body: bytes, auth: tuple[str, str] | None = ("sim", "sim")) -> requests.Response:
        return requests.post(
            self.url,
            data=body,
            auth=auth,
            headers={"Content-Type": "application/soap+xml; charset=utf-8"},
            timeout=5,
        )

    def stop(self) -> None:
        self.server.stop()


@pytest.fixture(scope="session")
def _shop() -> Iterator[Shop]:
    shop = Shop()
    yield shop
    shop.stop()


@pytest.fixture
def shop(_shop: Shop) -> Shop:
    _shop.app.reset("demo")
    return _shop


@pytest.fixture
def client(shop: Shop) -> Iterator[JetshopClient]:
    with shop.client() as jetshop:
        yield jetshop


@pytest.fixture
def make_shop() -> Iterator:
    """A separately configured simulator (renamed operations, other int fields ...)."""
    started: list[Shop] = []

    def start(config: SimConfig | None = None, seed: str = "demo") -> Shop:
        started.append(Shop(config, seed))
        return started[-1]

    yield start
    for shop in started:
        shop.stop()
