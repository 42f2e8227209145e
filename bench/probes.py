"""Timing probes for benchmarks: ``time.perf_counter`` around client calls, SQL, cache calls and a
few engine steps, summed per name in one process.

A probe costs two clock readings and a dict update (well under a microsecond), against calls that
take milliseconds, so the process being measured runs at its normal speed. Probes nest: the time of
a client call is also inside the engine step that made it, so sums are only compared within a kind.

    install(engine=True)   # in the measured process, before the work starts
    snapshot()             # {"call visma.create_document": (calls, seconds), ...}
"""

from __future__ import annotations

import functools
import gc
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

# name → [calls, seconds]
STATS: defaultdict[str, list[float]] = defaultdict(lambda: [0, 0.0])
# Every client method the order and status flows use; "call " + system + method is the probe name.
CLIENT_METHODS = {
    "jetshop": ("list_orders_by_status", "get_order", "set_order_status"),
    "visma": (
        "find_documents",
        "find_customers",
        "create_customer",
        "create_document",
        "vat_codes",
        "get_article",
        "document_events",
        "heartbeat",
    ),
}
# Engine steps (inclusive times), as module attribute → probe name. The callers look these names
# up on the module at call time, so replacing the attribute is enough.
# Orders as the run processes them in order: a chunk claimed together, each order processed, the
# chunk's successes completed together, unused claims put back.
ITEM_STEPS = ("step process_chunk",)
ENGINE_STEPS = {
    ("flows.engine.runner", "_process_chunk"): "step process_chunk",
    ("flows.engine", "claim_many"): "step claim",
    ("flows.engine", "complete_many"): "step complete",
    ("flows.engine.runner", "process_claimed"): "step process_claimed",
    ("flows.engine", "ingest"): "step ingest (pull stored)",
    # The pure map: the draft document, then (after rules and plugins) its totals check.
    ("flows.shop_orders_to_visma", "draft_order"): "step map_order",
    ("flows.shop_orders_to_visma", "finish_order"): "step map_order",
    ("flows.customers", "resolve"): "step resolve customer",
}
_installed: set[str] = set()
# > 0 while an item is being processed: leaf probes then also add to "<name> in items".
_inside_item = [0]


def timed(name: str, function: Callable[..., Any], latency: float = 0.0) -> Callable[..., Any]:
    """``function`` with a probe; ``latency`` seconds are slept inside it (a network's round trip)."""
    stats, in_items = STATS[name], STATS[f"{name} in items"]
    marks_item = name in ITEM_STEPS

    @functools.wraps(function)
    def probe(*args: Any, **kwargs: Any) -> Any:
        inside = _inside_item[0]
        if marks_item:
            _inside_item[0] += 1
        started = time.perf_counter()
        try:
            if latency:
                time.sleep(latency)
            return function(*args, **kwargs)
        finally:
            seconds = time.perf_counter() - started
            stats[0] += 1
            stats[1] += seconds
            if marks_item:
                _inside_item[0] -= 1
            elif inside:
                in_items[0] += 1
                in_items[1] += seconds

    return probe


def install(*, engine: bool = False, latency_ms: float = 0.0) -> None:
    """Probes on the clients; with ``engine``, also on SQL, the Django cache and engine steps.

    ``latency_ms`` adds that much to every client call, as if the shop and the agent were across
    a network instead of on loopback.
    """
    from importlib import import_module

    from connectors.jetshop import JetshopClient
    from connectors.visma.client import VismaClient

    if "clients" not in _installed:
        for system, cls in (("jetshop", JetshopClient), ("visma", VismaClient)):
            for method in CLIENT_METHODS[system]:
                probe = timed(f"call {system}.{method}", getattr(cls, method), latency_ms / 1000)
                setattr(cls, method, probe)
        _installed.add("clients")
    if engine and "engine" not in _installed:
        from django.core.cache.backends.redis import RedisCache
        from django.db.backends.utils import CursorWrapper

        # Every query, executemany included, goes through this one method.
        CursorWrapper._execute_with_wrappers = timed("sql", CursorWrapper._execute_with_wrappers)
        for method in ("get", "set", "add", "delete", "touch"):
            setattr(RedisCache, method, timed("cache", getattr(RedisCache, method)))
        gc.callbacks.append(_time_gc)
        for (module_name, attribute), name in ENGINE_STEPS.items():
            module = import_module(module_name)
            if hasattr(module, attribute):  # a step the code no longer has is left out
                setattr(module, attribute, timed(name, getattr(module, attribute)))
        _installed.add("engine")


_gc_started = [0.0]


def _time_gc(phase: str, info: dict[str, int]) -> None:
    """Python's cyclic garbage collector, per generation: a big heap makes full collections slow."""
    if phase == "start":
        _gc_started[0] = time.perf_counter()
        return
    seconds = time.perf_counter() - _gc_started[0]
    for name in (f"gc generation {info['generation']}", *(["gc in items"] if _inside_item[0] else [])):
        STATS[name][0] += 1
        STATS[name][1] += seconds


def snapshot() -> dict[str, tuple[int, float]]:
    return {name: (int(calls), seconds) for name, (calls, seconds) in STATS.items() if calls}


def reset() -> None:
    """Zero every sum in place (the probes hold on to their own entries)."""
    for stats in STATS.values():
        stats[0], stats[1] = 0, 0.0
