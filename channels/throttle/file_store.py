"""Token buckets in one file, for the single-machine embedded default (no Redis, possibly SQLite).

Every take locks the file with ``flock`` (exclusive between the processes of this machine), reads the
JSON state, updates it and writes it back in place. A torn write (a process killed mid-write) reads
as an empty state: buckets start full again, a bounded one-off burst. Buckets that have refilled
completely are dropped, so the file stays small however many campaign keys pass through.
"""

from __future__ import annotations

import fcntl
import json
import math
import os
import time
from collections.abc import Sequence
from pathlib import Path

from . import Bucket, Store


class FileStore(Store):
    def __init__(self, directory: Path) -> None:
        self.path = Path(directory) / "buckets.json"
        self._fd: int | None = None
        self._pid = 0

    def _handle(self) -> int:
        # flock belongs to the open file description, which a fork shares: reopen in each process.
        if self._fd is None or self._pid != os.getpid():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd

    def _locked(self, update):
        fd = self._handle()
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            raw = os.pread(fd, 1 << 22, 0)
            try:
                state = json.loads(raw) if raw else {}
            except ValueError:
                state = {}
            result = update(state, time.time())
            data = json.dumps(state, separators=(",", ":")).encode()
            os.pwrite(fd, data, 0)
            os.ftruncate(fd, len(data))
            return result
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

    def take(self, buckets: Sequence[Bucket], n: int) -> tuple[int, float]:
        def update(state: dict, now: float):
            levels = []
            for b in buckets:
                tokens, ts, _full_at = state.get(b.key, (b.capacity, now, now))
                levels.append(min(b.capacity, tokens + max(0.0, now - ts) * b.rate_per_s))
            grant = max(0, min([n] + [math.floor(level + 1e-9) for level in levels]))
            wait = 0.0
            for b, level in zip(buckets, levels, strict=True):
                left = level - grant
                if left < 1:
                    wait = max(wait, (1 - left) / b.rate_per_s)
                state[b.key] = (left, now, now + (b.capacity - left) / b.rate_per_s)
            for key in [k for k, v in state.items() if v[2] < now]:
                del state[key]  # full again: identical to absent
            return grant, wait

        return self._locked(update)

    def reset(self, keys: Sequence[str]) -> None:
        def update(state: dict, now: float):
            for key in keys:
                state.pop(key, None)

        self._locked(update)
