"""Command line: ``python -m connectors.visma.agent serve|seed ...``."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from connectors.visma.agent import VERSION
from connectors.visma.agent.app import build_agent
from connectors.visma.agent.config import build


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m connectors.visma.agent", description=f"Visma agent {VERSION}"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the agent's HTTP API")
    serve.add_argument("--backend", choices=["simulated", "adk"])
    serve.add_argument("--company", help="simulated: SQLite file; adk: the company folder")
    serve.add_argument("--common-files", dest="common_files", help="adk: the 'Gemensamma filer' folder")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--config", help="TOML or JSON config file (key_id, secret, …)")
    serve.add_argument("--state", help="the agent's own state database")
    serve.add_argument("--seed", choices=["demo"], help="simulated: fill a new company with demo data")
    serve.add_argument("--threads", type=int, help="HTTP threads (waitress)")
    seed = sub.add_parser("seed", help="create a simulated company with demo data (or N bulk articles)")
    seed.add_argument("--company", required=True)
    seed.add_argument("--articles", type=int, default=0, help="also bulk-load this many articles")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    if args.command == "seed":
        seed_company(Path(args.company), demo=True, articles=args.articles)
        return
    cli = {k: v for k, v in vars(args).items() if k not in ("command", "config", "seed")}
    config = build(cli, args.config)
    logging.getLogger().setLevel(config.log_level)
    if args.seed == "demo" and config.backend == "simulated" and not Path(config.company).exists():
        seed_company(Path(config.company), demo=True)
    agent = build_agent(config)

    import waitress  # the production WSGI server; pure Python, so it runs on Windows too

    logging.info("Visma agent %s (%s) listening on %s:%s", VERSION, config.backend, config.host, config.port)
    try:
        waitress.serve(
            agent.app, host=config.host, port=config.port, threads=config.threads, ident="visma-agent"
        )
    finally:
        agent.stop()


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
