"""A real agent (simulated backend, demo company) in its own process on a loopback port, shared by
the tests of this package; they use their own references and customers so they do not step on each
other. Why a process: see ``processes.py``.
"""

from __future__ import annotations

import multiprocessing
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from connectors.visma.client import VismaClient
from tests.connectors.visma.processes import AgentProcess, config_file, seed, serving

# Room for the concurrency tests (12 parallel creates) without a 503; the queue limit itself is
# tested on an agent of its own (test_cli.py).
SETTINGS = {"queue_size": 16, "threads": 24, "request_timeout": 30, "event_overlap_seconds": 0.5}


@pytest.fixture(scope="package")
def running_agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AgentProcess]:
    tmp = tmp_path_factory.mktemp("visma")
    company = seed(tmp / "company.sqlite")
    with serving(tmp, "--company", str(company), "--config", config_file(tmp, SETTINGS)) as agent:
        yield agent


@pytest.fixture
def agent(running_agent: AgentProcess) -> AgentProcess:
    return running_agent


@pytest.fixture
def client(running_agent: AgentProcess) -> VismaClient:
    return running_agent.client


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:10]


@pytest.fixture
def in_fresh_process(tmp_path: Path) -> Callable[..., Any]:
    """Run ``fn(company_path, options)`` in a spawned process, for checks that open a company in
    process (the simulated ADK holds one per process). Returns what ``fn`` returns.
    """

    def run(fn: Callable[[str, dict[str, Any]], Any], **options: Any) -> Any:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
            return pool.submit(fn, str(tmp_path / "company.sqlite"), options).result(timeout=60)

    return run
