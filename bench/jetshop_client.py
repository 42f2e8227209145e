"""Benchmark the Jetshop client against the simulator on loopback.

    python -m bench.jetshop_client --batch-size 100 --products 5000

The simulator runs in a subprocess so that ``time.process_time()`` here counts only the client:
building envelopes, HTTP, parsing responses. Target: under 1 ms of client CPU per product.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import time
from decimal import Decimal

import requests

from connectors.jetshop import JetshopClient
from connectors.jetshop.records import PriceListPrice, ProductInput, StockInput
from connectors.jetshop.wire import ENDPOINT_PATH

PRICE_LIST_SE = "7c7dfec3-2312-4dc9-a74f-913f3da0c686"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"simulator did not start on port {port}")


def measure(label: str, count: int, action) -> dict[str, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    results = action()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    failed = sum(1 for r in results if not getattr(r, "ok", getattr(r, "success", True)))
    figures = {"per_second": count / wall, "cpu_ms_per_1000": cpu * 1_000_000 / count, "failed": failed}
    print(
        f"{label:<28} {count:>6} in {wall:6.2f} s  {figures['per_second']:>8.0f}/s  "
        f"client CPU {figures['cpu_ms_per_1000']:7.1f} ms per 1,000  ({cpu * 1000 / count:.3f} ms each)"
        + (f"  FAILED {failed}" if failed else "")
    )
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--products", type=int, default=5000)
    args = parser.parse_args(argv)

    port = free_port()
    sim = subprocess.Popen(
        [sys.executable, "-m", "connectors.jetshop.simulator", "--port", str(port), "--seed", "empty"],
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_for(port)
        base = f"http://127.0.0.1:{port}"
        client = JetshopClient(
            base + ENDPOINT_PATH, "sim", "sim", "demo", calls_per_second=None, batch_size=args.batch_size
        )
        n = args.products
        products = [
            ProductInput(
                f"BENCH-{i:06d}",
                "sv-SE",
                name=f"Produkt {i} – blåbär & lingon",
                short_description="Kort beskrivning med åäö",
                description="Lång beskrivning. " * 20,
                price=Decimal("159.20") + i,
                vat=Decimal("0.25"),
                stock=StockInput(f"BENCH-{i:06d}", i % 50, stock_status_id=1),
            )
            for i in range(n)
        ]
        stock = [StockInput(f"BENCH-{i:06d}", (i * 7) % 90) for i in range(n)]
        prices = [PriceListPrice(f"BENCH-{i:06d}", PRICE_LIST_SE, Decimal(199 + i % 100)) for i in range(n)]
        print(f"Jetshop client vs simulator on loopback: {n} products, batch size {args.batch_size}")
        requests.post(base + "/_sim/reset", json={"seed": "empty"}, timeout=10)
        measure("Product_AddUpdate (new)", n, lambda: client.add_update_products(products))
        measure("Product_AddUpdate (update)", n, lambda: client.add_update_products(products))
        measure("stock updates", n, lambda: client.update_stock(stock, ["sv-SE"]))
        measure("price-list rows", n, lambda: client.update_price_list_prices(prices))
        sample = min(n, 200)
        measure("Product_Get (one per call)", sample, lambda: [
            client.get_product(f"BENCH-{i:06d}", "sv-SE") for i in range(sample)
        ])  # fmt: skip
        client.close()
    finally:
        sim.terminate()
        sim.wait(timeout=10)


if __name__ == "__main__":
    main()
