"""``manage.py reconcile``: JSON per payout, exit status 2 for an unreadable file, re-import says so."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from reconciliation.models import Payout
from tests.connectors.visma.processes import KEY_ID, SECRET
from tests.factories import IntegrationFactory, VismaAgentFactory
from tests.reconciliation.samples import SAMPLES

pytestmark = pytest.mark.django_db


@pytest.fixture
def integration(sample_agent):
    integration = IntegrationFactory(reconciliation_enabled=True)
    VismaAgentFactory(integration=integration, agent_url=sample_agent.base_url, key_id=KEY_ID, secret=SECRET)
    return integration


def run(*args: str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("reconcile", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = int(exc.code)
    return code, out.getvalue(), err.getvalue()


def test_import_json_fields(integration):
    code, out, err = run(
        "import", "--integration", str(integration.pk), "--json",
        str(SAMPLES / "nets-settlement.csv"), str(SAMPLES / "svea-reconciliation-report.json"),
    )  # fmt: skip
    assert code == 0, err
    payouts = json.loads(out)
    assert [(p["provider"], p["reference"], p["total"]) for p in payouts] == [
        ("nets", "8842931705", "2348.63"),
        ("svea", "79021 20250312", "2268.24"),
        ("svea", "79022 20250312", "1179.27"),
    ]
    nets = payouts[0]
    assert nets["currency"] == "SEK" and nets["lines"] == 10 and nets["duplicates"] == 1 and nets["balanced"]
    assert nets["held_reason"] == ""
    # 100230's charge was paid out in an earlier payout: its late FEE row goes onto the voucher;
    # the chargeback of paid invoice 4901 is a dispute on the voucher. Nothing is left open.
    assert nets["unmatched"] == []
    assert nets["matched"] == 7  # 5 charges on 4 invoices, the refund on credit 5013, the chargeback


def test_unreadable_file_exit_2_and_the_others_imported(integration, tmp_path):
    bad = tmp_path / "garbage.csv"
    bad.write_bytes(b"nothing;to;see\n1;2;3\n")
    code, out, err = run(
        "import", "--integration", str(integration.pk), str(bad), str(SAMPLES / "klarna-settlement.csv"),
        str(tmp_path / "missing.csv"),
    )  # fmt: skip
    assert code == 2
    lines = err.strip().splitlines()
    assert any(line.startswith(f"{bad}: ") and "known formats" in line for line in lines)
    assert any(line.startswith(f"{tmp_path / 'missing.csv'}: ") for line in lines)
    assert "klarna 7360158214 SEK 2984.03" in out
    assert Payout.objects.filter(integration=integration).count() == 1


def test_same_file_again_imports_nothing_and_says_so(integration):
    path = str(SAMPLES / "klarna-sftp" / "7360158299.20250312T000000+0000.csv")
    assert run("import", "--integration", str(integration.pk), path)[0] == 0
    code, out, err = run("import", "--integration", str(integration.pk), path)
    assert code == 0 and out == "" and "already imported; nothing imported" in err
    assert Payout.objects.filter(integration=integration).count() == 1


def test_post_and_sie(integration, tmp_path):
    run("import", "--integration", str(integration.pk), str(SAMPLES / "nets-payout-details.json"))
    payout = Payout.objects.get(integration=integration)
    code, out, err = run("sie", str(payout.pk), "-o", str(tmp_path / "nets.si"))
    assert code == 0
    text = (tmp_path / "nets.si").read_bytes().decode("cp437")
    assert text.startswith("#FLAGGA 0\r\n") and "#TRANS 6570 {} 160.36" in text


def test_sie_for_a_period_and_a_foreign_payout_only_once_in_the_bank(integration, tmp_path):
    for name in (
        "klarna-settlement.csv",
        "nets-payout-details.json",
        "klarna-sftp/7360158299.20250312T000000+0000.csv",
    ):
        run("import", "--integration", str(integration.pk), str(SAMPLES / name))
    out = tmp_path / "march.si"
    code, text, err = run(
        "sie",
        "--from",
        "2025-03-01",
        "--to",
        "2025-03-31",
        "--integration",
        str(integration.pk),
        "-o",
        str(out),
    )
    assert code == 0 and "2 payout(s)" in text  # the NOK payout is left out until it is in the bank
    data = out.read_bytes().decode("cp437")
    assert data.count("#VER") == 4 and "7360158214" in data and "8842931705" in data
    with pytest.raises(CommandError, match="not in the bank yet"):  # no rate to kronor yet
        call_command("reconcile", "sie", "7360158299", "-o", str(tmp_path / "nok.si"))
