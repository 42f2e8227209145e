"""Benchmark the Visma agent (simulated backend) as a separate process, through its HTTP API.

    python -m bench.visma_agent [--articles 100000] [--documents 500] [--page-sizes 1000,5000,10000]
                                [--odbc]

Measures, each in a fresh agent process so that its peak memory is its own:
* reading stock for all N articles page by page, per page size: seconds and the agent's peak RSS
  (VmHWM from /proc, Linux only) — with ``--odbc`` also through the ODBC read path (unixODBC and
  the SQLite ODBC driver over the same company file);
* documents created per second, sequentially and with 8 concurrent clients.
Targets (issue 4): 100,000 articles in under 10 s and under 200 MB peak; at least 50 documents/s.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

from connectors.visma import protocol as P
from connectors.visma.agent.__main__ import seed_company
from connectors.visma.client import VismaClient

KEY_ID, SECRET = "bench", "bench-secret-0123456789abcdef"
STOCK_SECONDS, PEAK_MB, DOCUMENTS_PER_SECOND = 10.0, 200.0, 50.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@contextmanager
def agent_process(company: Path, config: dict | None = None) -> Iterator[tuple[VismaClient, int]]:
    """A fresh ``python -m connectors.visma.agent serve`` on a free port, and a client for it."""
    port = free_port()
    command = [sys.executable, "-m", "connectors.visma.agent", "serve", "--company", str(company)]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    if config:
        config_file = company.with_suffix(".bench.json")
        config_file.write_text(json.dumps(config), encoding="utf-8")
        command += ["--config", str(config_file)]
    env = os.environ | {"VISMA_AGENT_KEY_ID": KEY_ID, "VISMA_AGENT_SECRET": SECRET}
    agent = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = VismaClient(f"http://127.0.0.1:{port}", KEY_ID, SECRET, read_timeout=120, pool_size=8)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                identity = client.identity()
                break
            except Exception:  # not up yet
                if time.monotonic() > deadline or agent.poll() is not None:
                    raise SystemExit("the agent did not start") from None
                time.sleep(0.1)
        if config and config.get("odbc_connection") and not identity.odbc_enabled:
            raise SystemExit("the agent left its ODBC read path off (see its log)")
        yield client, agent.pid
    finally:
        client.close()
        agent.terminate()
        agent.wait(10)


def read_stock(company: Path, page_size: int, config: dict | None = None) -> tuple[int, float, float, str]:
    """(articles, seconds, agent peak MB, source) for one full read in a fresh agent."""
    with agent_process(company, config) as (client, pid):
        started = time.perf_counter()
        count, source = 0, ""
        after: str | None = None
        while True:
            page = client.stock_page(after, page_size)
            count, source = count + len(page.items), page.source
            if not page.next_after:
                break
            after = page.next_after
        return count, time.perf_counter() - started, peak_rss_mb(pid), source


def order(i: int, tag: str) -> P.DocumentInput:
    return P.DocumentInput(
        kind="order",
        customer_number="1001",
        reference=f"B{tag}-{i}",
        rows=[
            P.DocumentRowInput(article_number="1001", quantity=Decimal(1), price=Decimal("249.00")),
            P.DocumentRowInput(article_number="2001", quantity=Decimal(2), price=Decimal("89.90")),
        ],
    )


def create_documents(company: Path, count: int) -> tuple[float, float, float]:
    """(sequential/s, 8 clients/s, agent peak MB) creating ``count`` two-row orders each way."""
    with agent_process(company) as (client, pid):
        tag = uuid.uuid4().hex[:6]
        started = time.perf_counter()
        for i in range(count):
            client.create_document(order(i, tag), f"{tag}-{i}")
        sequential = count / (time.perf_counter() - started)
        tag = uuid.uuid4().hex[:6]
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(lambda i: client.create_document(order(i, tag), f"{tag}-{i}"), range(count)))
        return sequential, count / (time.perf_counter() - started), peak_rss_mb(pid)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--documents", type=int, default=500)
    parser.add_argument("--page-sizes", default="1000,5000,10000", help="comma-separated")
    parser.add_argument("--odbc", action="store_true", help="also read stock over the ODBC read path")
    args = parser.parse_args()
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        company = Path(tmp) / "bench.sqlite"
        started = time.perf_counter()
        seed_company(company, demo=True, articles=args.articles)
        print(f"seeded {args.articles:,} articles in {time.perf_counter() - started:.1f} s")
        runs: list[tuple[int, dict | None]] = [(int(size), None) for size in args.page_sizes.split(",")]
        if args.odbc:
            odbc = {"odbc_connection": f"DRIVER={{SQLite3}};Database={company}"}
            runs += [(int(size), odbc) for size in args.page_sizes.split(",")]
        for page_size, config in runs:
            count, seconds, peak, source = read_stock(company, page_size, config)
            ok &= seconds < STOCK_SECONDS and peak < PEAK_MB
            print(
                f"stock via {source:9}: {count:,} articles in {seconds:5.2f} s ({count / seconds:,.0f}/s),"
                f" page size {page_size:>6,}; agent peak RSS {peak:.0f} MB"
            )
        sequential, concurrent, peak = create_documents(company, args.documents)
        ok &= min(sequential, concurrent) >= DOCUMENTS_PER_SECOND
        print(
            f"documents: {sequential:.0f}/s sequential, {concurrent:.0f}/s with 8 clients "
            f"({args.documents} two-row orders each way); agent peak RSS {peak:.0f} MB"
        )
    print("targets met" if ok else "TARGETS MISSED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
