"""Command line: ``python -m connectors.visma.agent serve|seed|service ...``."""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from pathlib import Path

from connectors.visma.agent import VERSION
from connectors.visma.agent.config import build


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m connectors.visma.agent", description=f"Visma agent {VERSION}"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser(
        "serve", help="run the agent: dial out to --gateway (normal), or listen on --host/--port (direct)"
    )
    serve.add_argument("--backend", choices=["simulated", "adk"])
    serve.add_argument("--company", help="simulated: SQLite file; adk: the company folder")
    serve.add_argument("--common-files", dest="common_files", help="adk: the 'Gemensamma filer' folder")
    serve.add_argument("--gateway", help="outbound mode: the gateway's wss:// URL (no listening port)")
    serve.add_argument("--proxy", help='HTTP proxy for the gateway connection, or "direct"')
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--config", help="TOML or JSON config file (key_id, secret, …)")
    serve.add_argument("--state", help="the agent's own state database")
    serve.add_argument("--seed", choices=["demo"], help="simulated: fill a new company with demo data")
    serve.add_argument("--threads", type=int, help="HTTP threads (waitress)")
    seed = sub.add_parser("seed", help="create a simulated company with demo data (or N bulk articles)")
    seed.add_argument("--company", required=True)
    seed.add_argument("--articles", type=int, default=0, help="also bulk-load this many articles")
    service = sub.add_parser("service", help="Windows: install, remove, start or stop the agent's service")
    service.add_argument("action", choices=["install", "remove", "start", "stop"])
    service.add_argument("--config", help="install: the config file the service runs with")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    if args.command == "seed":
        seed_company(Path(args.company), demo=True, articles=args.articles)
        return
    if args.command == "service":
        from connectors.visma.agent.winservice import manage

        print(manage(args.action, args.config))
        return
    cli = {k: v for k, v in vars(args).items() if k not in ("command", "config", "seed")}
    config = build(cli, args.config)
    logging.getLogger().setLevel(config.log_level)
    if args.seed == "demo" and config.backend == "simulated" and not Path(config.company).exists():
        seed_company(Path(config.company), demo=True)
    from connectors.visma.agent.runner import run

    stop = threading.Event()
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: stop.set())
    run(config, stop)


def seed_company(path: Path, *, demo: bool, articles: int = 0) -> None:
    from connectors.visma.agent.backends.simulated import SimulatedBackend, create_company
    from connectors.visma.agent.backends.simulated.seed import seed_articles, seed_demo

    if not path.exists():
        create_company(path)
    if demo:
        backend = SimulatedBackend(path)
        backend.open()
        try:
            seed_demo(backend)
        finally:
            backend.close()
    if articles:
        seed_articles(path, articles)


if __name__ == "__main__":
    main()
