"""A real Visma agent (simulated backend) for the reconciliation tests, and invoice helpers."""

from __future__ import annotations

import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

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


ERP_INVOICES = [  # from samples/erp-invoices.csv (SEK ones): number, order, amount, paid
    (4901, "100201", "349.00", True),
    (4950, "100190", "299.00", True),
    (4988, "100219", "149.00", True),
    (4990, "100230", "650.00", True),
    (5001, "100231", "1249.00", False),
    (5002, "100232", "999.00", False),
    (5003, "100234", "800.00", False),
    (5004, "100236", "459.00", False),
    (5005, "100237", "500.00", False),
    (5007, "100241", "799.00", False),
    (5008, "100242", "1500.00", False),
    (5009, "100243", "600.00", False),
    (5010, "100244", "199.00", False),
    (5011, "100219", "-149.00", False),
    (5012, "100234", "-300.00", False),
    (5013, "100243", "-250.00", False),
    (5015, "100250", "1249.00", False),
    (5016, "100251", "999.00", False),
    (5017, "100251", "-150.00", False),
    (5018, "100252", "459.00", False),
    (5019, "100253", "899.00", False),
    (5020, "100254", "349.00", False),
    (5021, "100255", "745.00", False),
]


@pytest.fixture(scope="package")
def sample_company(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A company holding the sample's invoices under their own numbers (built once, copied per test)."""
    tmp = tmp_path_factory.mktemp("recon-sample")
    company = seed(tmp / "company.sqlite")
    settings = {"queue_size": 16, "threads": 8, "request_timeout": 30}
    with serving(tmp, "--company", str(company), "--config", config_file(tmp, settings)) as agent:
        for number, order, amount, paid in ERP_INVOICES:
            # The simulator numbers invoices itself; set its counter so the sample's numbers come out.
            with sqlite3.connect(company, timeout=30) as conn:
                conn.execute("UPDATE prm2 SET sim_next_invoice_no = ?", (number,))
            made = make_invoice(agent.client, order, amount)
            assert made.number == number
            if paid:
                agent.client.sim(
                    "POST", f"invoices/{number}/payments", {"amount": amount, "date": "2025-02-28"}
                )
    with sqlite3.connect(company) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return company


@pytest.fixture
def sample_agent(sample_company: Path, tmp_path: Path) -> Iterator[AgentProcess]:
    """An agent on a fresh copy of the sample company: tests that post do not pay each other's invoices."""
    company = tmp_path / "company.sqlite"
    shutil.copy(sample_company, company)
    settings = {"queue_size": 16, "threads": 8, "request_timeout": 30}
    with serving(tmp_path, "--company", str(company), "--config", config_file(tmp_path, settings)) as agent:
        yield agent


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted in English; a request's own language (cookie) still wins inside it."""
    from django.utils import translation

    with translation.override("en"):
        yield
