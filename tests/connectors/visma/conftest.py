"""A real agent (simulated backend, demo company) on a free loopback port, shared by the session.

One agent per process, like the ADK's one open company per process: tests use their own references
and customers so they do not step on each other.
"""

from __future__ import annotations

import multiprocessing
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import waitress

from connectors.visma.agent.__main__ import seed_company
from connectors.visma.agent.app import Agent, build_agent
from connectors.visma.agent.config import AgentConfig
from connectors.visma.client import VismaClient

KEY_ID = "test-key"
SECRET = "test-secret-0123456789abcdef"


@dataclass
class RunningAgent:
    base_url: str
    agent: Agent
    client: VismaClient
    company: Path
    config: AgentConfig


@pytest.fixture(scope="session")
def running_agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningAgent]:
    company = tmp_path_factory.mktemp("visma") / "company.sqlite"
    seed_company(company, demo=True)
    config = AgentConfig(
        key_id=KEY_ID,
        secret=SECRET,
        backend="simulated",
        company=str(company),
        queue_size=64,
        request_timeout=30,
        event_overlap_seconds=0.5,
    )
    agent = build_agent(config)
    server = waitress.create_server(agent.app, host="127.0.0.1", port=0, threads=8)
    thread = threading.Thread(target=server.run, name="visma-agent-http", daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{server.effective_port}"
    client = VismaClient(base_url, KEY_ID, SECRET, read_timeout=30, pool_size=16)
    try:
        yield RunningAgent(base_url, agent, client, company, config)
    finally:
        client.close()
        server.close()
        agent.stop()


@pytest.fixture
def agent(running_agent: RunningAgent) -> RunningAgent:
    return running_agent


@pytest.fixture
def client(running_agent: RunningAgent) -> VismaClient:
    return running_agent.client


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:10]


@pytest.fixture
def in_fresh_process(tmp_path: Path) -> Callable[..., Any]:
    """Run ``fn(company_path, options)`` in a spawned process: a company of its own (the simulated
    ADK holds one per process, and this one's is the session agent's). Returns what ``fn`` returns.
    """

    def run(fn: Callable[[str, dict[str, Any]], Any], **options: Any) -> Any:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
            return pool.submit(fn, str(tmp_path / "company.sqlite"), options).result(timeout=60)

    return run
