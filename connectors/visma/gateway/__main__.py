"""``python -m connectors.visma.gateway``: a gateway with its agents' secrets from a file, no Django.

For tools, benchmarks and tests of the transport alone; the service runs
``python manage.py agent_gateway``, which reads the secrets from the database.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
from pathlib import Path

from connectors.visma.gateway.broker import broker_for
from connectors.visma.gateway.server import Gateway


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m connectors.visma.gateway")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8030)
    parser.add_argument("--redis-url", help="the broker; without it a SQLite file (--sqlite)")
    parser.add_argument("--sqlite", default="var/agent-gateway.sqlite3")
    parser.add_argument("--secrets", required=True, help='JSON file {"key id": "secret", …}')
    parser.add_argument("--refresh", type=float, default=10.0)
    parser.add_argument("--ping", type=float, default=10.0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    keys: dict[str, str] = json.loads(Path(args.secrets).read_text(encoding="utf-8"))
    gateway = Gateway(
        broker_for(args.redis_url, args.sqlite),
        keys.get,
        refresh_seconds=args.refresh,
        ping_interval=args.ping,
        ping_timeout=2 * args.ping,
    )

    async def serve() -> None:
        task = asyncio.current_task()
        for number in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(number, task.cancel)  # type: ignore[union-attr]
        try:
            await gateway.run(args.host, args.port)
        except asyncio.CancelledError:
            logging.info("agent gateway stopped")

    asyncio.run(serve())


if __name__ == "__main__":
    main()
