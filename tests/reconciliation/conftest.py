"""A real Visma agent (simulated backend) for the reconciliation tests, and invoice helpers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal

import pytest

from connectors.visma import protocol as P
from connectors.visma.client import VismaClient
from connectors.visma.ledger_client import LedgerClient
from tests.connectors.visma.processes import AgentProcess, config_file, seed, serving


@pytest.fixture(scope="package")
def recon_agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AgentProcess]:
    tmp = tmp_path_factory.mktemp("recon-visma")
    company = seed(tmp / "company.sqlite")
    settings = {"queue_size": 16, "threads": 8, "request_timeout": 30}
    with serving(tmp, "--company", str(company), "--config", config_file(tmp, settings)) as agent:
        yield agent


@pytest.fixture
def visma(recon_agent: AgentProcess) -> VismaClient:
    return recon_agent.client


@pytest.fixture
def ledger(visma: VismaClient) -> LedgerClient:
    return LedgerClient(visma)


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:8]


def make_invoice(visma: VismaClient, reference: str, amount: str, *, customer: str = "1001") -> P.Document:
    """An invoice whose total (VAT included) is ``amount``, rounded as Visma rounds it."""
    row = P.DocumentRowInput(text="Varor", quantity=Decimal(1), price=Decimal(amount), vat_code="1")
    document = P.DocumentInput(
        kind="invoice", customer_number=customer, reference=reference, including_vat=True, rows=[row]
    )
    return visma.create_document(document, f"inv-{reference}-{uuid.uuid4().hex[:6]}")
