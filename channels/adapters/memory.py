"""In-memory adapter for tests: keeps every message in a module-level list, and can be scripted to fail.

    from channels.adapters import memory
    memory.reset()
    memory.fail_for("bad@example.jp", code="smtp.5.1.1", permanent=True, suppression="hard_bounce")
    ... run the code under test ...
    assert [m.to for m in memory.sent("email")] == [...]

Shared by every thread of the process (Celery eager mode, live_server); not across processes.

``MEMORY_ADAPTER_EXIT_ON=<address>`` in a worker's environment makes a send to that address end the
process on the spot (``os._exit``): a poison message, for the tests of the poison-message guard.
"""

from __future__ import annotations

import itertools
import os
import threading
from dataclasses import dataclass

from .base import Adapter, OutgoingMessage, SendResult

_lock = threading.Lock()
_ids = itertools.count(1)
OUTBOX: list[OutgoingMessage] = []
_scripts: dict[str, _Failure] = {}


@dataclass
class _Failure:
    code: str
    message: str
    permanent: bool
    suppression: str
    retry_after: float | None
    times: int | None  # None: every time


def reset() -> None:
    with _lock:
        OUTBOX.clear()
        _scripts.clear()


def sent(channel: str | None = None) -> list[OutgoingMessage]:
    with _lock:
        return [m for m in OUTBOX if channel is None or m.channel == channel]


def fail_for(
    to: str,
    *,
    code: str,
    message: str = "scripted failure",
    permanent: bool = False,
    suppression: str = "",
    retry_after: float | None = None,
    times: int | None = None,
) -> None:
    """Make sends to ``to`` fail with this error (``times`` times, or always)."""
    with _lock:
        _scripts[to] = _Failure(code, message, permanent, suppression, retry_after, times)


class MemoryAdapter(Adapter):
    def _send_one(self, message: OutgoingMessage) -> SendResult:
        if message.to and message.to == os.environ.get("MEMORY_ADAPTER_EXIT_ON"):
            os._exit(70)  # a message that kills its worker (a segfaulting library, the OOM killer)
        with _lock:
            failure = _scripts.get(message.to)
            if failure is not None:
                if failure.times is not None:
                    failure.times -= 1
                    if failure.times <= 0:
                        del _scripts[message.to]
                return SendResult.failed(
                    message,
                    failure.code,
                    failure.message,
                    permanent=failure.permanent,
                    suppression=failure.suppression,
                    retry_after=failure.retry_after,
                )
            OUTBOX.append(message)
            return SendResult.sent(message, provider_id=f"mem-{next(_ids)}")
