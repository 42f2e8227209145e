"""Benchmark the Jetshop client against the simulator on loopback.

    python -m bench.jetshop_client --batch-size 1 50 100 500 --products 5000 --enumerate 20000

The simulator runs in a subprocess so that ``time.process_time()`` here counts only the client.
Two CPU figures per batch size: "client CPU" is everything this process spends per product over
real HTTP (envelope building, requests/urllib3, parsing); "build+parse" is the client's own code
alone (lxml envelope building and response parsing, replayed offline on a response the simulator
really sent for that batch). Target: under 1 ms of client CPU per product.

Each run writes into an empty shop and checks afterwards that the shop holds every product, so
a fast figure cannot come from rows the shop never stored. The enumeration run
(``iter_products_changed``) reads a catalogue the side door created in bulk and checks that every
article came exactly once.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from decimal import Decimal

import requests

from connectors.jetshop import JetshopClient, envelopes, parse
from connectors.jetshop.records import PriceListPrice, Product, ProductInput, StockInput
from connectors.jetshop.simulator.server import start_process
from connectors.jetshop.wire import ENDPOINT_PATH, SOAP_CONTENT_TYPE

PRICE_LIST_SE = "7c7dfec3-2312-4dc9-a74f-913f3da0c686"


def catalogue(n: int) -> list[ProductInput]:
    """Realistic rows: Swedish texts, a 360-character description, price, VAT and stock."""
    return [
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


def timed(count: int, action: Callable[[], Sequence[object]]) -> dict[str, float]:
    """Wall-clock rate and this process's CPU per 1,000 items; counts per-row failures."""
    wall, cpu = time.perf_counter(), time.process_time()
    results = action()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    failed = sum(1 for r in results if not getattr(r, "ok", getattr(r, "success", True)))
    return {"per_second": count / wall, "cpu_ms_per_1000": cpu * 1_000_000 / count, "failed": failed}


def build_and_parse_cpu(products: list[ProductInput], batch_size: int, url: str) -> float:
    """CPU ms per 1,000 products for envelope building plus response parsing, without HTTP."""
    batches = [products[i : i + batch_size] for i in range(0, len(products), batch_size)]
    # One real response per distinct batch length, so parsing works on what the shop sends.
    responses = {}
    for batch in batches:
        if len(batch) not in responses:
            body = envelopes.envelope(envelopes.product_add_update(batch), "demo")
            reply = requests.post(url, data=body, auth=("sim", "sim"), timeout=30,
                                  headers={"Content-Type": SOAP_CONTENT_TYPE})  # fmt: skip
            responses[len(batch)] = reply.content
    cpu = time.process_time()
    for batch in batches:
        envelopes.envelope(envelopes.product_add_update(batch), "demo")
        result = parse.result_element(parse.parse_envelope(responses[len(batch)]), "Product_AddUpdate")
        rows = parse.product_results(result)
        assert len(rows) == len(batch)
    return (time.process_time() - cpu) * 1_000_000 / len(products)


def run(base: str, batch_size: int, n: int) -> dict[str, float]:
    requests.post(base + "/_sim/reset", json={"seed": "empty"}, timeout=10).raise_for_status()
    products = catalogue(n)
    client = JetshopClient(
        base + ENDPOINT_PATH, "sim", "sim", "demo", calls_per_second=None, batch_size=batch_size
    )
    # Inputs are built before the clock starts: making records is the caller's cost, not the client's.
    stock = [StockInput(p.article_number, (i * 7) % 90) for i, p in enumerate(products)]
    prices = [
        PriceListPrice(p.article_number, PRICE_LIST_SE, Decimal(199 + i % 100))
        for i, p in enumerate(products)
    ]
    with client:
        new = timed(n, lambda: client.add_update_products(products))
        update = timed(n, lambda: client.add_update_products(products))
        stock_rate = timed(n, lambda: client.update_stock(stock, ["sv-SE"]))
        price_rate = timed(n, lambda: client.update_price_list_prices(prices))
    stored = len(requests.get(base + "/_sim/products", timeout=30).json()["products"])
    failed = sum(m["failed"] for m in (new, update, stock_rate, price_rate))
    if stored != n or failed:
        raise SystemExit(f"batch {batch_size}: shop holds {stored} of {n} products, {failed} failed rows")
    return {
        "products": n,
        "new_per_s": new["per_second"],
        "update_per_s": update["per_second"],
        "client_cpu": (new["cpu_ms_per_1000"] + update["cpu_ms_per_1000"]) / 2,
        "build_parse_cpu": build_and_parse_cpu(products, batch_size, base + ENDPOINT_PATH),
        "stock_per_s": stock_rate["per_second"],
        "prices_per_s": price_rate["per_second"],
    }


def enumerate_run(base: str, n: int, page_size: int) -> dict[str, float]:
    """Read an ``n``-product catalogue (created without SOAP) page by page through the client."""
    requests.post(base + "/_sim/reset", json={"seed": "empty"}, timeout=10).raise_for_status()
    generate = {"count": n, "prefix": "ENUM-", "culture": "sv-SE", "vat": "0.25", "price": "100.00"}
    requests.post(base + "/_sim/products", json={"generate": generate}, timeout=60).raise_for_status()
    listed: list[Product] = []

    def read_all() -> list[Product]:
        listed.extend(client.iter_products_changed(None, "sv-SE", page_size))
        return listed

    with JetshopClient(base + ENDPOINT_PATH, "sim", "sim", "demo", calls_per_second=None) as client:
        rate = timed(n, read_all)
    seen = [p.article_number for p in listed]
    if len(seen) != n or len(set(seen)) != n:
        raise SystemExit(f"enumeration: read {len(seen)} products ({len(set(seen))} distinct) of {n}")
    return rate


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--batch-size", type=int, nargs="+", default=[1, 50, 100, 500])
    parser.add_argument("--products", type=int, default=5000)
    parser.add_argument(
        "--max-calls", type=int, default=1000, help="cap on calls per measurement (keeps batch 1 short)"
    )
    parser.add_argument("--enumerate", type=int, default=20000, help="catalogue size for the enumeration")
    parser.add_argument("--page-size", type=int, default=500, help="page size for the enumeration")
    args = parser.parse_args(argv)

    sim, base = start_process("--seed", "empty")
    try:
        print("Jetshop client vs simulator on loopback (CPU figures in ms per 1,000 products)")
        print(
            f"{'batch':>5} {'products':>8} {'written/s new':>13} {'update':>8} {'client CPU':>10} "
            f"{'build+parse':>11} {'stock/s':>8} {'prices/s':>8}"
        )
        for batch_size in args.batch_size:
            n = min(args.products, batch_size * args.max_calls)
            r = run(base, batch_size, n)
            print(
                f"{batch_size:>5} {n:>8} {r['new_per_s']:>13.0f} {r['update_per_s']:>8.0f} "
                f"{r['client_cpu']:>10.1f} {r['build_parse_cpu']:>11.1f} {r['stock_per_s']:>8.0f} "
                f"{r['prices_per_s']:>8.0f}",
                flush=True,
            )
        with JetshopClient(base + ENDPOINT_PATH, "sim", "sim", "demo", calls_per_second=None) as client:
            articles = [f"BENCH-{i:06d}" for i in range(200)]
            gets = timed(len(articles), lambda: [client.get_product(a, "sv-SE") for a in articles])
        print(
            f"Product_Get one per call: {gets['per_second']:.0f}/s, client CPU {gets['cpu_ms_per_1000']:.1f}"
        )
        if args.enumerate:
            listed = enumerate_run(base, args.enumerate, args.page_size)
            print(
                f"Product_GetChangedSince, {args.enumerate} products in pages of {args.page_size}: "
                f"{listed['per_second']:.0f}/s, client CPU {listed['cpu_ms_per_1000']:.1f}",
                flush=True,
            )
    finally:
        sim.terminate()
        sim.wait(timeout=10)


if __name__ == "__main__":
    main()
