"""Benchmark the outbound transport against direct HTTP, on loopback, with real processes.

    python -m bench.agent_outbound [--redis-url redis://127.0.0.1:6379/15] [--calls 500] [--documents 300]

One simulated agent listens on a port (direct) and a second one, on a copy of the same company,
dials out to a gateway process (outbound); the client is ``VismaClient`` in both cases. Measured:

* per-call time of ``GET /v1/health`` and ``GET /v1/identity`` (signed), median and p95, direct vs
  outbound: the difference is the transport's overhead (target ≤ 5 ms median);
* documents created per second through each, sequentially and with 8 concurrent clients
  (target ≥ 50/s outbound, the agent's own target).

Without ``--redis-url`` the gateway and the client use the SQLite broker (make run's).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

from bench.visma_agent import free_port
from connectors.visma import protocol as P
from connectors.visma.agent.__main__ import seed_company
from connectors.visma.client import VismaClient
from connectors.visma.gateway.broker import broker_for
from connectors.visma.gateway.transport import OUTBOUND_BASE_URL, GatewayTransport

KEY_ID, SECRET = "bench-out", "bench-secret-0123456789abcdef"
OVERHEAD_MS, DOCUMENTS_PER_SECOND = 5.0, 50.0
ROOT = Path(__file__).resolve().parents[1]


def wait_up(base_url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base_url + "/v1/health", timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("the direct agent did not come up")


def timings(call, n: int) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        out.append((time.perf_counter() - started) * 1000)
    return out


def summary(ms: list[float]) -> tuple[float, float]:
    return statistics.median(ms), statistics.quantiles(ms, n=20)[18]


def documents_per_second(client: VismaClient, count: int, workers: int) -> float:
    row = P.DocumentRowInput(article_number="1001", quantity=Decimal(1), price=Decimal("100.00"))
    run = uuid.uuid4().hex[:6]

    def create(i: int) -> None:
        doc = P.DocumentInput(kind="order", customer_number="1001", reference=f"B{run}{i}", rows=[row])
        client.create_document(doc, f"bench-{run}-{i}")

    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(create, range(count)))
    return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL"))
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--documents", type=int, default=300)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-outbound-"))
    company = tmp / "direct.sqlite"
    seed_company(company, demo=True)
    shutil.copy(company, tmp / "outbound.sqlite")
    (tmp / "keys.json").write_text(json.dumps({KEY_ID: SECRET}))
    (tmp / "agent.json").write_text(json.dumps({"queue_size": 16, "threads": 24}))
    env = {**os.environ, "VISMA_AGENT_KEY_ID": KEY_ID, "VISMA_AGENT_SECRET": SECRET, "PYTHONPATH": str(ROOT)}
    agent = [sys.executable, "-m", "connectors.visma.agent", "serve", "--config", str(tmp / "agent.json")]
    port, gateway_port = free_port(), free_port()
    broker = ["--redis-url", args.redis_url] if args.redis_url else ["--sqlite", str(tmp / "broker.sqlite3")]
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "cwd": ROOT, "env": env}
    processes = [
        subprocess.Popen([*agent, "--company", str(company), "--port", str(port)], **quiet),
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "connectors.visma.gateway",
                "--port",
                str(gateway_port),
                "--secrets",
                str(tmp / "keys.json"),
                *broker,
            ],
            **quiet,
        ),  # fmt: skip
    ]
    try:
        wait_up(f"http://127.0.0.1:{port}")
        time.sleep(1)  # the gateway's port
        processes.append(
            subprocess.Popen(
                [
                    *agent,
                    "--company",
                    str(tmp / "outbound.sqlite"),
                    "--gateway",
                    f"ws://127.0.0.1:{gateway_port}",
                ],
                **quiet,
            )  # fmt: skip
        )
        direct = VismaClient(f"http://127.0.0.1:{port}", KEY_ID, SECRET, pool_size=16)
        transport = GatewayTransport(broker_for(args.redis_url, tmp / "broker.sqlite3"), KEY_ID)
        outbound = VismaClient(OUTBOUND_BASE_URL, KEY_ID, SECRET, transport=transport)
        deadline = time.monotonic() + 30
        while transport.broker.owner(KEY_ID) is None:
            if time.monotonic() > deadline:
                raise SystemExit("the outbound agent did not connect")
            time.sleep(0.05)
        print(f"broker: {'Redis' if args.redis_url else 'SQLite'}; {args.calls} calls each, loopback")
        for name in ("health", "identity"):
            direct_call, outbound_call = getattr(direct, name), getattr(outbound, name)
            timings(direct_call, 20), timings(outbound_call, 20)  # warm up
            d, o = summary(timings(direct_call, args.calls)), summary(timings(outbound_call, args.calls))
            print(
                f"GET /v1/{name:<9} direct median {d[0]:6.2f} ms p95 {d[1]:6.2f}"
                f" | outbound median {o[0]:6.2f} ms p95 {o[1]:6.2f}"
                f" | overhead median {o[0] - d[0]:5.2f} ms (target ≤ {OVERHEAD_MS:.0f})"
            )
        for workers in (1, 8):
            d = documents_per_second(direct, args.documents, workers)
            o = documents_per_second(outbound, args.documents, workers)
            print(f"documents/s with {workers} client(s): direct {d:6.1f} | outbound {o:6.1f}"
                  f" (target ≥ {DOCUMENTS_PER_SECOND:.0f})")  # fmt: skip
    finally:
        for process in processes:
            process.terminate()
            process.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
