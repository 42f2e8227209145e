"""Benchmark the Visma agent (simulated backend) as a separate process, through its HTTP API.

    python -m bench.visma_agent [--articles 100000] [--documents 500]

Measures: time to read stock for N articles page by page, the agent process's peak RSS (VmHWM
from /proc, Linux only), and documents created per second (sequential and 8 concurrent clients).
Targets: 100,000 articles in under 10 s and under 200 MB peak; at least 50 documents/s.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

from connectors.visma import protocol as P
from connectors.visma.agent.__main__ import seed_company
from connectors.visma.client import VismaClient

KEY_ID, SECRET = "bench", "bench-secret-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--documents", type=int, default=500)
    parser.add_argument("--page-size", type=int, default=5000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        company = Path(tmp) / "bench.sqlite"
        started = time.perf_counter()
        seed_company(company, demo=True, articles=args.articles)
        print(f"seeded {args.articles} articles in {time.perf_counter() - started:.1f} s")
        port = free_port()
        env = os.environ | {"VISMA_AGENT_KEY_ID": KEY_ID, "VISMA_AGENT_SECRET": SECRET}
        command = [
            sys.executable,
            "-m",
            "connectors.visma.agent",
            "serve",
            "--backend",
            "simulated",
            "--company",
            str(company),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ]
        agent = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = VismaClient(f"http://127.0.0.1:{port}", KEY_ID, SECRET, read_timeout=120, pool_size=8)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    client.identity()
                    break
                except Exception:  # not up yet
                    if time.monotonic() > deadline or agent.poll() is not None:
                        raise SystemExit("the agent did not start") from None
                    time.sleep(0.1)
            rss_idle = peak_rss_mb(agent.pid)

            started = time.perf_counter()
            count = sum(1 for _ in client.iter_stock(page_size=args.page_size))
            stock_seconds = time.perf_counter() - started
            rss_stock = peak_rss_mb(agent.pid)
            print(
                f"stock: {count} articles in {stock_seconds:.2f} s ({count / stock_seconds:,.0f}/s), "
                f"page size {args.page_size}; agent peak RSS {rss_stock:.0f} MB (idle {rss_idle:.0f} MB)"
            )

            tag = uuid.uuid4().hex[:6]
            started = time.perf_counter()
            for i in range(args.documents):
                client.create_document(order(i, tag), f"{tag}-{i}")
            sequential = args.documents / (time.perf_counter() - started)

            tag = uuid.uuid4().hex[:6]
            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=8) as pool:
                list(
                    pool.map(
                        lambda i: client.create_document(order(i, tag), f"{tag}-{i}"), range(args.documents)
                    )
                )
            concurrent = args.documents / (time.perf_counter() - started)
            print(
                f"documents: {sequential:.0f}/s sequential, {concurrent:.0f}/s with 8 clients "
                f"({args.documents} orders of 2 rows each)"
            )
            print(f"agent peak RSS overall: {peak_rss_mb(agent.pid):.0f} MB")
            ok = stock_seconds < 10 and rss_stock < 200 and min(sequential, concurrent) >= 50
            print("targets met" if ok else "TARGETS MISSED")
        finally:
            client.close()
            agent.terminate()
            agent.wait(10)


if __name__ == "__main__":
    main()
