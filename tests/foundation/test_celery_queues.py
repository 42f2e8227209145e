"""Real Celery workers, never eager mode: on Redis each queue reaches the worker that listens to it;
the embedded default's file broker runs tasks too; worker logs never show a secret."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.cache import cache

from flows.engine import heartbeats
from flows.tasks import record_queue_heartbeat
from sharespine.celery import app

ROOT = Path(__file__).resolve().parents[2]


def _start_worker(queues: str, hostname: str, log: Path, env: dict[str, str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "sharespine",
            "worker",
            "--queues",
            queues,
            "--hostname",
            hostname,
            "--pool",
            "solo",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=cwd,
        env={**env, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
    )


def _stop(procs) -> None:
    for proc in procs:
        proc.terminate()
    for proc in procs:
        proc.wait(timeout=30)


def _wait_for(condition, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while not (result := condition()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return result


@pytest.fixture
def workers(tmp_path):
    """One worker per queue on the test Redis; yields {queue: (process, log file)}."""
    if not os.environ.get("REDIS_URL"):
        pytest.fail("REDIS_URL must point at the test Redis: the worker test never runs eagerly")
    app.control.purge()
    for queue in heartbeats.QUEUES:
        cache.delete(f"queue-heartbeat:{queue}")
    started = {}
    for queue in heartbeats.QUEUES:
        log = tmp_path / f"{queue}.log"
        started[queue] = (_start_worker(queue, f"{queue}-worker@test", log, dict(os.environ), ROOT), log)
    yield started
    _stop([proc for proc, _ in started.values()])


def test_each_queue_is_consumed_by_the_worker_that_listens_to_it(workers):
    assert app.conf.task_serializer == "json" and not app.conf.task_always_eager
    for queue in heartbeats.QUEUES:
        record_queue_heartbeat.apply_async((queue,), queue=queue)

    beats = _wait_for(lambda: all(b.at for b in heartbeats.read_all()) and heartbeats.read_all())

    assert beats, "no worker consumed a queue within 60 s"
    by_queue = {beat.queue: beat for beat in beats}
    for queue, (proc, log) in workers.items():
        assert proc.poll() is None, log.read_text()
        assert by_queue[queue].worker == f"{queue}-worker@test"
        assert by_queue[queue].delivered_via == queue
        assert by_queue[queue].healthy


def test_worker_log_never_shows_a_secret(workers):
    # A message the worker cannot run is logged with its full body: the arguments must be redacted.
    app.send_task(
        "flows.tasks.no_such_task",
        args=["password=Hemligt-123", "redis://api:Pw-456@redis:6379/0"],
        queue="orders",
    )
    proc, log = workers["orders"]
    assert _wait_for(lambda: "no_such_task" in log.read_text()), log.read_text()
    _stop([proc])
    text = log.read_text()
    assert "Hemligt-123" not in text and "Pw-456" not in text
    assert "password=***" in text and "redis://***@redis" in text


def test_embedded_default_runs_tasks_on_the_file_broker_inside_var(tmp_path):
    """No DATABASE_URL, no REDIS_URL (`make run`): a worker consumes both queues from files under var/."""
    var, cwd = tmp_path / "var", tmp_path / "cwd"
    cwd.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["VAR_DIR"] = str(var)
    worker = _start_worker("orders,bulk", "embedded@test", tmp_path / "worker.log", env, cwd)
    send_and_wait = """
import json, time
from flows.engine import heartbeats
from flows.tasks import record_queue_heartbeat
for queue in heartbeats.QUEUES:
    record_queue_heartbeat.apply_async((queue,), queue=queue)
deadline = time.monotonic() + 60
while time.monotonic() < deadline and not all(b.at for b in heartbeats.read_all()):
    time.sleep(0.2)
print(json.dumps({b.queue: [b.worker, b.delivered_via] for b in heartbeats.read_all()}))
"""
    try:
        result = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), "shell", "-c", send_and_wait],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        _stop([worker])
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen == {queue: ["embedded@test", queue] for queue in heartbeats.QUEUES}, (
        tmp_path / "worker.log"
    ).read_text()
    # Broker, cache and keys all live under VAR_DIR; nothing lands in the working directory.
    assert list(cwd.iterdir()) == []
    assert (var / "broker" / "control").is_dir()
