"""The shared token bucket on both stores: the flock file (embedded default) and Redis.

Rates are chosen so that refill during a test is negligible (≤ 0.01 token/s) or the assertion does
not depend on elapsed time; no test asserts a duration.
"""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from channels.throttle import Bucket, Grant, acquire, acquire_all, channel_bucket, get_store
from channels.throttle.file_store import FileStore
from channels.throttle.redis_store import RedisStore

SLOW = 0.001  # tokens per second: nothing refills while a test runs


@pytest.fixture(params=["file", "redis"])
def store(request, tmp_path, redis_url, unique_key):
    if request.param == "file":
        return FileStore(tmp_path / "throttle")
    return RedisStore(redis_url, prefix=f"nc:test:{unique_key}:")


def test_a_full_bucket_grants_its_burst_then_says_how_long_to_wait(store):
    first = acquire("email:smtp", SLOW, burst=5, n=3, store=store)
    second = acquire("email:smtp", SLOW, burst=5, n=3, store=store)
    third = acquire("email:smtp", SLOW, burst=5, n=1, store=store)
    assert (first.granted, second.granted, third.granted) == (3, 2, 0)
    assert third.wait_s == pytest.approx(1 / SLOW, rel=0.01)


def test_keys_are_independent(store):
    assert acquire("campaign:1", SLOW, burst=2, n=5, store=store).granted == 2
    assert acquire("campaign:2", SLOW, burst=2, n=5, store=store).granted == 2


def test_acquire_all_takes_from_every_bucket_or_none(store):
    provider, campaign = Bucket("sms:twilio", SLOW, 10), Bucket("campaign:7", SLOW, 3)
    assert acquire_all([provider, campaign], n=5, store=store).granted == 3
    # The campaign is empty now: nothing is taken from the provider for nothing.
    assert acquire_all([provider, campaign], n=5, store=store).granted == 0
    assert acquire_all([provider], n=10, store=store).granted == 7


def test_the_wait_is_bounded_by_max_wait(store):
    acquire("k", SLOW, burst=1, store=store)
    grant = acquire("k", SLOW, burst=1, max_wait_s=0.05, store=store)  # the next token is 1000 s away
    assert grant == Grant(0, pytest.approx(1 / SLOW, rel=0.01))


def test_waiting_within_the_bound_gets_the_token(store):
    acquire("fast", 200, burst=1, store=store)
    assert acquire("fast", 200, burst=1, max_wait_s=2, store=store).granted == 1


def test_unlimited_and_missing_buckets_grant_everything(store):
    assert acquire_all([None, Bucket("x", 0)], n=500, store=store) == Grant(500, 0.0)


def test_reset_refills(store):
    acquire("r", SLOW, burst=2, n=2, store=store)
    store.reset(["r"])
    assert acquire("r", SLOW, burst=2, n=2, store=store).granted == 2


def _drain(kind: str, location: str, prefix: str, results) -> None:
    store = FileStore(Path(location)) if kind == "file" else RedisStore(location, prefix=prefix)
    taken = 0
    while acquire("shared", SLOW, burst=300, n=1, store=store).granted:
        taken += 1
    results.put(taken)


@pytest.mark.parametrize("kind", ["file", "redis"])
def test_processes_share_one_bucket_and_never_overdraw_it(kind, tmp_path, redis_url, unique_key):
    location = str(tmp_path / "throttle") if kind == "file" else redis_url
    ctx = multiprocessing.get_context("spawn")  # fresh interpreters, as separate Celery workers are
    results = ctx.Queue()
    workers = [ctx.Process(target=_drain, args=(kind, location, f"nc:test:{unique_key}:", results)) for _ in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    taken = [results.get(timeout=5) for _ in workers]
    assert sum(taken) == 300


def test_the_file_store_survives_a_torn_state_file(tmp_path):
    store = FileStore(tmp_path)
    acquire("t", SLOW, burst=2, n=2, store=store)
    (tmp_path / "buckets.json").write_bytes(b'{"t": [0.0, 17')
    assert acquire("t", SLOW, burst=2, n=1, store=store).granted == 1  # full again: a bounded burst


def test_full_buckets_are_dropped_from_the_file(tmp_path):
    store = FileStore(tmp_path)
    for i in range(50):
        acquire(f"campaign:{i}", 1e6, burst=1, store=store)  # refills within a microsecond
    acquire("keep", SLOW, burst=1, store=store)
    assert len((tmp_path / "buckets.json").read_text()) < 200


def test_the_store_follows_the_settings(settings, tmp_path, redis_url):
    settings.REDIS_URL = ""
    settings.VAR_DIR = tmp_path
    assert isinstance(get_store(), FileStore)
    settings.REDIS_URL = redis_url
    assert isinstance(get_store(), RedisStore)


def test_channel_buckets_come_from_the_rate_settings(settings):
    settings.EMAIL_RATE_PER_S, settings.SMS_RATE_PER_S = 0, 30
    assert channel_bucket("email") is None
    assert channel_bucket("sms") == Bucket("sms:outbox", 30)
