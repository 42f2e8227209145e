"""The agent as an operator runs it: ``python -m connectors.visma.agent serve|seed``, over real HTTP."""

from __future__ import annotations

import json
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from decimal import Decimal

import pytest

from connectors.errors import PermanentError, RateLimited, TransientError
from connectors.visma import protocol as P
from connectors.visma.client import VismaClient
from tests.connectors.visma.processes import KEY_ID, ROOT, SECRET, agent_command, agent_env, seed, serving


def test_serve_creates_an_empty_company_when_missing(tmp_path):
    company = tmp_path / "new" / "company.sqlite"
    with serving(tmp_path, "--backend", "simulated", "--company", str(company)) as agent:
        identity = agent.client.identity()
        assert company.exists()
        assert (identity.backend, identity.company_name, identity.org_number) == (
            "simulated",
            "Simulerat Företag AB",
            "556677-8899",
        )
        assert list(agent.client.iter_stock()) == []
        assert [p.code for p in agent.client.price_lists()] == ["1"]
        assert agent.client.find_customers(number="1001") == []


def test_serve_seeds_a_new_demo_company(tmp_path):
    company = tmp_path / "demo.sqlite"
    with serving(tmp_path, "--backend", "simulated", "--company", str(company), "--seed", "demo") as agent:
        client = agent.client
        assert len(list(client.iter_stock())) == 9
        assert [p.code for p in client.price_lists()] == ["1", "2", "3"]
        assert [c.name for c in client.find_customers(org_number="556036-0793")] == ["Bygg & Järn AB"]
        assert client.get_article("1001").in_stock == Decimal(40)


def test_seed_command_bulk_loads_articles(tmp_path):
    company = seed(tmp_path / "bulk.sqlite", "--articles", "50")
    with serving(tmp_path, "--backend", "simulated", "--company", str(company)) as agent:
        numbers = [line.article_number for line in agent.client.iter_stock(page_size=7)]
    assert len(numbers) == 59  # 9 demo articles and 50 bulk ones
    assert numbers == sorted(numbers)


def test_key_and_settings_from_a_config_file(tmp_path):
    config = tmp_path / "agent.toml"
    config.write_text(
        f'[agent]\nkey_id = "{KEY_ID}"\nsecret = "{SECRET}"\nbackend = "simulated"\n'
        f'company = "{(tmp_path / "c.sqlite").as_posix()}"\n',
        encoding="utf-8",
    )
    with serving(tmp_path, "--config", str(config), keys=False) as agent:
        assert agent.client.identity().backend == "simulated"
        stranger = VismaClient(agent.base_url, KEY_ID, "not-the-secret-0123456789")
        with pytest.raises(PermanentError) as info:
            stranger.identity()
        assert info.value.code == 401


@pytest.mark.parametrize(
    ("config_case", "settings", "message"),
    [
        ("no_secret", {}, "key id and secret are required"),
        ("short_secret", {"key_id": "k", "secret": "short"}, "at least 16 characters"),
        (
            "tracking_field_unknown",
            {"key_id": "k", "secret": SECRET, "tracking_field": "ADK_OOI_HEAD_NOPE"},
            "tracking_field",
        ),
        ("slot_out_of_range", {"key_id": "k", "secret": SECRET, "order_invoice_slot": 5}, "slot"),
        ("simulator_option_unknown", {"key_id": "k", "secret": SECRET, "simulator": {"nope": 1}}, "nope"),
    ],
)
def test_bad_configuration_stops_at_start(tmp_path, config_case, settings, message):
    config = tmp_path / "agent.json"
    config.write_text(json.dumps({"company": str(tmp_path / "c.sqlite"), **settings}), encoding="utf-8")
    done = subprocess.run(
        agent_command("serve", "--config", str(config), "--port", "0"),
        cwd=ROOT,
        env=agent_env(keys=False),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert message in done.stderr
    assert not (tmp_path / "c.sqlite").exists()


def test_full_queue_answers_503_with_retry_after(tmp_path):
    config = tmp_path / "agent.json"
    config.write_text(json.dumps({"queue_size": 1, "threads": 8}), encoding="utf-8")
    company = tmp_path / "c.sqlite"
    with serving(tmp_path, "--company", str(company), "--config", str(config)) as agent:
        client = agent.client
        client.sim("POST", "faults", {"operation": "read", "delay": 1.0})  # a slow company

        def read() -> float | RateLimited:
            started = time.monotonic()
            try:
                client.price_lists()
            except RateLimited as exc:
                return exc
            return time.monotonic() - started

        with ThreadPoolExecutor(max_workers=6) as pool:
            results = list(pool.map(lambda _: read(), range(6)))
        client.sim("DELETE", "faults")
        refused = [r for r in results if isinstance(r, RateLimited)]
        served = [r for r in results if not isinstance(r, RateLimited)]
        # One call runs, at most one waits in the queue of one; the rest are turned away at once.
        assert 1 <= len(served) <= 2 and len(refused) == 6 - len(served)
        assert all(exc.retry_after == 1.0 and exc.code == 503 for exc in refused)
        assert all(seconds >= 0.9 for seconds in served)  # the injected slowness is real
        assert [p.code for p in client.price_lists()] == ["1"]  # and the agent recovers


def test_adk_backend_without_visma_serves_503_and_stays_up(tmp_path):
    # On this Linux machine there is no Visma: the ADK cannot load. The agent must still start
    # (the ADK is imported lazily), answer health, and call the company unavailable: transient.
    company, state = str(tmp_path / "FTG1"), str(tmp_path / "state.sqlite")
    with serving(tmp_path, "--backend", "adk", "--company", company, "--state", state) as agent:
        with pytest.raises(TransientError) as info:
            agent.client.identity()
        assert info.value.system == "visma"
        assert agent.client.health().status == "ok"
        assert "cannot load the Visma ADK" in agent.log_text()


def test_tracking_number_field_is_configurable(tmp_path):
    # Which head field carries the parcel number is unverified (no standard field): a setting.
    config = tmp_path / "agent.json"
    config.write_text(json.dumps({"tracking_field": "ADK_OOI_HEAD_TEXT1"}), encoding="utf-8")
    company = seed(tmp_path / "c.sqlite")
    with serving(tmp_path, "--company", str(company), "--config", str(config)) as agent:
        client = agent.client
        row = P.DocumentRowInput(article_number="1001", quantity=Decimal(1), price=Decimal("249.00"))
        order = P.DocumentInput(kind="order", customer_number="1001", reference="T-1", rows=[row])
        with pytest.raises(PermanentError) as info:  # TEXT1 is taken: two free texts remain
            client.create_document(replace(order, texts=["a", "b", "c"]), "t-0")
        assert info.value.code == 400
        made = client.create_document(replace(order, texts=["Tack!", "Välkommen åter"]), "t-1")
        client.sim("POST", f"orders/{made.number}/deliver", {"tracking_number": "PARCEL-77"})
        assert client.get_document("order", made.number).tracking_number == "PARCEL-77"
        delivered = [e for e in client.document_events(0, 100).items if e.event == "delivered"]
        assert [(e.number, e.tracking_number) for e in delivered] == [(made.number, "PARCEL-77")]
