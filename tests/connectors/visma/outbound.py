"""The outbound transport as an operator runs it: a gateway process, agents dialling out to it, and a
TCP relay between them whose connections the test can cut (a flaky office line)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from connectors.visma.client import VismaClient
from connectors.visma.gateway.broker import RedisBroker, SqliteBroker
from connectors.visma.gateway.transport import OUTBOUND_BASE_URL, GatewayTransport
from tests.connectors.visma.processes import ROOT, AgentProcess, agent_command, agent_env, free_port


def redis_url() -> str:
    url = os.environ.get("REDIS_URL")
    assert url, "REDIS_URL must point at the test Redis"
    return url


class GatewayServer:
    """A gateway process the tests start, kill (no goodbye) and stop."""

    process: subprocess.Popen | None = None

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


class GatewayProcess(GatewayServer):
    """``python -m connectors.visma.gateway`` (the same server ``manage.py agent_gateway`` runs)."""

    def __init__(
        self, tmp_path: Path, keys: Mapping[str, str], port: int | None = None, sqlite: Path | None = None
    ) -> None:
        self.sqlite = sqlite  # the broker: this SQLite file instead of Redis (make run's)
        self.port = port or free_port()
        self.secrets = tmp_path / f"gateway-secrets-{self.port}.json"
        self.secrets.write_text(json.dumps(dict(keys)), encoding="utf-8")
        self.log = tmp_path / f"gateway-{self.port}.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self) -> GatewayProcess:
        broker = ["--sqlite", str(self.sqlite)] if self.sqlite else ["--redis-url", redis_url()]
        with self.log.open("ab") as sink:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "connectors.visma.gateway", "--port", str(self.port), *broker,
                 "--secrets", str(self.secrets), "--refresh", "1", "--ping", "2"],
                cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=sink, stderr=sink,
            )  # fmt: skip
        wait_for_port(self.port, self.process, self.log)
        return self

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def wait_for_port(port: int, process: subprocess.Popen, log: Path, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"exited with {process.returncode}:\n{log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"port {port} did not open:\n{log.read_text()}")


def gateway_client(key_id: str, secret: str, read_timeout: float = 30) -> VismaClient:
    transport = GatewayTransport(
        RedisBroker(redis_url()), key_id, read_timeout=read_timeout, close_broker=True
    )
    return VismaClient(OUTBOUND_BASE_URL, key_id, secret, transport=transport)


def sqlite_client(path: Path, key_id: str, secret: str) -> VismaClient:
    transport = GatewayTransport(SqliteBroker(path), key_id, read_timeout=30, close_broker=True)
    return VismaClient(OUTBOUND_BASE_URL, key_id, secret, transport=transport)


def wait_connected(client: VismaClient, log: Path, timeout: float = 20) -> None:
    transport = client.http
    assert isinstance(transport, GatewayTransport)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if transport.broker.owner(transport.key_id):
            return
        time.sleep(0.05)
    raise AssertionError(f"the agent did not connect:\n{log.read_text()}")


@contextmanager
def dialling_out(
    tmp_path: Path,
    gateway_url: str,
    *args: str,
    key_id: str,
    secret: str,
    wait: bool = True,
) -> Iterator[AgentProcess]:
    """``serve --gateway URL``: the agent with no listening port, until the block ends."""
    log = tmp_path / f"agent-out-{key_id}-{time.monotonic_ns()}.log"
    env = agent_env(keys=False) | {"VISMA_AGENT_KEY_ID": key_id, "VISMA_AGENT_SECRET": secret}
    with log.open("wb") as sink:
        process = subprocess.Popen(
            agent_command("serve", "--gateway", gateway_url, *args),
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=sink,
        )
    client = gateway_client(key_id, secret)
    company = Path(args[args.index("--company") + 1]) if "--company" in args else None
    try:
        if wait:
            wait_connected(client, log)
        yield AgentProcess(gateway_url, client, process, log, company)
    finally:
        client.close()
        if process.poll() is None:
            process.terminate()
            process.wait(10)


class Relay:
    """A TCP relay on loopback (the office's line to the server); ``cut()`` drops every connection."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                inner, _ = self.listener.accept()
            except OSError:
                return
            try:
                outer = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:  # the server is down (being restarted): the caller sees the line drop
                inner.close()
                continue
            with self.lock:
                self.sockets += [inner, outer]
            threading.Thread(target=self._pipe, args=(inner, outer), daemon=True).start()
            threading.Thread(target=self._pipe, args=(outer, inner), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for s in (source, sink):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self) -> None:
        with self.lock:
            cut, self.sockets = self.sockets, []
        for s in cut:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def close(self) -> None:
        self.cut()
        self.listener.close()
