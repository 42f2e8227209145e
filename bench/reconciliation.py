"""Benchmark reconciliation: one payout of 50,000 lines against 20,000 open invoices.

    DATABASE_URL=postgres://... REDIS_URL=redis://... python -m bench.reconciliation
        [--lines 50000] [--invoices 20000]

Set-up (not timed): a throwaway database (``--database``, default ``sharespine_bench_recon``,
created, migrated, dropped), a Visma agent with the simulated backend whose company holds N open
invoices (one made through the agent, copied in SQLite with their own numbers and customer order
numbers), and one Klarna settlement CSV with a totals block: per order one or two captures with
their fees (fixed + percentage, with VAT), some returns, a holdback and a charge.

Measured, in a process of its own (wall time and peak RSS from ``wait4``): import (parse, check,
store) + matching through the agent's invoice look-up over HTTP + the posting plan, and the SQL
statements each step sends. Targets (issue 11): ≤ 30 s and ≤ 300 MB, queries O(1) per payout.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from decimal import Decimal
from pathlib import Path

from bench.stock_cycle import create_database, django_setup, drop_database

ROOT = Path(__file__).resolve().parents[1]
WALL_TARGET, MEMORY_TARGET_MB = 30.0, 300.0


def payout_file(lines: int, invoices: int, rng: random.Random) -> tuple[bytes, list[tuple[str, Decimal]]]:
    """The CSV and the invoice (customer order number, total) each order needs."""
    rows, orders = [], []
    n = 0
    while len(rows) < lines - 2:
        order = f"B{n:07d}"
        captures = [Decimal(rng.randint(5_000, 500_000)) / 100 for _ in range(2 if n % 4 == 3 else 1)]
        if n < invoices:
            orders.append((order, sum(captures)))
        for amount in captures:
            fee = (amount * Decimal("0.0299") + 3).quantize(Decimal("0.01"))
            rows += [("SALE", order, amount, ""), ("FEE", order, fee, (fee / 4).quantize(Decimal("0.01")))]
        if n % 50 == 7:
            rows.append(("RETURN", order, (captures[0] / 2).quantize(Decimal("0.01")), ""))
        n += 1
    rows = rows[: lines - 2] + [
        ("HOLDBACK", "", Decimal("1000.00"), ""),
        ("CHARGE", "", Decimal("49.00"), ""),
    ]
    # Open invoices of orders not (yet) in this payout, up to the number asked for: they stay open.
    orders += [(f"X{i:07d}", Decimal("100.00")) for i in range(max(0, invoices - len(orders)))]
    sign = {"SALE": 1, "FEE": -1, "RETURN": -1, "HOLDBACK": -1, "CHARGE": -1}
    net = sum(sign[t] * (a + (v or 0)) for t, _, a, v in rows)
    out = ["payment_reference;payout_date;settlement_currency;total_settlement_amount",
           f"9900000001;2025-03-12T06:00:00Z;SEK;{net}", "",
           "type;capture_date;capture_id;merchant_reference1;amount;posting_currency;tax_amount"]  # fmt: skip
    out += [f"{t};2025-03-10T10:00:00Z;c{i};{o};{a};SEK;{v}" for i, (t, o, a, v) in enumerate(rows)]
    return ("\r\n".join(out) + "\r\n").encode(), orders


def copy_invoices(company: Path, template: int, orders: list[tuple[str, Decimal]]) -> None:
    """N invoices like ``template`` with their own numbers, references and totals (set-up only)."""
    with sqlite3.connect(company, timeout=60) as conn:
        columns = [r[1] for r in conn.execute("PRAGMA table_info(ooi_head)")]
        sql = "SELECT * FROM ooi_head WHERE sim_doc_kind='INVOICE' AND ADK_OOI_HEAD_DOCUMENT_NUMBER=?"
        head = dict(zip(columns, conn.execute(sql, (template,)).fetchone(), strict=True))
        rows = []
        for i, (order, total) in enumerate(orders, start=1):
            row = dict(head)
            row["ADK_OOI_HEAD_DOCUMENT_NUMBER"] = template + i
            row["ADK_OOI_HEAD_CUSTOMER_ORDER_NUMBER"] = order
            row["ADK_OOI_HEAD_TOTAL_AMOUNT"] = row["ADK_OOI_HEAD_BALANCE"] = float(total)
            rows.append(tuple(row[c] for c in columns))
        conn.executemany(f"INSERT INTO ooi_head VALUES ({', '.join('?' * len(columns))})", rows)


def child(db_name: str, integration_id: int, path: str) -> None:
    django_setup(db_name)
    from django.db import connection

    from flows.models import Integration
    from reconciliation import service
    from reconciliation.posting import build_plan

    queries = {"n": 0}

    def count(execute, sql, params, many, context):
        queries["n"] += 1
        return execute(sql, params, many, context)

    integration = Integration.objects.get(pk=integration_id)
    data = Path(path).read_bytes()
    steps = {}
    with connection.execute_wrapper(count):
        started = time.perf_counter()
        from reconciliation.importing import import_file

        result = import_file(integration, "bench.csv", data)
        steps["import"] = (time.perf_counter() - started, queries["n"])
        if not result.payouts:
            sys.exit(f"import failed: {result.error or 'already imported'}")
        (payout,) = result.payouts
        mark, before = time.perf_counter(), queries["n"]
        if os.environ.get("BENCH_PROFILE"):
            import cProfile
            import pstats

            profile = cProfile.Profile()
            summary = profile.runcall(service.match, integration, [payout])
            pstats.Stats(profile, stream=sys.stderr).sort_stats("cumulative").print_stats(25)
        else:
            summary = service.match(integration, [payout])
        steps["match"] = (time.perf_counter() - mark, queries["n"] - before)
        mark, before = time.perf_counter(), queries["n"]
        plan = build_plan(payout)
        steps["plan"] = (time.perf_counter() - mark, queries["n"] - before)
        wall = time.perf_counter() - started
    payout.refresh_from_db()
    print(json.dumps({
        "wall": wall, "steps": steps, "lines": payout.line_count, "matched": summary.matched,
        "waiting": summary.waiting, "held": summary.held, "payments": len(plan.payments),
        "balanced": not payout.held_reason, "voucher_balance": str(plan.payout_voucher.balance),
    }))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.reconciliation", description=__doc__)
    parser.add_argument("--lines", type=int, default=50_000)
    parser.add_argument("--invoices", type=int, default=20_000)
    parser.add_argument("--database", default="sharespine_bench_recon")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]), args.child[2])
        return
    if "DATABASE_URL" not in os.environ:
        sys.exit("Set DATABASE_URL (PostgreSQL) for the throwaway benchmark database.")
    create_database(args.database)
    with ExitStack() as stack:
        stack.callback(drop_database, args.database)
        run(args, stack)


def run(args, stack: ExitStack) -> None:  # type: ignore[no-untyped-def]
    django_setup(args.database)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from connectors.visma import protocol as P
    from sharespine.customers.models import Customer
    from tests.factories import IntegrationFactory, VismaAgentFactory
    from tests.simulators import AGENT_KEY, AGENT_SECRET, Agent

    workdir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
    data, orders = payout_file(args.lines, args.invoices, random.Random(11))
    (workdir / "payout.csv").write_bytes(data)
    company = workdir / "company.sqlite"
    agent = Agent.in_process(company)
    stack.callback(agent.stop)
    row = P.DocumentRowInput(text="Varor", quantity=Decimal(1), price=Decimal("100.00"), vat_code="1")
    template = agent.client.create_document(
        P.DocumentInput(
            kind="invoice", customer_number="1001", reference="TEMPLATE", including_vat=True, rows=[row]
        ),
        "bench-template",
    )
    copy_invoices(company, template.number, orders)
    customer = Customer.objects.create(name="Benchbutiken AB", org_number="556036-0793", tier="400")
    integration = IntegrationFactory(customer=customer, reconciliation_enabled=True)
    VismaAgentFactory(
        integration=integration, agent_url=agent.base_url, key_id=AGENT_KEY, secret=AGENT_SECRET
    )
    from django.db import connections

    connections.close_all()
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.reconciliation", "--child", args.database, str(integration.pk),
         str(workdir / "payout.csv")],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    _, status, usage = os.wait4(process.pid, 0)
    output = json.loads(process.stdout.read())
    peak = usage.ru_maxrss / 1024
    size = len(data) / 1e6
    print(f"payout of {output['lines']:,} lines against {len(orders):,} open invoices (file {size:.1f} MB)")
    for step, (seconds, queries) in output["steps"].items():
        print(f"  {step:<7} {seconds:6.2f} s  {queries:5d} SQL statements")
    print(f"  matched {output['matched']:,}, waiting {output['waiting']:,}, held {output['held']:,}; "
          f"{output['payments']:,} payments; voucher balance {output['voucher_balance']}")  # fmt: skip
    wall_ok, memory_ok = output["wall"] <= WALL_TARGET, peak <= MEMORY_TARGET_MB
    print(f"wall {output['wall']:.2f} s (target ≤ {WALL_TARGET:.0f} s): {'met' if wall_ok else 'MISSED'}")
    print(f"peak RSS {peak:.0f} MB (target ≤ {MEMORY_TARGET_MB:.0f} MB): {'met' if memory_ok else 'MISSED'}")


if __name__ == "__main__":
    main()
