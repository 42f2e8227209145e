"""The per-shop token bucket (shared by every worker process) and the wire formats."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from connectors.jetshop import JetshopClient, ratelimit
from connectors.jetshop.ratelimit import FileStateStore, TokenBucket, shared_bucket
from connectors.jetshop.wire import (
    format_datetime,
    format_money,
    format_number,
    format_vat,
    parse_datetime,
)

ROOT = Path(__file__).resolve().parents[3]


class FakeTime:
    """A clock that moves only when the code under test sleeps: waits are computed, never timed."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def memory_buckets():
    """Buckets in process memory for the test (the app configured Redis), then back as it was."""
    ratelimit.configure(None)
    yield
    ratelimit.configure(settings.REDIS_URL or settings.VAR_DIR / "ratelimit")


def test_bucket_allows_a_burst_then_paces_calls():
    fake = FakeTime()
    bucket = TokenBucket(rate=2, capacity=3, clock=fake.clock, sleep=fake.sleep)

    waits = [bucket.acquire() for _ in range(5)]

    assert waits[:3] == [0, 0, 0]
    assert waits[3:] == [0.5, 0.5]
    assert fake.now == 1.0


def test_fractional_rates_pace_exactly():
    fake = FakeTime()
    bucket = TokenBucket(rate=Decimal("2.5"), capacity=1, clock=fake.clock, sleep=fake.sleep)

    waits = [bucket.acquire() for _ in range(3)]

    assert waits == [0, 0.4, 0.4]


def test_no_rate_means_no_limit():
    assert TokenBucket(None).acquire() == 0


def test_client_calls_are_paced_per_shop(shop):
    with shop.client(calls_per_second=20, burst=1) as client:
        started = time.monotonic()
        for _ in range(5):
            client.list_channels()
        elapsed = time.monotonic() - started

    assert elapsed >= 0.19  # 4 waits of 1/20 s after the first token


def test_clients_of_one_shop_share_its_bucket_and_other_shops_do_not(shop, memory_buckets):
    # Rate as the shop's Django row holds it: a Decimal. One token, refilled every 100 ms.
    options = {"calls_per_second": Decimal("10"), "burst": 1}
    first, second = shop.client(**options), shop.client(**options)
    other_shop = JetshopClient(shop.url, "sim", "sim", "other-shop", **options)
    # Both buckets on one fake clock: a wait is what the bucket asks for, however slow the machine.
    fake = FakeTime(time.time())
    for bucket in (first.bucket, other_shop.bucket):
        bucket.clock, bucket.sleep = fake.clock, fake.sleep

    first.list_channels()  # spends this shop's only token
    other_shop.list_channels()
    assert fake.slept == []  # the other shop has its own bucket
    second.list_channels()
    assert fake.slept == [0.1]  # a second client of the same shop waits for the refill
    for client in (first, second) * 2:
        client.list_channels()

    assert first.bucket is second.bucket is not other_shop.bucket
    assert fake.slept == [0.1] * 5  # four more calls from the one bucket at 10/s
    assert len(shop.side.calls("Channel_GetAll")) == 7  # and every call went out
    for client in (first, second, other_shop):
        client.close()


def test_a_changed_rate_replaces_the_shared_bucket(memory_buckets):
    slow = shared_bucket(("https://shop.example", "s"), 1)

    assert shared_bucket(("https://shop.example", "s"), Decimal("1")) is slow
    assert shared_bucket(("https://shop.example", "s"), 2).rate == 2


def test_the_app_shares_buckets_through_redis():
    assert settings.REDIS_URL  # the test settings run on Redis, as production does
    assert ratelimit.storage_kind() == "redis"


def test_file_store_keeps_the_bucket_between_clients_and_across_a_restart(tmp_path):
    fake = FakeTime(1_000.0)
    path = tmp_path / "shop.state"
    one = TokenBucket(1, 1, store=FileStateStore(path), clock=fake.clock, sleep=fake.sleep)
    # Another process's bucket for the same shop: a second store object on the same file.
    two = TokenBucket(1, 1, store=FileStateStore(path), clock=fake.clock, sleep=fake.sleep)

    assert one.acquire() == 0
    assert two.acquire() == 1.0  # the token the first one spent is gone for the second as well
    path.write_text("torn")  # a file that cannot be read starts a full bucket instead of failing
    assert two.acquire() == 0


def callers(shop, count: int, calls: int, rate: int, burst: int, storage: str) -> list[subprocess.Popen]:
    """``count`` worker processes, each with its own client of the shop, waiting for "go".

    One shop id for all of them (as the workers of one integration have), new for each test so
    that no earlier run's bucket state applies.
    """
    shop_id = f"shared-{time.time_ns()}"
    started = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.connectors.jetshop.rate_limit_caller",
                shop.url,
                shop_id,
                str(calls),
                str(rate),
                str(burst),
                storage,
            ],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for _ in range(count)
    ]
    for process in started:
        assert process.stdout.readline().strip() == "ready"
    return started


@pytest.mark.parametrize("storage", ["redis", "file"])
def test_worker_processes_together_keep_the_shops_limit(shop, storage, tmp_path):
    """Three processes at a 20/s limit: the shop sees 20/s, not 60/s (the simulator's own log)."""
    rate, burst, per_process = 20, 2, 20
    where = settings.REDIS_URL if storage == "redis" else str(tmp_path / "ratelimit")
    processes = callers(shop, 3, per_process, rate, burst, where)
    for process in processes:
        process.stdin.write("go\n")
        process.stdin.flush()
    for process in processes:
        assert process.wait(timeout=60) == 0

    received = sorted(c["received"] for c in shop.side.calls("Channel_GetAll"))
    assert len(received) == 3 * per_process
    # A token bucket admits at most burst + rate * w calls in any w seconds; one call more for the
    # loopback's own jitter between admission and arrival.
    busiest_second = max(sum(1 for t in received if start <= t < start + 1) for start in received)
    assert busiest_second <= rate + burst + 1
    span = received[-1] - received[0]
    assert (len(received) - burst) / span <= rate * 1.05


def test_numbers_in_invariant_culture():
    assert format_money(Decimal("-1")) == "-1.0000"
    assert format_vat(Decimal("0.25")) == "0.25000000"
    assert format_number(Decimal("123.00")) == "123"
    assert format_number(Decimal("1234567.5")) == "1234567.5"
    assert format_number(Decimal("1E+3")) == "1000"
    assert format_number(Decimal("0.0001")) == "0.0001"
    with pytest.raises(ValueError):
        format_number(Decimal("NaN"))


def test_timestamps_are_stockholm_wall_clock_with_dotnet_fractions():
    assert parse_datetime("2026-01-16T09:30:47.69") == datetime(2026, 1, 16, 9, 30, 47, 690000).replace(
        tzinfo=parse_datetime("2026-01-16T09:30:47").tzinfo
    )
    assert parse_datetime("0001-01-01T00:00:00") is None
    assert parse_datetime(None) is None
    winter = parse_datetime("2026-01-16T09:30:47.5")
    assert winter.astimezone(UTC) == datetime(2026, 1, 16, 8, 30, 47, 500000, tzinfo=UTC)
    summer = parse_datetime("2026-07-01T12:00:00")
    assert summer.utcoffset() == timedelta(hours=2)
    assert format_datetime(summer.astimezone(UTC)) == "2026-07-01T12:00:00"
    assert format_datetime(winter) == "2026-01-16T09:30:47.5"


def test_autumn_overlap_reads_as_the_first_occurrence():
    ambiguous = parse_datetime("2026-10-25T02:30:00")

    assert ambiguous.utcoffset() == timedelta(hours=2)
