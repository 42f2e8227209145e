"""Agent settings: command line, an optional config file (TOML or JSON), and the environment.

Secrets come from the config file or ``VISMA_AGENT_KEY_ID`` / ``VISMA_AGENT_SECRET``, never from
the command line (it shows in the process list).
"""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


@dataclass
class AgentConfig:
    key_id: str = ""
    secret: str = ""
    backend: str = "simulated"
    company: str = ""
    common_files: str = ""  # adk: the "Gemensamma filer" folder (first argument of AdkOpen)
    adk_user: str = ""
    adk_password: str = ""
    host: str = "127.0.0.1"
    port: int = 8020
    # Outbound mode (the normal one): the gateway to dial, e.g. wss://integration.example/agent. Empty:
    # direct mode, the agent listens on host:port and the server calls it (a VPN site).
    gateway: str = ""
    proxy: str = ""  # "" → the system's proxy settings; "direct" → none; or http://proxy:3128
    gateway_ca: str = ""  # a CA bundle for a gateway whose certificate is not publicly trusted
    state: str = ""  # the agent's own database; default next to the company / working directory
    # Requests waiting for the company thread. Keep it below ``threads``: an HTTP thread blocks while
    # its request waits, so with fewer threads than queue places the queue could never fill and
    # overload would pile up inside waitress instead of being answered 503 + Retry-After.
    queue_size: int = 8
    request_timeout: float = 60.0
    threads: int = 16
    # Which head field carries the parcel tracking number [U: no standard field exists].
    tracking_field: str = "ADK_OOI_HEAD_TEXT3"
    # Connection slots between order and invoice (§3.2 [U]).
    invoice_order_slot: int = 1
    order_invoice_slot: int = 1
    # Overlap when polling documents by timestamp: the real resolution/time zone are [U].
    event_overlap_seconds: float = 2.0
    odbc_connection: str = ""  # pyodbc connection string or "DSN=…"; empty: ODBC read path off
    odbc_stock_query: str = ""  # override the SQL (the real Visma schema is undocumented)
    odbc_status_query: str = ""
    field_lengths: dict[str, int] = field(default_factory=dict)
    # Simulated backend: its answers to unverified questions (``backends/simulated/documents.py``
    # ``Options``), e.g. {"disposable_formula": "in_stock", "create_backorders": false}.
    simulator: dict[str, Any] = field(default_factory=dict)
    sidedoor: bool = True  # /_sim/… when the simulated backend is active
    # Reconciliation: write customer payments and vouchers (ADK tables 62 and 65/66) through the
    # ADK. Whether AdkAdd accepts them on a real installation is unverified, so it is off for the
    # ADK backend until someone has tried it; the server then exports SIE 4I instead.
    ledger_writes: bool | None = None  # None: on for the simulated backend, off for the ADK
    log_level: str = "INFO"

    def problem(self) -> str:
        """The first thing wrong with this configuration, or "" (checked before anything starts)."""
        from connectors.visma.agent import fields as F  # the field map decides which names are valid

        if not self.key_id or not self.secret:
            return "key id and secret are required (config file or VISMA_AGENT_KEY_ID/_SECRET)"
        if len(self.secret) < 16:
            return "the secret must be at least 16 characters"
        if self.backend not in ("simulated", "adk"):
            return f"unknown backend {self.backend!r} (simulated or adk)"
        if not self.company:
            return "--company is required"
        tracking = F.ORDER_HEAD.fields.get(self.tracking_field)
        if tracking is None or tracking.type != F.CHAR:
            return f"tracking_field {self.tracking_field!r} is not a text field of ADK_OOI_HEAD_*"
        if not {self.invoice_order_slot, self.order_invoice_slot} <= {1, 2, 3, 4}:
            return "invoice_order_slot and order_invoice_slot are DOCUMENT_CONNECTION_NUMBER1..4"
        if self.gateway and not self.gateway.startswith(("wss://", "ws://")):
            return "gateway must be a wss:// URL (ws:// only for tests on loopback)"
        if self.gateway and urlsplit(self.gateway).path not in ("", "/"):
            # The agent signs the path it connects to (/agent/v1/connect): a prefix would break it.
            return "gateway: give the server's address only (wss://host[:port]); the agent adds the path"
        if self.proxy and self.proxy != "direct" and not self.proxy.startswith(("http://", "https://")):
            return 'proxy must be an http(s):// URL, or "direct"'
        if self.queue_size < 1 or self.threads < 2:
            return "queue_size must be at least 1 and threads at least 2"
        return ""

    @property
    def state_path(self) -> Path:
        if self.state:
            return Path(self.state)
        if self.backend == "simulated":
            return Path(self.company + ".agent-state.sqlite")
        # Never inside Visma's company folder (reference §5: tools must not touch it); one file per
        # company in the working directory, so two agents on one machine keep their keys apart.
        return Path(f"visma-agent-state-{Path(self.company).name or 'company'}.sqlite")


def load_file(path: str) -> dict[str, Any]:
    text = Path(path).read_text(encoding="utf-8")
    data = json.loads(text) if path.endswith(".json") else tomllib.loads(text)
    # A TOML file may nest everything under [agent].
    return dict(data.get("agent", data))


def build(cli: dict[str, Any], config_file: str | None = None) -> AgentConfig:
    """Config file, then command line on top; key id and secret fall back to the environment."""
    known = {f.name for f in fields(AgentConfig)}
    values: dict[str, Any] = {}
    if config_file:
        values.update({k: v for k, v in load_file(config_file).items() if k in known})
    values.update({k: v for k, v in cli.items() if k in known and v is not None})
    values["key_id"] = values.get("key_id") or os.environ.get("VISMA_AGENT_KEY_ID", "")
    values["secret"] = values.get("secret") or os.environ.get("VISMA_AGENT_SECRET", "")
    config = AgentConfig(**values)
    problem = config.problem()
    if problem:
        raise SystemExit(f"visma agent: {problem}")
    return config
