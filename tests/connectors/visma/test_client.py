"""Client error mapping and the company thread's bounded queue."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import datetime

import pytest
import requests

from connectors.errors import PermanentError, RateLimited, TransientError
from connectors.visma import protocol as P
from connectors.visma.agent import VERSION
from connectors.visma.agent.server import map_exception
from connectors.visma.agent.worker import CompanyWorker, QueueFull
from connectors.visma.client import VismaClient
from flows.engine import agent_status
from tests.factories import VismaAgentFactory


def test_unreachable_agent_is_transient():
    client = VismaClient("http://127.0.0.1:9", "k", "s" * 20, connect_timeout=0.5, read_timeout=0.5)
    with pytest.raises(TransientError) as info:
        client.identity()
    assert info.value.system == "visma"


def test_heartbeat_carries_what_the_server_stores(client):
    beat = client.heartbeat()
    assert (beat.backend, beat.agent_version, beat.company_name) == (
        "simulated",
        "1.0.0",
        "Simulerat Företag AB",
    )
    assert beat.last_seen.tzinfo is not None


def test_full_queue_answers_503_with_retry_after():
    release = threading.Event()
    worker = CompanyWorker(lambda: None, lambda: None, maxsize=1)
    worker.start()
    try:
        threading.Thread(target=lambda: worker.call(release.wait), daemon=True).start()
        while worker.depth:  # the blocking job is picked up, then one more fits in the queue
            pass
        threading.Thread(target=lambda: worker.call(lambda: None), daemon=True).start()
        while not worker.depth:
            pass
        with pytest.raises(QueueFull):
            worker.call(lambda: None)
        response = map_exception(QueueFull())
        assert response.status == 503 and response.headers["Retry-After"] == "1"
    finally:
        release.set()
        worker.stop()


def _response(status: int, body: dict, headers: dict | None = None) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps(body).encode()
    response.headers.update(headers or {})
    return response


@pytest.mark.parametrize(
    ("mapping_case", "status", "error", "headers", "expected", "code"),
    [
        (
            "queue_full",
            503,
            {"category": "transient", "message": "busy", "transient": True},
            {"Retry-After": "3"},
            RateLimited,
            503,
        ),
        (
            "exclusive_lock",
            503,
            {
                "category": "transient",
                "message": "lock",
                "code": 486,
                "name": "ADKE_EXCLUSIVE_LOCK",
                "transient": True,
            },
            {},
            TransientError,
            486,
        ),
        (
            "validation",
            422,
            {
                "category": "validation",
                "message": "no article",
                "code": 50,
                "name": "ADKE_OOF_INVALID_ARTICLE",
            },
            {},
            PermanentError,
            50,
        ),
        (
            "unauthorized",
            401,
            {"category": "unauthorized", "message": "request refused"},
            {},
            PermanentError,
            401,
        ),
        ("internal", 500, {"category": "internal", "message": "boom"}, {}, TransientError, 500),
    ],
)
def test_error_mapping(mapping_case, status, error, headers, expected, code):
    client = VismaClient("http://127.0.0.1:9", "k", "s" * 20)
    exc = client._error(_response(status, {"error": error}, headers))
    assert type(exc) is expected
    assert exc.code == code and exc.system == "visma"
    if mapping_case == "queue_full":
        assert exc.retry_after == 3.0
    if mapping_case == "validation":
        assert exc.detail.startswith("ADKE_OOF_INVALID_ARTICLE")


def test_identity_reports_company_queue_and_last_write(client, unique):
    before = datetime.now().astimezone().replace(microsecond=0)
    client.create_customer(P.CustomerInput(number=f"I{unique}", name="Identitet"), uuid.uuid4().hex)
    identity = client.identity()
    assert (identity.company_name, identity.org_number) == ("Simulerat Företag AB", "556677-8899")
    assert (identity.program_variant, identity.api_licensed, identity.backend) == (
        "ADKI_ADMIN2000",
        True,
        "simulated",
    )
    assert identity.queue_depth == 0
    assert datetime.fromisoformat(identity.last_successful_write) >= before


@pytest.mark.django_db
def test_heartbeat_fills_the_visma_agent_row(client):
    row = VismaAgentFactory()
    agent_status.mark_online(row.integration_id, **client.heartbeat().agent_fields())
    row.refresh_from_db()
    assert (row.agent_version, row.backend, row.company_name) == (
        VERSION,
        "simulated",
        "Simulerat Företag AB",
    )
    assert row.last_seen_at is not None and row.offline_since is None
