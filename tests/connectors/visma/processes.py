"""Run the agent as its own process, exactly as an operator starts it (``python -m ... serve``).

Every agent in these tests is a process of its own: the simulated ADK, like the real one, holds one
open company per process, and the test process may already hold one for another package's tests
(tests/flows runs an agent in a thread). Settings fixed at start (queue size, ODBC, simulator
options) come from a config file, as in production.
"""

from __future__ import annotations

import json
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

ROOT = Path(__file__).resolve().parents[3]
KEY_ID = "test-key"
SECRET = "test-secret-0123456789abcdef"


@dataclass
class AgentProcess:
    base_url: str
    client: VismaClient
    process: subprocess.Popen
    log: Path
    company: Path | None = None

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def seed(company: Path, *args: str) -> Path:
    """``python -m connectors.visma.agent seed``: a demo company at ``company``."""
    done = subprocess.run(
        agent_command("seed", "--company", str(company), *args),
        cwd=ROOT,
        env=agent_env(),
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return company


def config_file(tmp_path: Path, settings: Mapping[str, object]) -> str:
    path = tmp_path / f"agent-{len(list(tmp_path.glob('agent-*.json')))}.json"
    path.write_text(json.dumps(dict(settings)), encoding="utf-8")
    return str(path)


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
    company = Path(args[args.index("--company") + 1]) if "--company" in args else None
    try:
        _wait_until_up(base_url, process, log)
        yield AgentProcess(base_url, client, process, log, company)
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
