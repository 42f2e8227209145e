"""The agent's run loop, shared by the command line and the Windows service.

``run`` returns when ``stop`` is set: outbound mode closes its connection to the gateway, direct mode
closes the listening socket.
"""

from __future__ import annotations

import logging
import threading

from connectors.visma.agent import VERSION
from connectors.visma.agent.app import build_agent
from connectors.visma.agent.config import AgentConfig

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


def serve_direct(app: object, config: AgentConfig, stop: threading.Event) -> None:
    import waitress  # the production WSGI server; pure Python, so it runs on Windows too

    server = waitress.create_server(
        app, host=config.host, port=config.port, threads=config.threads, ident="visma-agent"
    )

    def close_on_stop() -> None:
        stop.wait()
        server.close()  # the loop ends at its next poll (≤ 1 s)

    threading.Thread(target=close_on_stop, daemon=True).start()
    log.info("Visma agent %s (%s) listening on %s:%s", VERSION, config.backend, config.host, config.port)
    server.run()
