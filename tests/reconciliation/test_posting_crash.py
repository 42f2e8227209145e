"""A posting process SIGKILLed half-way and run again: every invoice is paid exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from connectors.visma.ledger_client import LedgerClient
from reconciliation import service
from reconciliation.models import Posting
from reconciliation.posting import NotPostable, post_payout
from sharespine.metering.models import UsageEvent
from tests.connectors.visma.processes import KEY_ID, SECRET
from tests.factories import IntegrationFactory, VismaAgentFactory
from tests.reconciliation.samples import sample

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]
PAID = [5001, 5002, 5003, 5004, 5005, 5011, 5012]


def test_killed_while_posting_then_posted_again_pays_each_invoice_once(sample_agent):
    integration = IntegrationFactory(reconciliation_enabled=True)
    VismaAgentFactory(integration=integration, agent_url=sample_agent.base_url, key_id=KEY_ID, secret=SECRET)
    (result,) = service.import_files(integration, [("k.csv", sample("klarna-settlement.csv"))])
    (payout,) = result.payouts
    client = sample_agent.client
    client.sim("POST", "faults", {"operation": "write", "delay": "0.6"})  # each Visma write takes 0.6 s
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{connection.settings_dict['NAME']}",
    }
    process = subprocess.Popen(
        [sys.executable, "manage.py", "reconcile", "post", str(payout.pk)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    ledger = LedgerClient(client)
    # Kill once some, not all, payments are in Visma.
    while time.monotonic() < deadline:
        paid = [i for i in ledger.invoices(numbers=PAID) if i.balance == 0]
        if 2 <= len(paid) < len(PAID):
            break
        time.sleep(0.1)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL
    assert Posting.objects.get(payout=payout).status == Posting.Status.STARTED
    assert not UsageEvent.objects.exists(), "a payout half posted is not reconciled yet"
    client.sim("DELETE", "faults")
    posting = post_payout(payout.pk, ledger)  # what the retried task does
    assert posting.status == Posting.Status.DONE
    invoices = {i.number: i for i in ledger.invoices(numbers=PAID)}
    # A payment made twice would leave a negative balance.
    assert {n: i.balance for n, i in invoices.items()} == dict.fromkeys(PAID, Decimal("0.00"))
    counts = client.sim("GET", "counts")
    assert counts["customerpayment"] - 4 == len(PAID)  # 4 paid earlier by the sample's set-up
    # Reconciled once for the price model, and posting it again neither writes nor counts.
    with pytest.raises(NotPostable):
        post_payout(payout.pk, ledger)
    [event] = UsageEvent.objects.all()
    assert (event.customer_id, event.kind, event.key) == (integration.customer_id, "payout", str(payout.pk))
