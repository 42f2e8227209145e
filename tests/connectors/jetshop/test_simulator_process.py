"""The simulator as the demo runs it: a command-line process, optionally with a state file."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import requests

from connectors.errors import PermanentError
from connectors.jetshop import JetshopClient
from connectors.jetshop.records import ProductInput
from connectors.jetshop.simulator import JetshopSimulator, RunningServer, SimConfig
from connectors.jetshop.simulator.server import start_process
from connectors.jetshop.wire import ENDPOINT_PATH

from .conftest import FIXTURES

REPO = Path(__file__).resolve().parents[3]


def start(*flags: str) -> tuple[subprocess.Popen, str]:
    process, base_url = start_process(*flags, cwd=REPO)
    return process, base_url + ENDPOINT_PATH


def test_command_line_simulator_serves_the_demo_shop():
    process, url = start("--username", "u", "--password", "p", "--shop-id", "butik")
    try:
        with JetshopClient(url, "u", "p", "butik") as client:
            assert [c.currency_code for c in client.list_channels()] == ["SEK", "NOK"]
            assert client.get_product("TS-100", "sv-SE").variant_article_numbers == (
                "TS-100-S",
                "TS-100-M",
                "TS-100-L",
            )
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_command_line_empty_seed_tables_state_file_and_strict_shop_id(tmp_path):
    tables = tmp_path / "tables.json"
    tables.write_text(json.dumps({"channels": [{"id": 3, "name": "Danmark", "currency": "DKK",
                                                "cultures": ["da-DK"]}]}))  # fmt: skip
    state_file = tmp_path / "shop.json"
    process, url = start("--seed", "empty", "--state-file", str(state_file), "--tables", str(tables),
                         "--shop-id", "butik", "--strict-shop-id")  # fmt: skip
    try:
        with JetshopClient(url, "sim", "sim", "butik") as client:  # default credentials sim/sim
            assert client.get_product("TS-100", "sv-SE") is None
            assert [(c.channel_id, c.currency_code) for c in client.list_channels()] == [(3, "DKK")]
            client.add_update_products([ProductInput("SPARA-1", "da-DK", name="Gemt")])
        with JetshopClient(url, "sim", "sim", "demo") as wrong, pytest.raises(PermanentError):
            wrong.list_channels()
    finally:
        process.terminate()
        process.wait(timeout=10)

    assert "SPARA-1" in json.loads(state_file.read_text(encoding="utf-8"))["products"]


def test_state_file_survives_a_restart(tmp_path):
    state_file = tmp_path / "shop.json"

    def run(action):
        server = RunningServer(JetshopSimulator(SimConfig(state_file=state_file), "empty")).start()
        try:
            client = JetshopClient(
                server.base_url + ENDPOINT_PATH, "sim", "sim", "demo", calls_per_second=None
            )
            with client:
                return action(client)
        finally:
            server.stop()

    run(lambda c: c.add_update_products([ProductInput("KEEP-1", "sv-SE", name="Sparad")]))
    product = run(lambda c: c.get_product("KEEP-1", "sv-SE"))

    assert product is not None and product.name == "Sparad"


def test_consecutive_calls_reuse_one_kept_alive_connection(make_shop):
    shop = make_shop()
    with shop.client() as client:
        for _ in range(5):
            client.list_channels()
        client.add_update_products([ProductInput("KA-1", "sv-SE")])

    assert shop.server.httpd.connections == 1


def test_an_unread_body_does_not_leak_into_the_next_request_on_the_connection(make_shop):
    shop = make_shop()
    with requests.Session() as http:
        http.trust_env = False
        denied = http.post(shop.url, data=b"<x>" * 1000, timeout=5)  # 401: the app never reads it
        soap = (FIXTURES / "Product_Get.notfound.request.xml").read_bytes()
        served = http.post(shop.url, data=soap, auth=("sim", "sim"), timeout=5)

    assert (denied.status_code, served.status_code) == (401, 200)
    assert b"<Product_GetResult />" in served.content
    assert shop.server.httpd.connections == 1
