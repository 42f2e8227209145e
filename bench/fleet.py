"""Benchmark a fleet: many integrations on one deployment, orders on all while some sync a catalogue.

    DATABASE_URL=postgres://... REDIS_URL=redis://... python -m bench.fleet [--integrations 200]
        [--orders 1500] [--minutes 5] [--catalogue-articles 20000] [--catalogue-integrations 3]
        [--poll 10] [--quick]

The deployment is the production one (Procfile, docker-compose.yml), each part its own process:
real ``celery beat`` (the project's scheduler, ``flows.engine.beat``, reading the schedules
``flows.engine.schedules.sync_schedules`` made for every integration), one ``celery worker`` for the
``orders`` queue (16 threads, ``--orders-pool``/``--orders-concurrency``, as docker-compose runs
it) and one for the ``bulk`` queue (``--bulk-concurrency`` 1): two worker processes, split by
queue as production runs them, so a catalogue sync competes with orders for CPU, database and Redis
but never for a place in a queue.

The outside world, all on 127.0.0.1:

* Jetshop: every integration has a shop of its own (its own order numbers, products and rate-limit
  bucket). ``--shop-hosts`` processes serve the ordinary shops, one simulator each behind a path
  prefix (``/s17/Webservice20/...``); the catalogue integrations' shops get a process of their own.
* Visma: every catalogue integration has its own agent (simulated backend) whose company holds the
  demo data and ``--catalogue-articles`` web-shop articles; the other integrations share
  ``--agents`` agents with the demo company (their order references and customers' e-mail
  addresses are distinct per integration). Production has one agent per merchant, so a shared
  agent, whose company thread serialises its integrations' calls, makes the figures pessimistic.

All integrations are in ERP mode (orders and status every ``--poll`` seconds on the orders queue;
products, prices, price lists and stock every ``--catalogue-poll`` seconds on the bulk queue). The
catalogue integrations' first products run sends all their articles to an empty shop, then stock,
prices and price lists follow them: the catalogue sync. The order stream starts when the first of
those runs has started (or after ``--catalogue-wait`` seconds): ``--orders`` orders at random
(Poisson) times over ``--minutes`` minutes, spread evenly over all integrations, each placed
through its shop's side door by this process, which records when.

Per order: placed (this process, just before the side door call) → received (the journey step
written when a run pulled it) → in Visma (the journey step written when the document exists).
Every task's publish (beat, and workers re-sending) and start/end are logged by the processes
themselves (signals), so the wait of an order splits into: waiting for beat's next tick, the run
task waiting in the orders queue, the run pulling, and the run processing the orders before it.

Targets (issue 10): p95 placed → in Visma ≤ poll + 10 s; no integration starved: every one got
all its orders through and its worst latency is within the target.

The database (``--database``, default ``sharespine_fleetbench``) is created, migrated and dropped;
the Redis db index (``--redis-db``, default 13) is purged before and after. Nothing else is touched.
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from bench.orders_e2e import (
    ROOT,
    free_port,
    order_spec,
    own_services,
    purge_redis,
    throwaway_database,
    wait_for_port,
)

SLACK_SECONDS = 10.0  # the target: p95 ≤ poll + this
FINAL = ("done", "parked", "failed", "skipped")
CHANNELS = [("1", "Sverige", "SEK", "sv-SE"), ("2", "Norge", "NOK", "nb-NO")]
BEAT_SCHEDULER = "flows.engine.beat:Scheduler"  # as settings.CELERY_BEAT_SCHEDULER


# --- helper processes: shops, worker, beat -----------------------------------------------------------


def serve_shops(port: int, count: int) -> None:
    """``count`` Jetshop simulators (seed "empty") in this process, the i-th under ``/s<i>/``."""
    from connectors.jetshop.simulator.app import JetshopSimulator
    from connectors.jetshop.simulator.server import ThreadingServer, _RequestHandler
    from connectors.jetshop.simulator.state import SimConfig

    shops = [JetshopSimulator(SimConfig(), "empty") for _ in range(count)]

    def dispatch(environ, start_response):  # type: ignore[no-untyped-def]
        head, _, rest = environ.get("PATH_INFO", "").lstrip("/").partition("/")
        environ["SCRIPT_NAME"], environ["PATH_INFO"] = f"/{head}", f"/{rest}"
        return shops[int(head[1:])](environ, start_response)

    httpd = ThreadingServer(("127.0.0.1", port), _RequestHandler)
    httpd.set_app(dispatch)
    print(f"Jetshop simulators ×{count} on http://127.0.0.1:{port}/s<i>/", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        httpd.serve_forever(poll_interval=0.5)
    finally:
        httpd.server_close()


class TaskLog:
    """One JSON line per task event, in a file per process (prefork children write their own)."""

    def __init__(self, folder: str, source: str) -> None:
        self.folder, self.source = Path(folder), source
        self.files: dict[int, object] = {}

    def write(self, **record: object) -> None:
        pid = os.getpid()
        out = self.files.get(pid)
        if out is None:
            out = self.files[pid] = (self.folder / f"tasks-{pid}.jsonl").open("a", buffering=1)
        out.write(json.dumps(record) + "\n")  # type: ignore[attr-defined]


def log_publishes(tasks: TaskLog) -> None:
    from celery import signals

    @signals.before_task_publish.connect(weak=False)
    def published(body, routing_key=None, headers=None, **kwargs) -> None:  # type: ignore[no-untyped-def]
        headers = headers or {}
        args, kw = (body[0], body[1]) if isinstance(body, list | tuple) and len(body) > 1 else ((), {})
        tasks.write(e="sent", id=headers.get("id"), task=headers.get("task"), q=routing_key, t=time.time(),
                    by=tasks.source, **subject(headers.get("task") or "", args, kw))  # fmt: skip


def subject(name: str, args, kwargs) -> dict:  # type: ignore[no-untyped-def]
    """The integration and flow a flow-run or agent task is about (``i``, ``f``)."""
    if not name.endswith(("run_flow", "check_agent")):
        return {}
    args, kwargs = list(args or ()), kwargs or {}
    integration = kwargs.get("integration_id", args[0] if args else None)
    return {"i": integration, "f": kwargs.get("flow", args[1] if len(args) > 1 else None)}


def run_worker(queue: str, concurrency: int, hostname: str, folder: str) -> None:
    """``celery worker`` in this process, logging task publishes, starts, ends and expiries."""
    import django
    from celery import signals

    django.setup()
    from bench import probes
    from sharespine.celery import app

    probes.install(engine=True)
    tasks = TaskLog(folder, "worker")
    log_publishes(tasks)
    began: dict[str, tuple[float, int]] = {}

    @signals.task_prerun.connect(weak=False)
    def before(task_id, task, args=None, kwargs=None, **_) -> None:  # type: ignore[no-untyped-def]
        tasks.write(e="start", id=task_id, task=task.name, q=queue, t=time.time(),
                    **subject(task.name, args, kwargs))  # fmt: skip
        began[task_id] = (time.process_time(), run_delay())

    @signals.task_postrun.connect(weak=False)
    def after(task_id, task, **_) -> None:  # type: ignore[no-untyped-def]
        cpu, delay = began.pop(task_id, (time.process_time(), run_delay()))
        # CPU used, and time spent runnable but waiting for a CPU (the machine's other work).
        tasks.write(e="end", id=task_id, t=time.time(), cpu=time.process_time() - cpu,
                    rq=(run_delay() - delay) / 1e9)  # fmt: skip
        stats = Path(folder) / f"probes-{os.getpid()}.json"
        stats.with_suffix(".tmp").write_text(json.dumps({"queue": queue, "stats": probes.snapshot()}))
        stats.with_suffix(".tmp").replace(stats)

    @signals.task_revoked.connect(weak=False)
    def revoked(request, expired=False, **_) -> None:  # type: ignore[no-untyped-def]
        tasks.write(e="expired" if expired else "revoked", id=getattr(request, "id", None), q=queue,
                    task=getattr(request, "name", None), t=time.time())  # fmt: skip

    pool = "prefork" if concurrency > 1 else "solo"
    if queue == "orders" and os.environ.get("BENCH_ORDERS_POOL"):
        pool = os.environ["BENCH_ORDERS_POOL"]  # --orders-pool: e.g. threads, for I/O-bound runs
    app.worker_main(["worker", "--queues", queue, "--pool", pool,
                     "--concurrency", str(concurrency), "--hostname", hostname, "--without-gossip",
                     "--without-mingle", "--loglevel", "INFO"])  # fmt: skip


def run_delay() -> int:
    """Nanoseconds this thread has spent runnable, waiting for a CPU (/proc/self/schedstat)."""
    try:
        return int(Path("/proc/thread-self/schedstat").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def run_beat(folder: str) -> None:
    """``celery beat`` with the DatabaseScheduler in this process, logging what it sends."""
    import django

    django.setup()
    from sharespine.celery import app

    log_publishes(TaskLog(folder, "beat"))
    app.start(["beat", "--scheduler", BEAT_SCHEDULER, "--pidfile", "", "--loglevel", "INFO",
               "--schedule", str(Path(folder) / "beat-schedule")])  # fmt: skip


# --- the stack ---------------------------------------------------------------------------------------


@dataclass
class Stack:
    folder: Path
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def spawn(
        self, name: str, argv: list[str], env: dict | None = None, banner: str = ""
    ) -> subprocess.Popen:
        log = (self.folder / f"{name}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, *argv], cwd=ROOT, env=os.environ | (env or {}), start_new_session=True,
            stdout=subprocess.PIPE if banner else log, stderr=log,
        )  # fmt: skip
        self.processes[name] = process
        if banner:
            line = process.stdout.readline().decode() if process.stdout else ""
            if banner not in line:
                raise SystemExit(f"{name} did not start: {line!r}; see {self.folder / (name + '.log')}")
        return process

    def stop(self, name: str) -> None:
        process = self.processes.get(name)
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def stop_all(self) -> None:
        for name in list(self.processes):
            self.stop(name)

    def cpu_seconds(self) -> dict[str, float]:
        """CPU seconds (user + system) per process name, its living children included."""
        tick = os.sysconf("SC_CLK_TCK")
        out = {}
        for name, process in self.processes.items():
            out[name] = sum(_cpu(pid) for pid in _tree(process.pid)) / tick
        return out


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                todo += [int(c) for c in Path(f"/proc/{current}/task/{task}/children").read_text().split()]
        except OSError:
            pass
    return pids


def _cpu(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, IndexError, ValueError):
        return 0


class PostgresCpu:
    """CPU of the PostgreSQL backends serving one database (found by their process title), sampled:
    backends come and go (connections live ``CONN_MAX_AGE``), so each one's last reading counts."""

    def __init__(self, database: str) -> None:
        self.title = f" {database} ".encode()
        self.first: dict[int, int] = {}
        self.last: dict[int, int] = {}
        self.started = False

    def sample(self) -> None:
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    title = Path(f"/proc/{entry}/cmdline").read_bytes()
                except OSError:
                    continue
                if title.startswith(b"postgres:") and self.title in title:
                    ticks = _cpu(int(entry))
                    # A backend born after the first sample counts from zero.
                    self.first.setdefault(int(entry), ticks if not self.started else 0)
                    self.last[int(entry)] = ticks
        self.started = True

    def seconds(self) -> float:
        return sum(self.last[pid] - self.first[pid] for pid in self.last) / os.sysconf("SC_CLK_TCK")


def system_busy() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def start_outside_world(stack: Stack, args: argparse.Namespace) -> tuple[list[str], list[str]]:
    """Shop hosts and agents; returns (shop base URL, agent URL) per integration."""
    from flows.demo.setup import DEMO_AGENT_KEY, DEMO_AGENT_SECRET

    n, k = args.integrations, args.catalogue_integrations
    shops: list[str] = [""] * n
    groups = [list(range(k))] + [list(range(k + h, n, args.shop_hosts)) for h in range(args.shop_hosts)]
    for h, members in enumerate(g for g in groups if g):
        port = free_port()
        stack.spawn(f"shops-{h}", ["-m", "bench.fleet", "--as-shops", str(port), str(len(members))],
                    banner="Jetshop simulators")  # fmt: skip
        for slot, index in enumerate(members):
            shops[index] = f"http://127.0.0.1:{port}/s{slot}"
    env = {"VISMA_AGENT_KEY_ID": DEMO_AGENT_KEY, "VISMA_AGENT_SECRET": DEMO_AGENT_SECRET}
    agents, ports = [""] * n, []
    shared = max(1, min(args.agents, n - k))
    for a in range(k + shared):
        company = stack.folder / f"company-{a}.sqlite"
        articles = ["--articles", str(args.catalogue_articles)] if a < k else []
        subprocess.run([sys.executable, "-m", "connectors.visma.agent", "seed", "--company", str(company),
                        *articles], cwd=ROOT, check=True, capture_output=True)  # fmt: skip
        port = free_port()
        stack.spawn(f"agent-{a}", ["-m", "connectors.visma.agent", "serve", "--backend", "simulated",
                                   "--company", str(company), "--state",
                                   str(stack.folder / f"state-{a}.sqlite"), "--port", str(port)],
                    env=env)  # fmt: skip
        ports.append(port)
    for port in ports:
        wait_for_port(port, timeout=60)
    for i in range(n):
        agents[i] = f"http://127.0.0.1:{ports[i if i < k else k + (i - k) % shared]}"
    return shops, agents


def configure_fleet(args: argparse.Namespace, shops: list[str], agents: list[str]) -> list:  # type: ignore[type-arg]
    from connectors.jetshop.wire import ENDPOINT_PATH
    from flows.demo.setup import DEMO_AGENT_KEY, DEMO_AGENT_SECRET, ChannelSpec, ShopSpec, configure
    from sharespine.customers.models import Customer
    from sharespine.customers.orgnumber import luhn_check_digit

    integrations = []
    for i, (shop, agent) in enumerate(zip(shops, agents, strict=True)):
        digits = f"55{i + 1:07d}"
        customer = Customer.objects.create(
            name=f"Fleet {i} AB",
            org_number=f"{digits[:6]}-{digits[6:]}{luhn_check_digit(digits)}",
            tier=args.tier,
        )
        spec = ShopSpec(f"Butik {i}", shop + ENDPOINT_PATH, f"F{i}-", [ChannelSpec(*CHANNELS[i % 2])])
        integrations.append(configure(
            customer, shops=[spec], agent_url=agent, key_id=DEMO_AGENT_KEY, secret=DEMO_AGENT_SECRET,
            poll_seconds=args.poll, catalogue_poll_seconds=args.catalogue_poll,
        ))  # fmt: skip
    return integrations


# --- orders ------------------------------------------------------------------------------------------


@dataclass
class Placed:
    integration: int  # index
    reference: str
    at: float  # time.time() just before the side door call


def fleet_order(rng: random.Random, index: int, n: int) -> dict:
    """An order as bench.orders_e2e makes them, with this integration's own e-mail addresses and
    organisation numbers (integrations sharing a Visma company must not find each other's)."""
    from sharespine.customers.orgnumber import luhn_check_digit

    order = order_spec(rng, n, index % 2 + 1)
    user, domain = order["email"].split("@")
    order["email"] = f"{user}.f{index}@{domain}"
    if order["org_number"]:
        digits = f"56{index:05d}{n % 3:02d}"
        order["org_number"] = f"{digits[:6]}-{digits[6:]}{luhn_check_digit(digits)}"
    return order


def order_stream(args: argparse.Namespace, seed: int = 7) -> list[tuple[float, int]]:
    """(seconds from the start, integration index): Poisson arrivals, every integration its share."""
    rng = random.Random(seed)
    owners = [i % args.integrations for i in range(args.orders)]
    rng.shuffle(owners)
    rate = args.orders / (args.minutes * 60)
    at, out = 0.0, []
    for owner in owners:
        at += rng.expovariate(rate)
        out.append((min(at, args.minutes * 60), owner))
    return out


def feed(stream, shops: list[str], prefixes: list[str], placed: list[Placed], stop: threading.Event) -> None:  # type: ignore[no-untyped-def]
    from connectors.jetshop.simulator.sidedoor_client import SideDoorClient

    rng = random.Random(11)
    doors = {url: SideDoorClient(url) for url in shops}
    counters: dict[int, int] = defaultdict(int)
    start = time.monotonic()
    try:
        for offset, index in stream:
            delay = start + offset - time.monotonic()
            if delay > 0 and stop.wait(delay):
                return
            counters[index] += 1
            spec = fleet_order(rng, index, counters[index])
            at = time.time()
            [order] = doors[shops[index]].place_orders(spec)
            placed.append(Placed(index, prefixes[index] + order["number"], at))
    finally:
        for door in doors.values():
            door.close()


# --- the run -----------------------------------------------------------------------------------------


def run(args: argparse.Namespace, tmp: Path, database: str) -> dict:
    from django.db import connection

    from flows.models import JourneyStep, SyncItem, SyncRun
    from flows.modes import Flow

    stack = Stack(tmp)
    with ExitStack() as cleanup:
        cleanup.callback(stack.stop_all)
        print(f"starting {args.shop_hosts + 1} shop hosts and {args.catalogue_integrations + args.agents}"
              f" agents (seeding {args.catalogue_articles} articles ×{args.catalogue_integrations}) …",
              flush=True)  # fmt: skip
        shops, agents = start_outside_world(stack, args)
        print(f"configuring {args.integrations} integrations …", flush=True)
        integrations = configure_fleet(args, shops, agents)
        ids = [i.pk for i in integrations]
        prefixes = [i.shops.get().order_reference_prefix for i in integrations]
        catalogue_ids = ids[: args.catalogue_integrations]
        connection.close()
        tasks_dir = tmp / "tasks"
        tasks_dir.mkdir()
        for queue, concurrency in (("orders", args.orders_concurrency), ("bulk", args.bulk_concurrency)):
            stack.spawn(f"worker-{queue}", ["-m", "bench.fleet", "--as-worker", queue, str(concurrency),
                                            str(tasks_dir)], env={"LOG_LEVEL": "INFO"})  # fmt: skip
        stack.spawn("beat", ["-m", "bench.fleet", "--as-beat", str(tasks_dir)], env={"LOG_LEVEL": "INFO"})

        # The order stream starts with the catalogue sync (the first catalogue products run).
        products = SyncRun.objects.filter(integration_id__in=catalogue_ids, flow=Flow.VISMA_PRODUCTS_TO_SHOP)
        waited = time.monotonic()
        while not products.exists() and time.monotonic() - waited < args.catalogue_wait:
            _check_alive(stack)
            time.sleep(0.5)
        print(f"catalogue sync {'started' if products.exists() else 'NOT started'} after "
              f"{time.monotonic() - waited:.0f} s; placing {args.orders} orders over {args.minutes:g} min …",
              flush=True)  # fmt: skip

        placed: list[Placed] = []
        stop = threading.Event()
        feeder = threading.Thread(target=feed, args=(order_stream(args), shops, prefixes, placed, stop),
                                  daemon=True)  # fmt: skip
        cleanup.callback(stop.set)
        postgres = PostgresCpu(database)
        busy0, cpu0 = system_busy(), stack.cpu_seconds()
        postgres.sample()
        load, depth = [], {"orders": [], "bulk": []}
        started = time.time()
        feeder.start()
        in_visma = JourneyStep.objects.filter(integration_id__in=ids, step=JourneyStep.Step.IN_VISMA)
        final = SyncItem.objects.filter(integration_id__in=ids, flow=Flow.SHOP_ORDERS_TO_VISMA,
                                        status__in=["parked", "failed", "skipped"])  # fmt: skip
        deadline = time.monotonic() + args.minutes * 60 + args.drain
        last_print = 0.0
        import redis

        broker = redis.Redis.from_url(os.environ["REDIS_URL"])
        cleanup.callback(broker.close)
        while True:
            time.sleep(1)
            _check_alive(stack)
            load.append(float(Path("/proc/loadavg").read_text().split()[0]))
            postgres.sample()
            for queue in depth:
                depth[queue].append(broker.llen(queue))
            done = in_visma.count() + final.count()
            if time.monotonic() - last_print > 15:
                last_print = time.monotonic()
                print(f"  {time.time() - started:5.0f} s: {len(placed)} placed, {done} through; queues "
                      f"orders {depth['orders'][-1]}, bulk {depth['bulk'][-1]}; load {load[-1]:.2f}",
                      flush=True)  # fmt: skip
            if not feeder.is_alive() and done >= len(placed):
                break
            if time.monotonic() > deadline:
                print(f"  gave up: {done} of {len(placed)} through by the deadline", flush=True)
                break
        busy1, cpu1 = system_busy(), stack.cpu_seconds()
        postgres.sample()
        window = time.time() - started
        stack.stop("beat")
        stack.stop("worker-orders")
        stack.stop("worker-bulk")
        return {
            "placed": placed, "ids": ids, "catalogue_ids": catalogue_ids, "window": window,
            "cpu_share": (busy1[0] - busy0[0]) / max(1, busy1[1] - busy0[1]),
            "cpu": {n: cpu1.get(n, 0) - cpu0.get(n, 0) for n in cpu1},
            "postgres_cpu": postgres.seconds(),
            "load": load, "depth": depth, "tasks": read_tasks(tasks_dir), "started": started,
            "probes": read_probes(tasks_dir),
        }  # fmt: skip


def _check_alive(stack: Stack) -> None:
    for name, process in stack.processes.items():
        if process.poll() is not None:
            tail = (stack.folder / f"{name}.log").read_text(errors="replace")[-3000:]
            raise SystemExit(f"{name} exited ({process.returncode}); its log ends:\n{tail}")


def read_tasks(folder: Path) -> dict[str, dict]:
    tasks: dict[str, dict] = defaultdict(dict)
    for path in folder.glob("tasks-*.jsonl"):
        for line in path.read_text().splitlines():
            record = json.loads(line)
            event, task_id = record.pop("e"), record.pop("id")
            entry = tasks[task_id]
            entry[event] = record.pop("t")
            entry.update({k: v for k, v in record.items() if v is not None})
    return tasks


def read_probes(folder: Path) -> dict[str, dict[str, list[float]]]:
    """The workers' probe sums, per queue (prefork children added up)."""
    out: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(lambda: [0, 0.0]))
    for path in folder.glob("probes-*.json"):
        data = json.loads(path.read_text())
        for name, (calls, seconds) in data["stats"].items():
            out[data["queue"]][name][0] += calls
            out[data["queue"]][name][1] += seconds
    return out


# --- figures -----------------------------------------------------------------------------------------


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def figures(result: dict, args: argparse.Namespace) -> bool:
    from flows.later import read_log
    from flows.models import JourneyStep, SyncItem, SyncRun
    from flows.modes import Flow

    ids, placed, tasks = result["ids"], result["placed"], result["tasks"]
    index_of = {pk: i for i, pk in enumerate(ids)}
    steps: dict[tuple[int, str], dict[str, float]] = defaultdict(dict)
    for integration, ref, step, at in JourneyStep.objects.filter(
        integration_id__in=ids, step__in=[JourneyStep.Step.RECEIVED, JourneyStep.Step.IN_VISMA]
    ).values_list("integration_id", "order_ref", "step", "at"):
        steps[(index_of[integration], ref)].setdefault(step, at.timestamp())
    items = {
        (index_of[i], ref): (status, started.timestamp() if started else None)
        for i, ref, status, started in SyncItem.objects.filter(
            integration_id__in=ids, flow=Flow.SHOP_ORDERS_TO_VISMA
        ).values_list("integration_id", "reference", "status", "run__started_at")
    }
    # The run tasks of the orders flow per integration, by start time, to find the one that
    # pulled an order and when it had been sent.
    runs: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for entry in tasks.values():
        if entry.get("f") == Flow.SHOP_ORDERS_TO_VISMA and "start" in entry and "sent" in entry:
            runs[entry["i"]].append((entry["start"], entry["sent"]))
    for starts in runs.values():
        starts.sort()

    target = args.poll + SLACK_SECONDS
    latencies: list[float] = []
    per: dict[int, list[float]] = defaultdict(list)
    parts: dict[str, list[float]] = defaultdict(list)
    missing: dict[int, int] = defaultdict(int)
    statuses: dict[str, int] = defaultdict(int)
    for order in placed:
        key = (order.integration, order.reference)
        status, run_start = items.get(key, ("missing", None))
        statuses[status] += 1
        got = steps.get(key, {})
        if "in_visma" not in got:
            missing[order.integration] += 1
            continue
        latency = got["in_visma"] - order.at
        latencies.append(latency)
        per[order.integration].append(latency)
        received = got.get("received")
        task_runs = runs.get(ids[order.integration], [])
        at = bisect.bisect_right(task_runs, (run_start if run_start else received or 0, float("inf"))) - 1
        if received and run_start and at >= 0:
            start, sent = task_runs[at]
            sent_eff = max(sent, order.at)
            parts["until its run was sent"].append(max(0.0, sent_eff - order.at))
            parts["orders queue"].append(max(0.0, start - sent_eff))
            parts["task start → run start"].append(max(0.0, run_start - max(start, order.at)))
            parts["run start → received (pull)"].append(received - max(run_start, order.at))
            parts["received → in Visma"].append(got["in_visma"] - received)

    n = len(placed)
    through = len(latencies)
    worst = max(per.items(), key=lambda kv: max(kv[1]), default=(None, [0.0]))
    maxima = [max(v) for v in per.values()]
    starved = [i for i in range(args.integrations) if missing.get(i) or max(per.get(i, [0.0])) > target]
    load, depth = result["load"], result["depth"]
    print(f"\nmachine: {os.cpu_count()} CPUs, load average (1 min) during the run: mean "
          f"{statistics.fmean(load):.2f}, max {max(load):.2f}; all CPUs {result['cpu_share']:.0%} busy "
          f"over {result['window']:.0f} s (this benchmark and everyone else)")  # fmt: skip
    print(f"fleet: {args.integrations} integrations ({args.catalogue_integrations} syncing "
          f"{args.catalogue_articles} articles), {args.shop_hosts + 1} shop processes, "
          f"{args.catalogue_integrations + args.agents} agents; workers: orders prefork ×"
          f"{args.orders_concurrency}, bulk ×{args.bulk_concurrency}; real celery beat; poll "
          f"{args.poll} s")  # fmt: skip
    print(f"\norders placed {n}, in Visma {through}, item statuses {dict(statuses)}")
    print(f"placed → in Visma: p50 {pct(latencies, 50):.1f} s, p95 {pct(latencies, 95):.1f} s, "
          f"max {max(latencies, default=float('nan')):.1f} s")  # fmt: skip
    print(f"per integration, worst order: median {pct(maxima, 50):.1f} s, p95 {pct(maxima, 95):.1f} s; "
          f"the worst integration #{worst[0]} (id {ids[worst[0]] if worst[0] is not None else '-'}): "
          f"{max(worst[1]):.1f} s over {len(worst[1])} orders")  # fmt: skip
    print("\nwhere an order's time goes (mean / p95 s):")
    for name in ("until its run was sent", "orders queue", "task start → run start",
                 "run start → received (pull)",
                 "received → in Visma"):  # fmt: skip
        values = parts.get(name, [])
        if values:
            print(f"  {name:32}{statistics.fmean(values):7.2f} {pct(values, 95):7.2f}")
    print("  (until its run was sent: beat's next tick, and every later tick whose task expired unrun)")
    with_latency = _with_latency(placed, steps)
    catalogue_orders = [lat for o, lat in with_latency if o.integration < args.catalogue_integrations]
    if catalogue_orders:
        print(f"  orders of the catalogue integrations: p95 {pct(catalogue_orders, 95):.1f} s, "
              f"{len(catalogue_orders)} orders")  # fmt: skip
    # The catalogue sync: the catalogue integrations' first run of each bulk flow (the full push).
    first: dict[tuple[int, str], SyncRun] = {}
    for run in (
        SyncRun.objects.filter(integration_id__in=result["catalogue_ids"])
        .exclude(flow__in=[Flow.SHOP_ORDERS_TO_VISMA, Flow.VISMA_ORDER_STATUS_TO_SHOP])
        .order_by("started_at")
    ):
        first.setdefault((run.integration_id, run.flow), run)
    if first:
        begin = min(r.started_at.timestamp() for r in first.values())
        ends = [r.finished_at.timestamp() if r.finished_at else float("inf") for r in first.values()]
        end = max(ends)
        during = [lat for o, lat in with_latency if begin <= o.at <= end]
        outside = [lat for o, lat in with_latency if not begin <= o.at <= end]
        print(f"  catalogue sync from {begin - result['started']:+.0f} s to "
              f"{end - result['started']:+.0f} s of the order stream: orders placed during it p95 "
              f"{pct(during, 95):.1f} s ({len(during)}), the others p95 {pct(outside, 95):.1f} s "
              f"({len(outside)})")  # fmt: skip

    # One run per integration per poll: how many orders runs were there, and how full were they?
    orders_runs = SyncRun.objects.filter(integration_id__in=ids, flow=Flow.SHOP_ORDERS_TO_VISMA)
    started_window = [r for r in orders_runs.values_list("pulled", "started_at")
                      if r[1].timestamp() >= result["started"]]  # fmt: skip
    expected = len(ids) * result["window"] / args.poll
    nonempty = [pulled for pulled, _ in started_window if pulled]
    again = sum(
        1 for e in tasks.values() if e.get("by") == "worker" and e.get("f") == Flow.SHOP_ORDERS_TO_VISMA
    )
    print(f"\norders runs in the window: {len(started_window)} (one per integration per poll would be "
          f"{expected:.0f}), {len(nonempty)} found orders (mean {statistics.fmean(nonempty or [0]):.2f}, "
          f"max {max(nonempty, default=0)}), {again} sent again by a worker (batch full)")  # fmt: skip
    beat_sends = [e["sent"] for e in tasks.values() if e.get("by") == "beat" and e.get("q") == "orders"]
    if beat_sends:
        per_second: dict[int, int] = defaultdict(int)
        for at in beat_sends:
            per_second[int(at)] += 1
        busiest = max(per_second.values())
        print(f"beat sent {len(beat_sends)} orders-queue tasks in {len(per_second)} distinct seconds, up to "
              f"{busiest} in one second (beat sends all entries due at a tick together)")  # fmt: skip

    print("\ntasks: queue wait (sent → started) p50 / p95 / max s; run: wall, CPU and waiting for a CPU")
    print(f"  {'queue  task':35}{'sent':>6}{'ran':>6}{'expired':>8}   {'wait p50':>8}{'p95':>6}{'max':>6}"
          f"   {'wall ms':>8}{'CPU ms':>7}{'runq ms':>8}")  # fmt: skip
    by_kind: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for entry in tasks.values():
        by_kind[
            (entry.get("q") or "?", (entry.get("f") or entry.get("task") or "?").rsplit(".", 1)[-1])
        ].append(entry)
    for (queue, kind), entries in sorted(by_kind.items()):
        waits = [e["start"] - e["sent"] for e in entries if "start" in e and "sent" in e]
        ran = [e for e in entries if "start" in e and "end" in e]
        wall = statistics.fmean([e["end"] - e["start"] for e in ran] or [0]) * 1000
        cpu = statistics.fmean([e.get("cpu", 0) for e in ran] or [0]) * 1000
        runq = statistics.fmean([e.get("rq", 0) for e in ran] or [0]) * 1000
        expired = sum(1 for e in entries if "expired" in e)
        sent = sum(1 for e in entries if "sent" in e)
        longest = max(waits, default=0)
        print(f"  {queue:7}{kind:28}{sent:6}{len(ran):6}{expired:8}   {pct(waits, 50):8.2f}"
              f"{pct(waits, 95):6.1f}{longest:6.1f}   {wall:8.0f}{cpu:7.0f}{runq:8.0f}")  # fmt: skip
    print(f"  queue depth (sampled each second): orders max {max(depth['orders'])}, mean "
          f"{statistics.fmean(depth['orders']):.0f}; bulk max {max(depth['bulk'])}")  # fmt: skip
    for queue, stats in sorted(result["probes"].items()):
        total = sum(e["end"] - e["start"] for e in tasks.values() if e.get("q") == queue and "end" in e)
        cpu = sum(e.get("cpu", 0) for e in tasks.values() if e.get("q") == queue and "end" in e)
        runq = sum(e.get("rq", 0) for e in tasks.values() if e.get("q") == queue and "end" in e)
        calls = {k[5:]: v for k, v in stats.items() if k.startswith("call ") and not k.endswith(" in items")}
        print(f"  {queue} worker, all tasks: {total:.0f} s wall = {cpu:.0f} s CPU + {runq:.0f} s waiting for "
              f"a CPU + the rest waiting on I/O; inside: SQL {stats.get('sql', [0, 0])[1]:.0f} s "
              f"({stats.get('sql', [0, 0])[0]:.0f} queries), cache {stats.get('cache', [0, 0])[1]:.1f} s, "
              f"client calls {sum(v[1] for v in calls.values()):.0f} s: "
              + ", ".join(f"{k} {v[0]:.0f}× {v[1] / max(1, v[0]) * 1000:.0f} ms"
                          for k, v in sorted(calls.items(), key=lambda kv: -kv[1][1])[:6]))  # fmt: skip

    print("\ncatalogue integrations' bulk runs (first two of each flow):")
    shown: dict[tuple[int, str], int] = defaultdict(int)
    for run in (
        SyncRun.objects.filter(integration_id__in=result["catalogue_ids"])
        .exclude(flow__in=[Flow.SHOP_ORDERS_TO_VISMA, Flow.VISMA_ORDER_STATUS_TO_SHOP])
        .order_by("started_at")
    ):
        if shown[(run.integration_id, run.flow)] >= 2:
            continue
        shown[(run.integration_id, run.flow)] += 1
        took = (run.finished_at - run.started_at).total_seconds() if run.finished_at else None
        lines = read_log(run.log)
        last = lines[-1][:90] if lines else ""
        offset = run.started_at.timestamp() - result["started"]
        duration = f"{took:7.1f} s" if took is not None else "running"
        print(f"  #{index_of[run.integration_id]} {run.flow:26} at {offset:+6.0f} s {duration:>9} "
              f"{run.status:9} {last}")  # fmt: skip

    cpu = result["cpu"]
    groups: dict[str, float] = defaultdict(float)
    for name, seconds in cpu.items():
        groups[name.split("-")[0] if name.startswith(("agent", "shops")) else name] += seconds
    groups["postgres (this database)"] = result["postgres_cpu"]
    print(
        f"\nCPU seconds over the {result['window']:.0f} s window: "
        + ", ".join(f"{k} {v:.1f}" for k, v in sorted(groups.items(), key=lambda kv: -kv[1]))
    )

    p95 = pct(latencies, 95)
    p95_ok = through == n and p95 <= target
    starve_ok = not starved
    print(f"\ntarget: p95 ≤ poll + {SLACK_SECONDS:g} s = {target:g} s: p95 {p95:.1f} s "
          f"{'PASS' if p95_ok else 'FAIL'}")  # fmt: skip
    print(f"no integration starved (all orders through, worst ≤ {target:g} s): "
          + ("PASS" if starve_ok else f"FAIL: {len(starved)} of {args.integrations} integrations "
             f"({sum(missing.values())} orders not through; "
             f"{sum(1 for i in starved if not missing.get(i))} only too slow)"))  # fmt: skip
    return p95_ok and starve_ok


def _with_latency(placed: list[Placed], steps: dict) -> list[tuple[Placed, float]]:  # type: ignore[type-arg]
    return [(o, steps[(o.integration, o.reference)]["in_visma"] - o.at) for o in placed
            if "in_visma" in steps.get((o.integration, o.reference), {})]  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--integrations", type=int, default=200)
    parser.add_argument(
        "--orders", type=int, default=1500, help="orders in all, spread over the integrations"
    )
    parser.add_argument("--minutes", type=float, default=5, help="the order stream's length")
    parser.add_argument("--catalogue-articles", type=int, default=20_000)
    parser.add_argument("--catalogue-integrations", type=int, default=3)
    parser.add_argument("--poll", type=int, default=10, help="poll_orders (and order status), seconds")
    parser.add_argument("--catalogue-poll", type=int, default=60, help="products/prices/stock, seconds")
    parser.add_argument(
        "--tier", default="400", help="the merchants' package (400: order status and price lists too)"
    )
    parser.add_argument("--shop-hosts", type=int, default=2, help="processes serving the ordinary shops")
    parser.add_argument("--agents", type=int, default=4, help="agents shared by the ordinary integrations")
    parser.add_argument(
        "--orders-concurrency", type=int, default=16,
        help="the orders worker's threads (its processes with --orders-pool prefork)",
    )  # fmt: skip
    parser.add_argument(
        "--orders-pool",
        choices=["prefork", "threads"],
        default="threads",
        help="the orders worker's pool (default: threads, as docker-compose runs it)",
    )
    parser.add_argument("--bulk-concurrency", type=int, default=1, help="the bulk worker's processes")
    parser.add_argument("--catalogue-wait", type=float, default=120, help="longest wait for the sync")
    parser.add_argument("--drain", type=float, default=180, help="seconds after the stream to finish")
    parser.add_argument(
        "--quick", action="store_true", help="20 integrations, 200 orders over 2 min, 2,000 articles"
    )
    parser.add_argument("--database", default="sharespine_fleetbench", help="created and dropped")
    parser.add_argument("--redis-db", type=int, default=13, help="purged before and after")
    parser.add_argument("--as-shops", nargs=2, type=int, help=argparse.SUPPRESS)
    parser.add_argument("--as-worker", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--as-beat", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.orders_pool:
        os.environ["BENCH_ORDERS_POOL"] = args.orders_pool  # read by the worker processes it starts
    if args.as_shops:
        return serve_shops(*args.as_shops)
    if args.as_worker:
        queue, concurrency, folder = args.as_worker
        return run_worker(queue, int(concurrency), f"{queue}-fleet-{os.getpid()}@localhost", folder)
    if args.as_beat:
        return run_beat(args.as_beat)
    if args.quick:
        args.integrations, args.orders, args.minutes, args.catalogue_articles = 20, 200, 2, 2000
        args.agents = min(args.agents, 2)
    args.catalogue_integrations = min(args.catalogue_integrations, args.integrations - 1)

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    maintenance, database, redis = own_services(args)
    tmp = Path(tempfile.mkdtemp(prefix="bench-fleet-"))
    os.environ.update(DATABASE_URL=database, REDIS_URL=redis, VAR_DIR=str(tmp / "var"),
                      DJANGO_SETTINGS_MODULE="sharespine.settings",
                      LOG_LEVEL=os.environ.get("BENCH_LOG_LEVEL", "WARNING"))  # fmt: skip
    ok = False
    with throwaway_database(maintenance, args.database):
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        purge_redis()
        try:
            result = run(args, tmp, args.database)
            ok = figures(result, args)
        finally:
            purge_redis()
    print(f"(logs in {tmp})")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
