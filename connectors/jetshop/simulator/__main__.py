"""``python -m connectors.jetshop.simulator --port 8010 [--username sim] [--password sim] ...``"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from connectors.jetshop.simulator.app import JetshopSimulator
from connectors.jetshop.simulator.server import RunningServer
from connectors.jetshop.simulator.state import DEFAULT_ORDER_OPERATIONS, SimConfig
from connectors.jetshop.wire import ENDPOINT_PATH


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m connectors.jetshop.simulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8010)
    parser.add_argument("--username", default="sim")
    parser.add_argument("--password", default="sim")
    parser.add_argument("--shop-id", default="demo")
    parser.add_argument("--state-file", type=Path, default=None)
    parser.add_argument("--seed", choices=["demo", "empty"], default="demo")
    parser.add_argument(
        "--order-operations",
        default="{}",
        help="JSON object overriding the placeholder operations' names (order operations and the "
        f"product enumeration), keys {sorted(DEFAULT_ORDER_OPERATIONS)}",
    )
    parser.add_argument(
        "--tables",
        type=Path,
        default=None,
        help="JSON file replacing seeded tables (channels, price_lists, stock_statuses, order_statuses, "
        "dynamic_field_keys)",
    )
    parser.add_argument(
        "--strict-shop-id", action="store_true", help="fault calls whose ShopId header is not --shop-id"
    )
    args = parser.parse_args(argv)
    operations = {**DEFAULT_ORDER_OPERATIONS, **json.loads(args.order_operations)}
    config = SimConfig(
        username=args.username,
        password=args.password,
        shop_id=args.shop_id,
        strict_shop_id=args.strict_shop_id,
        state_file=args.state_file,
        order_operations=operations,
        tables=json.loads(args.tables.read_text(encoding="utf-8")) if args.tables else {},
    )
    server = RunningServer(JetshopSimulator(config, args.seed), args.host, args.port)
    print(
        f"Jetshop simulator on {server.base_url}{ENDPOINT_PATH} (side door {server.base_url}/_sim/)",
        flush=True,
    )
    try:
        server.httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.httpd.server_close()


if __name__ == "__main__":
    main()
