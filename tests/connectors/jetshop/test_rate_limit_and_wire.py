"""The per-shop token bucket and the wire formats (numbers, Stockholm timestamps)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from connectors.jetshop import JetshopClient
from connectors.jetshop.ratelimit import TokenBucket, shared_bucket
from connectors.jetshop.wire import (
    format_datetime,
    format_money,
    format_number,
    format_vat,
    parse_datetime,
)


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_bucket_allows_a_burst_then_paces_calls():
    fake = FakeTime()
    bucket = TokenBucket(rate=2, capacity=3, clock=fake.clock, sleep=fake.sleep)

    waits = [bucket.acquire() for _ in range(5)]

    assert waits[:3] == [0, 0, 0]
    assert waits[3:] == [0.5, 0.5]
    assert fake.now == 1.0


def test_no_rate_means_no_limit():
    assert TokenBucket(None).acquire() == 0


def test_client_calls_are_paced_per_shop(shop):
    with shop.client(calls_per_second=20, burst=1) as client:
        started = time.monotonic()
        for _ in range(5):
            client.list_channels()
        elapsed = time.monotonic() - started

    assert elapsed >= 0.19  # 4 waits of 1/20 s after the first token


def timed(call) -> float:
    started = time.monotonic()
    call()
    return time.monotonic() - started


def test_clients_of_one_shop_share_its_bucket_and_other_shops_do_not(shop):
    # Rate as the shop's Django row holds it: a Decimal. One token, refilled every 100 ms.
    options = {"calls_per_second": Decimal("10"), "burst": 1}
    first, second = shop.client(**options), shop.client(**options)
    other_shop = JetshopClient(shop.url, "sim", "sim", "other-shop", **options)
    time.sleep(0.11)  # both buckets full, whatever earlier tests left in them

    first.list_channels()  # spends this shop's only token
    other_wait = timed(other_shop.list_channels)
    second_wait = timed(second.list_channels)
    four_calls = timed(lambda: [c.list_channels() for c in (first, second) * 2])

    assert first.bucket is second.bucket is not other_shop.bucket
    assert other_wait < 0.05 < second_wait  # only a client of the same shop waits for the refill
    assert four_calls >= 0.38  # four calls from one bucket at 10/s
    for client in (first, second, other_shop):
        client.close()


def test_a_changed_rate_replaces_the_shared_bucket():
    slow = shared_bucket(("https://shop.example", "s"), 1)

    assert shared_bucket(("https://shop.example", "s"), Decimal("1")) is slow
    assert shared_bucket(("https://shop.example", "s"), 2).rate == 2


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
