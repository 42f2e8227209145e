"""One "worker process" for the shared-limit test: its own client of one shop, calling it in a loop.

``python -m tests.connectors.jetshop.rate_limit_caller ENDPOINT SHOP_ID CALLS RATE BURST [STORAGE]``

Waits for a ``go`` line on standard input so that every process starts calling at the same moment
(process start-up takes longer than the test's calls), then makes ``CALLS`` calls and exits.
No Django here: a worker's client is plain Python, configured the way the app configures it.
"""

from __future__ import annotations

import sys

from connectors.jetshop import JetshopClient, ratelimit


def main(argv: list[str]) -> None:
    endpoint, shop_id, calls, rate, burst = argv[:5]
    storage = argv[5] if len(argv) > 5 else None
    ratelimit.configure(storage)
    with JetshopClient(
        endpoint, "sim", "sim", shop_id, calls_per_second=float(rate), burst=float(burst)
    ) as client:
        print("ready", flush=True)
        sys.stdin.readline()
        for _ in range(int(calls)):
            client.list_channels()


if __name__ == "__main__":
    main(sys.argv[1:])
