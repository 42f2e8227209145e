"""Benchmark a stock cycle over 100,000 articles against the simulators (issue 6).

    DATABASE_URL=postgres://... REDIS_URL=redis://... python -m bench.stock_cycle [--articles 100000]

Set-up (not timed): a simulated Visma company with N stock articles (the agent's bulk seeder), a
Jetshop simulator holding the same N products, a throwaway database with one ERP-mode merchant
(one shop, one culture) whose N articles are linked, and a first full cycle that fills the shop.

Measured, each cycle in a fresh process that runs exactly what the worker's task runs
(``flows.engine.runner.run_flow``), so its peak RSS is the worker's peak for that cycle:

1. ``--changed`` per cent of the articles get a new stock figure in Visma (side door), then a cycle:
   wall time, peak memory, Jetshop write calls — which must be ceil(changed / batch size);
2. a cycle with nothing changed: zero write calls.

Targets: ≤ 60 s wall and ≤ 300 MB peak for the 1 % cycle. The database (``--database``) is
created, migrated and dropped; nothing else is touched.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
WALL_TARGET, MEMORY_TARGET_MB = 60.0, 300.0


def database_url(name: str) -> str:
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + name))


def django_setup(db_name: str) -> None:
    os.environ["DATABASE_URL"] = database_url(db_name)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sharespine.settings")
    import django

    django.setup()


# --- the measured part: one cycle in its own process ----------------------------------------------


def child(db_name: str, integration_id: int) -> None:
    django_setup(db_name)
    from flows.engine import runner
    from flows.later import read_log
    from flows.models import SyncRun
    from flows.modes import Flow

    started = time.perf_counter()
    result = runner.run_flow(integration_id, Flow.VISMA_STOCK_TO_SHOP)
    wall = time.perf_counter() - started
    run = SyncRun.objects.get(pk=result.run_id)
    print(json.dumps({"wall": wall, "status": run.status, "log": read_log(run.log)[-1]}))


def measure(db_name: str, integration_id: int) -> dict:
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.stock_cycle", "--child", db_name, str(integration_id)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    _, status, usage = os.wait4(process.pid, 0)
    output = json.loads(process.stdout.read())
    output["peak_mb"] = usage.ru_maxrss / 1024  # kilobytes on Linux
    return output


# --- set-up ------------------------------------------------------------------------------------------


def create_database(name: str) -> None:
    import psycopg

    with psycopg.connect(database_url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(name: str) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(database_url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.stock_cycle", description=__doc__)
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--changed", type=float, default=1.0, help="per cent of articles changed")
    parser.add_argument("--database", default="sharespine_bench_stock")
    parser.add_argument("--child", nargs=2, metavar=("DATABASE", "INTEGRATION"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]))
        return
    if "DATABASE_URL" not in os.environ:
        sys.exit("Set DATABASE_URL (PostgreSQL) for the throwaway benchmark database.")
    create_database(args.database)
    with ExitStack() as stack:
        stack.callback(drop_database, args.database)
        run_benchmark(args, stack)


def run_benchmark(args, stack: ExitStack) -> None:  # type: ignore[no-untyped-def]
    django_setup(args.database)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from connectors.visma.client import VismaClient
    from flows.demo.setup import ChannelSpec, ShopSpec, configure
    from flows.engine import batch
    from flows.models import ExternalRef
    from sharespine.customers.models import Customer
    from tests.simulators import AGENT_KEY, AGENT_SECRET, Agent, Shop

    workdir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
    company = workdir / "company.sqlite"
    prefix = "B"
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "connectors.visma.agent", "seed", "--company", str(company),
         "--articles", str(args.articles)],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    agent = Agent.in_process(company)
    stack.callback(agent.stop)
    shop = Shop.in_process("empty")
    stack.callback(shop.stop)
    generate = {"count": args.articles, "prefix": prefix, "digits": 7, "start": 0, "culture": "sv-SE"}
    shop.side("POST", "products", {"generate": generate})
    customer = Customer.objects.create(name="Benchmark AB", org_number="556036-0793", tier="400")
    integration = configure(
        customer, shops=[ShopSpec("Butik", shop.endpoint, "", [ChannelSpec("1", "Sverige", "SEK", "sv-SE")])],
        agent_url=agent.base_url, key_id=AGENT_KEY, secret=AGENT_SECRET,
    )  # fmt: skip
    shop_pk = integration.shops.get().pk
    numbers = [f"{prefix}{i:07d}" for i in range(args.articles)]
    batch.link(integration, ExternalRef.Kind.ARTICLE, [batch.key(shop_pk, n) for n in numbers])
    took = time.perf_counter() - started
    print(f"set-up: {args.articles} articles in Visma and the shop, linked, in {took:.1f} s")

    first = measure(args.database, integration.pk)
    print(f"first cycle (fills the shop): {first['wall']:.1f} s, {first['peak_mb']:.0f} MB — {first['log']}")

    visma = VismaClient(agent.base_url, AGENT_KEY, AGENT_SECRET)
    changed = max(1, round(args.articles * args.changed / 100))
    step = args.articles // changed
    for number in numbers[::step][:changed]:
        visma.sim("POST", f"stock/{number}", {"delta": "3"})
    batch_size = 100  # JetshopClient's default batch size
    expected_calls = math.ceil(changed / batch_size)
    delta = measure(args.database, integration.pk)
    quiet = measure(args.database, integration.pk)

    print()
    print("| cycle | articles | changed | wall s | peak MB | write calls | expected | status |")
    print("|---|---|---|---|---|---|---|---|")
    for name, result, count, expected in (
        ("1 % changed", delta, changed, expected_calls),
        ("nothing changed", quiet, 0, 0),
    ):
        calls = int(result["log"].split(" written in ")[1].split(" ")[0])
        verdict = "ok" if calls == expected else "WRONG"
        figures = f"{result['wall']:.1f} | {result['peak_mb']:.0f} | {calls} | {expected} | {verdict}"
        print(f"| {name} | {args.articles} | {count} | {figures} |")
    ok = delta["wall"] <= WALL_TARGET and delta["peak_mb"] <= MEMORY_TARGET_MB
    print(
        f"\ntargets ≤ {WALL_TARGET:.0f} s and ≤ {MEMORY_TARGET_MB:.0f} MB: {'met' if ok else 'MISSED'}; "
        f"CPUs: {os.cpu_count()}"
    )


if __name__ == "__main__":
    main()
