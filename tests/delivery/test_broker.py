"""The broker checks against a real Redis: a broker that may evict keys is warned about (notify.W011),
and a visibility timeout shorter than the longest countdown plus task time limit is an error (E010).

With REDIS_URL set (the PostgreSQL + Redis run) the configured server is used and its policy restored
afterwards (CONFIG SET is server-wide); otherwise the test starts a private ``redis-server``."""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest
import redis

from notify_console import broker_check

from .conftest import free_port


@pytest.fixture
def redis_url(settings, tmp_path):
    if settings.REDIS_URL:
        yield settings.REDIS_URL
        return
    binary = shutil.which("redis-server")
    assert binary, "redis-server is needed for this test (apt-get install redis-server)"
    port = free_port()
    server = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                               "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        for _ in range(100):
            try:
                redis.Redis.from_url(url).ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        settings.REDIS_URL = url
        yield url
    finally:
        server.terminate()
        server.wait(10)


def test_a_broker_that_can_evict_is_warned_about(redis_url, settings):
    settings.REDIS_URL = redis_url
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 7200}  # as settings.py sets it for Redis
    client = redis.Redis.from_url(redis_url)
    before = client.config_get("maxmemory-policy")["maxmemory-policy"]
    try:
        client.config_set("maxmemory-policy", "noeviction")
        assert broker_check.broker_cannot_evict(None) == []
        client.config_set("maxmemory-policy", "allkeys-lru")
        [warning] = broker_check.broker_cannot_evict(None)
        assert warning.id == "notify.W011" and "allkeys-lru" in warning.msg
        assert [m.id for m in broker_check.log_broker_problems()] == ["notify.W011"]
    finally:
        client.config_set("maxmemory-policy", before)
        client.close()


def test_an_unreachable_broker_is_not_reported_as_evicting(settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    assert broker_check.broker_cannot_evict(None) == []


def test_the_visibility_timeout_must_outlast_the_longest_countdown_and_time_limit(settings):
    settings.REDIS_URL = settings.REDIS_URL or "redis://127.0.0.1:1/0"
    needed = broker_check.longest_countdown_s() + broker_check.longest_time_limit_s()
    assert needed >= settings.SEND_RETRY_MAX_S + 1800  # the retry countdown and start_campaign's limit at least
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": needed}
    [error] = broker_check.visibility_timeout_is_long_enough(None)
    assert error.id == "notify.E010"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": needed + 1}
    assert broker_check.visibility_timeout_is_long_enough(None) == []


def test_the_default_visibility_timeout_passes_the_check():
    from notify_console import env

    assert env.env_int("CELERY_VISIBILITY_TIMEOUT_S", 7200) > (
        broker_check.longest_countdown_s() + broker_check.longest_time_limit_s())
