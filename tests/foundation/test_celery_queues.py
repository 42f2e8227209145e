"""A real Celery worker per queue, on real Redis: tasks reach the queue they are routed to."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.cache import cache

from flows import heartbeats
from flows.tasks import record_queue_heartbeat
from sharespine.celery import app

ROOT = Path(__file__).resolve().parents[2]


def _start_worker(queue: str, hostname: str) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "sharespine",
            "worker",
            "--queues",
            queue,
            "--hostname",
            hostname,
            "--concurrency",
            "1",
            "--pool",
            "solo",
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


@pytest.fixture
def workers():
    if not os.environ.get("REDIS_URL"):
        pytest.fail("REDIS_URL must point at the test Redis: the worker test never runs eagerly")
    app.control.purge()
    for queue in heartbeats.QUEUES:
        cache.delete(f"queue-heartbeat:{queue}")
    procs = {queue: _start_worker(queue, f"{queue}-worker@test") for queue in heartbeats.QUEUES}
    yield procs
    for proc in procs.values():
        proc.terminate()
    for proc in procs.values():
        proc.wait(timeout=30)


def test_each_queue_is_consumed_by_the_worker_that_listens_to_it(workers):
    assert app.conf.task_serializer == "json" and not app.conf.task_always_eager
    for queue in heartbeats.QUEUES:
        record_queue_heartbeat.apply_async((queue,), queue=queue)

    deadline = time.monotonic() + 60
    beats = heartbeats.read_all()
    while time.monotonic() < deadline and not all(beat.at for beat in beats):
        time.sleep(0.2)
        beats = heartbeats.read_all()

    by_queue = {beat.queue: beat for beat in beats}
    for queue, proc in workers.items():
        assert proc.poll() is None, proc.stderr.read().decode()
        assert by_queue[queue].at is not None, f"no worker consumed {queue}"
        assert by_queue[queue].worker == f"{queue}-worker@test"
        assert by_queue[queue].delivered_via == queue
        assert by_queue[queue].healthy
