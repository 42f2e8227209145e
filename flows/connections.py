"""Build the clients a flow needs from an integration's configuration (placeholder until wired)."""

from __future__ import annotations


class Connections:
    def __init__(self, integration) -> None:
        self.integration = integration
