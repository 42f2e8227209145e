"""Assemble the agent: backend, company thread, service, routes, authentication."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from connectors.visma.agent import fields as F
from connectors.visma.agent.api import Api
from connectors.visma.agent.auth import Authenticator
from connectors.visma.agent.backends.base import CompanyBackend
from connectors.visma.agent.codes_api import CodesApi
from connectors.visma.agent.config import AgentConfig
from connectors.visma.agent.errors import CompanyUnavailable
from connectors.visma.agent.ledger_api import LedgerApi
from connectors.visma.agent.server import AgentApp, Router
from connectors.visma.agent.service import AgentService
from connectors.visma.agent.state import SeenSignatures
from connectors.visma.agent.worker import CompanyWorker

log = logging.getLogger("connectors.visma.agent")


@dataclass
class Agent:
    app: AgentApp
    worker: CompanyWorker
    service: AgentService
    backend: CompanyBackend
    seen: SeenSignatures

    def stop(self) -> None:
        self.worker.stop()
        self.seen.close()


def make_backend(config: AgentConfig) -> CompanyBackend:
    if config.backend == "simulated":
        from connectors.visma.agent.backends.simulated import Options, SimulatedBackend, create_company

        slots = {"invoice_order_slot": config.invoice_order_slot}
        slots["order_invoice_slot"] = config.order_invoice_slot
        try:
            options = Options(**(config.simulator | slots))
        except (TypeError, ValueError) as exc:
            raise SystemExit(f"visma agent: simulator options: {exc}") from exc
        path = Path(config.company)
        if not path.exists():
            log.info("no company at %s: creating an empty simulated company", path)
            create_company(path)
        return SimulatedBackend(path, options=options)
    if config.backend == "adk":
        from connectors.visma.agent.backends.adk import AdkBackend  # Windows only: imported lazily

        return AdkBackend(config)
    raise SystemExit(f"unknown backend {config.backend!r} (simulated or adk)")


def build_agent(config: AgentConfig, backend: CompanyBackend | None = None) -> Agent:
    if config.threads <= config.queue_size + 1:
        log.warning(
            "threads (%d) <= queue_size (%d) + 1: the queue cannot fill, so overload waits in the HTTP"
            " server instead of being answered 503",
            config.threads,
            config.queue_size,
        )
    if config.field_lengths:
        F.override_lengths(config.field_lengths)
    backend = backend or make_backend(config)
    service = AgentService(backend, config)
    worker = CompanyWorker(service.open, service.close, maxsize=config.queue_size)
    api = Api(service, worker, timeout=config.request_timeout)
    router = Router()
    router.include(api)
    router.include(LedgerApi(api))  # reconciliation: invoices, payments, vouchers
    router.include(CodesApi(api))  # code lists the consultant picks from
    router.describe("/v1/openapi.json")
    if config.sidedoor:
        from connectors.visma.agent.backends.simulated import SimulatedBackend
        from connectors.visma.agent.sidedoor import SideDoor

        if isinstance(backend, SimulatedBackend):  # the side door plays Visma's user: simulator only
            router.include(SideDoor(api, backend))
    worker.start()
    try:
        # Open the company now so a wrong path or licence shows at start-up, not at the first order;
        # if it fails the agent keeps serving 503s and retries the open on every request.
        worker.call(lambda: None, timeout=config.request_timeout)
    except CompanyUnavailable as exc:
        log.error("%s (will retry on the next request)", exc)
    if config.odbc_connection:
        from connectors.visma.agent.backends.odbc import enable_odbc

        enable_odbc(service, worker, config)
    # Replays are refused across restarts too: the window lives in the agent's state database.
    seen = SeenSignatures(config.state_path)
    app = AgentApp(router, Authenticator({config.key_id: config.secret}, seen=seen))
    return Agent(app=app, worker=worker, service=service, backend=backend, seen=seen)
