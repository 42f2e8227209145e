"""Slow clients do not hold up other visitors of the web process (Dockerfile's command).

Found by probing: with gunicorn's 3 sync workers, 3 clients sending their headers slowly made
every other request wait ~31 s.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bench.slow_clients import free_port, get, server, slow_clients

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e


def test_requests_are_answered_at_once_while_many_clients_trickle_their_headers():
    port = free_port()
    with server("waitress", port), slow_clients(port, 60, every=1.0):
        times = [get(port, timeout=20) for _ in range(10)]
    assert max(times) < 2.0, times


def test_the_dockerfile_compose_and_procfile_start_that_server():
    assert re.search(r'CMD \["python", "-m", "sharespine\.webserver"', (ROOT / "Dockerfile").read_text())
    assert "sharespine.webserver" in (ROOT / "docker-compose.yml").read_text()
    web = next(line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:"))
    assert "-m sharespine.webserver" in web
