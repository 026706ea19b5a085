"""The shared send throttle: token buckets keyed by strings, shared by every worker.

Backends: Redis (an atomic Lua script, one round trip, Redis' own clock) when ``REDIS_URL`` is set —
shared across machines; otherwise a file under ``VAR_DIR/throttle`` guarded by ``flock`` — shared by
the processes of one machine (the embedded default), with no database involved so it is SQLite-safe.

Keys are free-form: ``"email:smtp"``, ``"sms:twilio"``, ``"campaign:42"``. ``acquire_all`` takes the
same number of tokens from several buckets at once (provider and campaign), atomically, so a token is
never taken from one bucket and wasted because the other was empty.

Grants may be partial: asking for 200 may yield 37 now. Nothing here sleeps longer than
``max_wait_s``; with nothing granted, ``Grant.wait_s`` says when to come back (a Celery retry
countdown, say)::

    grant = acquire_all([channel_bucket("email"), Bucket("campaign:42", 20)], n=len(batch), max_wait_s=2)
    send(batch[: grant.granted]); requeue the rest after grant.wait_s
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings


@dataclass(frozen=True)
class Bucket:
    key: str
    rate_per_s: float  # tokens added per second; <= 0 means unlimited (the bucket is ignored)
    burst: int = 0  # capacity; 0 means one second's worth (at least 1)

    @property
    def capacity(self) -> int:
        return self.burst if self.burst > 0 else max(1, int(self.rate_per_s))


@dataclass(frozen=True)
class Grant:
    granted: int  # tokens taken now (0 … n)
    wait_s: float  # seconds until the next token is available in every bucket (0 if one is now)


class Store:
    def take(self, buckets: Sequence[Bucket], n: int) -> tuple[int, float]:
        """Atomically take min(n, whole tokens in every bucket) from all of them."""
        raise NotImplementedError

    def reset(self, keys: Sequence[str]) -> None:
        raise NotImplementedError


def acquire_all(
    buckets: Sequence[Bucket | None], *, n: int = 1, max_wait_s: float = 0.0, store: Store | None = None
) -> Grant:
    """Take up to ``n`` tokens from every bucket (``None`` entries and unlimited buckets are skipped),
    waiting at most ``max_wait_s`` for the first one."""
    limited = [b for b in buckets if b is not None and b.rate_per_s > 0]
    if not limited or n <= 0:
        return Grant(max(n, 0), 0.0)
    store = store or get_store()
    deadline = time.monotonic() + max(0.0, max_wait_s)
    while True:
        granted, wait = store.take(limited, n)
        if granted:
            return Grant(granted, wait)
        remaining = deadline - time.monotonic()
        if wait > remaining:  # cannot be served within the bound: say when, without sleeping
            return Grant(0, wait)
        time.sleep(max(wait, 0.0005))


def acquire(key: str, rate_per_s: float, burst: int = 0, *, n: int = 1, max_wait_s: float = 0.0,
            store: Store | None = None) -> Grant:
    return acquire_all([Bucket(key, rate_per_s, burst)], n=n, max_wait_s=max_wait_s, store=store)


def channel_bucket(channel: str, backend: str | None = None) -> Bucket | None:
    """The configured bucket for a channel's provider (EMAIL_RATE_PER_S / SMS_RATE_PER_S), or None if unlimited."""
    from ..adapters import backend_name

    rate = {"email": settings.EMAIL_RATE_PER_S, "sms": settings.SMS_RATE_PER_S}[channel]
    if rate <= 0:
        return None
    return Bucket(f"{channel}:{backend or backend_name(channel)}", rate)


def get_store() -> Store:
    return _store(settings.REDIS_URL, str(settings.VAR_DIR))


@lru_cache(maxsize=4)
def _store(redis_url: str, var_dir: str) -> Store:
    if redis_url:
        from .redis_store import RedisStore

        return RedisStore(redis_url)
    from pathlib import Path

    from .file_store import FileStore

    return FileStore(Path(var_dir) / "throttle")
