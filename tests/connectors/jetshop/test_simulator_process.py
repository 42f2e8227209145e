"""The simulator as the demo runs it: a command-line process, optionally with a state file."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

from connectors.jetshop import JetshopClient
from connectors.jetshop.records import ProductInput
from connectors.jetshop.simulator import JetshopSimulator, RunningServer, SimConfig
from connectors.jetshop.wire import ENDPOINT_PATH

REPO = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_command_line_simulator_serves_the_demo_shop():
    port = free_port()
    command = [sys.executable, "-m", "connectors.jetshop.simulator", "--port", str(port), "--username", "u",
               "--password", "p", "--shop-id", "butik"]  # fmt: skip
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert "Jetshop simulator on" in process.stdout.readline()
        with JetshopClient(f"http://127.0.0.1:{port}{ENDPOINT_PATH}", "u", "p", "butik") as client:
            assert [c.currency_code for c in client.list_channels()] == ["SEK", "NOK"]
    finally:
        process.terminate()
        process.wait(timeout=10)


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
