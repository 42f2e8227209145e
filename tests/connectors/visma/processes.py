"""Run the agent as its own process, exactly as an operator starts it (``python -m ... serve``).

Used where the in-process session agent cannot serve: the command line itself, settings fixed at
start (queue size, threads, simulator options), and companies of their own (the simulated ADK,
like the real one, holds one open company per process).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from connectors.visma.client import VismaClient
from tests.connectors.visma.conftest import KEY_ID, SECRET

ROOT = Path(__file__).resolve().parents[3]


@dataclass
class AgentProcess:
    base_url: str
    client: VismaClient
    process: subprocess.Popen
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def agent_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "connectors.visma.agent", *args]


def agent_env(
    *, keys: bool = True, pythonpath: Path | None = None, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VISMA_AGENT_")} | dict(extra or {})
    if keys:
        env |= {"VISMA_AGENT_KEY_ID": KEY_ID, "VISMA_AGENT_SECRET": SECRET}
    paths = [str(pythonpath)] if pythonpath else []
    env["PYTHONPATH"] = os.pathsep.join([*paths, str(ROOT)])
    return env


@contextmanager
def serving(
    tmp_path: Path,
    *args: str,
    keys: bool = True,
    pythonpath: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> Iterator[AgentProcess]:
    """``serve`` on a free loopback port until the block ends; waits for /v1/health first."""
    port = free_port()
    log = tmp_path / f"agent-{port}.log"
    command = agent_command("serve", "--host", "127.0.0.1", "--port", str(port), *args)
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=agent_env(keys=keys, pythonpath=pythonpath, extra=env),
            stdout=sink,
            stderr=sink,
        )
    base_url = f"http://127.0.0.1:{port}"
    client = VismaClient(base_url, KEY_ID, SECRET, read_timeout=30, pool_size=16)
    try:
        _wait_until_up(base_url, process, log)
        yield AgentProcess(base_url, client, process, log)
    finally:
        client.close()
        process.terminate()
        process.wait(10)


def _wait_until_up(base_url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the agent exited with {process.returncode}:\n{log.read_text()}")
        try:
            if requests.get(base_url + "/v1/health", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            time.sleep(0.05)
    raise AssertionError(f"the agent did not come up:\n{log.read_text()}")
