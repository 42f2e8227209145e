"""Everything the agent does with the company, composed over one backend. Worker thread only."""

from __future__ import annotations

import logging
from datetime import datetime

from connectors.visma import protocol as P
from connectors.visma.agent import VERSION
from connectors.visma.agent.backends.base import CompanyBackend, CompanyInfo
from connectors.visma.agent.catalog import Catalog
from connectors.visma.agent.config import AgentConfig
from connectors.visma.agent.documents import DocumentDesk
from connectors.visma.agent.events import EventFeed
from connectors.visma.agent.state import AgentState

log = logging.getLogger("connectors.visma.agent")


class AgentService:
    def __init__(self, backend: CompanyBackend, config: AgentConfig) -> None:
        self.backend = backend
        self.config = config
        self.info: CompanyInfo | None = None
        self.state: AgentState | None = None
        self.started_at = datetime.now().astimezone().isoformat(timespec="seconds")
        self.odbc = None  # an OdbcReader when the read path is configured and verified

    def open(self) -> None:
        """Open the company (on the worker thread); on first run, baseline the event feed."""
        self.info = self.backend.open()
        self.state = AgentState(self.config.state_path)
        self.catalog = Catalog(self.backend, self.state)
        self.documents = DocumentDesk(self.backend, self.state, self.config)
        self.events = EventFeed(self.backend, self.state, self.config)
        if self.state.mark("documents") is None:
            # Existing history is not news: snapshot it silently so the feed starts from now.
            self.events.refresh(emit=False)
            self.state.set_mark("documents", self.state.mark("documents") or "")
        log.info("opened company %r (%s)", self.info.name, self.backend.name)

    def close(self) -> None:
        self.backend.close()
        if self.state is not None:
            self.state.close()

    def identity(self, queue_depth: int, last_write: str | None) -> P.Identity:
        info = self.info
        return P.Identity(
            agent_version=VERSION,
            backend=self.backend.name,
            program_variant=info.program_variant if info else "",
            api_licensed=info.api_licensed if info else False,
            company_name=info.name if info else "",
            org_number=info.org_number if info else "",
            queue_depth=queue_depth,
            last_successful_write=last_write,
            odbc_enabled=self.odbc is not None,
            started_at=self.started_at,
        )
