"""The agent's run loop, shared by the command line and the Windows service.

``run`` returns when ``stop`` is set: outbound mode closes its connection to the gateway, direct mode
closes the listening socket.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from connectors.visma.agent import VERSION
from connectors.visma.agent.app import build_agent
from connectors.visma.agent.config import AgentConfig

if TYPE_CHECKING:
    from wsgiref.types import WSGIApplication

log = logging.getLogger("connectors.visma.agent")


def run(config: AgentConfig, stop: threading.Event) -> None:
    agent = build_agent(config)
    try:
        if config.gateway:
            from connectors.visma.agent.outbound import OutboundLink

            log.info("Visma agent %s (%s) dialling out to %s", VERSION, config.backend, config.gateway)
            OutboundLink(
                agent.app,
                config.gateway,
                config.key_id,
                config.secret,
                threads=config.threads,
                proxy=config.proxy,
                ca_file=config.gateway_ca,
            ).run(stop)
        else:
            serve_direct(agent.app, config, stop)
    finally:
        agent.stop()


def serve_direct(app: WSGIApplication, config: AgentConfig, stop: threading.Event) -> None:
    import waitress.server  # the production WSGI server; pure Python, so it runs on Windows too

    sockets: dict[int, Any] = {}  # the server's socket map: its listening socket and connections
    server = waitress.server.create_server(
        app, map=sockets, host=config.host, port=config.port, threads=config.threads, ident="visma-agent"
    )
    log.info("Visma agent %s (%s) listening on %s:%s", VERSION, config.backend, config.host, config.port)
    # waitress's own run() loops until its socket map is empty, which open keep-alive connections
    # never let happen; poll in steps of 1 s on this thread instead and stop when asked.
    while not stop.is_set() and sockets:
        server.asyncore.loop(timeout=1.0, map=sockets, use_poll=server.adj.asyncore_use_poll, count=1)
    for channel in list(sockets.values()):
        channel.close()
    server.task_dispatcher.shutdown()
