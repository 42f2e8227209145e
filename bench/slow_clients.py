"""Slow clients against the web process: how long does a normal request wait meanwhile?

    python -m bench.slow_clients                      # the web process (sharespine.webserver)
    python -m bench.slow_clients --server gunicorn    # the former command: gunicorn, 3 sync workers
    python -m bench.slow_clients --slow 300 --requests 50

Starts the server on the embedded default (a temporary VAR_DIR), opens ``--slow`` connections
that send their request headers a line every two seconds and never finish them (slowloris), then
times ``--requests`` ordinary GETs of the login page, each on a new connection, and prints
median, 95th percentile and maximum.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PATH = "/accounts/login/"
SERVERS = {
    "waitress": [sys.executable, "-m", "sharespine.webserver", "--host", "127.0.0.1", "--port", "{port}"],
    # The Dockerfile's command before issue 15.
    "gunicorn": [sys.executable, "-m", "gunicorn", "sharespine.wsgi", "--bind", "127.0.0.1:{port}",
                 "--workers", "3"],
}  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(port: int, timeout: float = 60.0) -> float:
    """One GET on a new connection; seconds until the whole answer arrived."""
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(f"GET {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    if not answer.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(f"unexpected answer: {answer[:80]!r}")
    return time.perf_counter() - started


@contextmanager
def server(kind: str, port: int) -> Iterator[subprocess.Popen]:
    with tempfile.TemporaryDirectory() as var_dir:
        env = {
            k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DEBUG", "HTTPS")
        }
        env.update(VAR_DIR=var_dir, ALLOWED_HOSTS="127.0.0.1", DJANGO_SETTINGS_MODULE="sharespine.settings")
        command = [part.format(port=port) for part in SERVERS[kind]]
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    get(port, timeout=5)
                    break
                except (OSError, RuntimeError):
                    if process.poll() is not None or time.monotonic() > deadline:
                        error = process.stderr.read().decode()[-2000:] if process.poll() is not None else ""
                        raise RuntimeError(f"{kind} did not start: {error}") from None
                    time.sleep(0.2)
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextmanager
def slow_clients(port: int, count: int, every: float = 2.0) -> Iterator[list[socket.socket]]:
    """``count`` connections that trickle header lines and never end their request."""
    sockets = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        sock.sendall(f"GET {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode())
        sockets.append(sock)
    stop = threading.Event()

    def trickle() -> None:
        while not stop.wait(every):
            for sock in sockets:
                try:
                    sock.sendall(b"X-Slow: 1\r\n")
                except OSError:
                    pass

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    time.sleep(0.5)  # let the server take them all in
    try:
        yield sockets
    finally:
        stop.set()
        thread.join()
        for sock in sockets:
            sock.close()


def measure(kind: str, slow: int, requests: int) -> dict[str, float]:
    port = free_port()
    with server(kind, port), slow_clients(port, slow):
        times = [get(port) for _ in range(requests)]
    times.sort()
    return {
        "median": statistics.median(times),
        "p95": times[max(0, round(0.95 * len(times)) - 1)],
        "max": times[-1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", choices=sorted(SERVERS), default="waitress")
    parser.add_argument("--slow", type=int, default=3)
    parser.add_argument("--requests", type=int, default=10)
    args = parser.parse_args()
    figures = measure(args.server, args.slow, args.requests)
    print(
        f"{args.server}: {args.slow} slow clients, {args.requests} requests: "
        + ", ".join(f"{name} {seconds * 1000:.0f} ms" for name, seconds in figures.items())
    )


if __name__ == "__main__":
    main()
