"""Pieces of the chaos scenario (issue 8) shared by ``bench/chaos_bench.py`` and ``tests/delivery/test_chaos.py``:
an SMTP sink that records every message it accepts and can be switched to answer 4xx or to stall, and
the tally of what the sinks received against what the database says was eligible.

    python -m channels.testing.chaos --port 2526 --record smtp.tsv --fault-file smtp.fault

The sink accepts a message only by answering 250 to its DATA; only then is it recorded, one line
"Message-ID local part<TAB>recipient", flushed at once. The fault file holds ``4xx`` (answer 451),
``stall`` (say nothing for ``--stall-s`` seconds, past the client's timeout, then 451: never accepted)
or nothing. The Twilio stand-in (``channels.testing.twilio_standin --record --fault-file``) does the same
for SMS with ``429``, ``503`` and ``stall``.

Definitions of the tally (counted from what the SINKS recorded, not from our own rows):

- ``lost``: eligible recipients (the addresses of the campaign's delivery rows that are not skipped) the
  sink never accepted a message for.
- ``duplicates``: accepted messages beyond the first, per recipient.
- ``duplicates_in_flight``: those of the duplicates where every copy the recipient got carries the same
  Message-ID / Twilio client reference (``mid``, both are the delivery id) AND each extra copy goes with
  one reconciliation of that delivery that took back exactly the ``lease_until`` the row had at the
  moment of a SIGKILL of a worker process (the reconciler keeps the expired lease in the
  ``send.reconciled`` event; the driver records every claimed row's lease right after each kill). A
  lease that was never renewed after the kill belonged to a process that died there: a live batch
  renews its lease every quarter lease. Such a copy is the price of at-least-once delivery and
  recognisable as the same message by the receiver; any other duplicate is a bug.
- ``duplicates_redis_restart``: the same match against the leases recorded at a restart of Redis,
  counted apart (a Redis restart kills no worker, so it explains nothing: these are not in flight).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

_MESSAGE_ID = re.compile(rb"^Message-ID: <([^@>]+)@", re.MULTILINE | re.IGNORECASE)


class FaultFile:
    """A fault switched on and off through a file (re-read at most every 0.1 s); or set ``value`` directly."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path, self.value, self._read = path, "", 0.0

    def __call__(self) -> str:
        if self.path and time.monotonic() - self._read > 0.1:
            try:
                self.value = Path(self.path).read_text().strip()
            except OSError:
                self.value = ""
            self._read = time.monotonic()
        return self.value


class RecordingSink:
    """An aiosmtpd handler: records what it accepts (to ``record_path`` and to ``received``)."""

    def __init__(self, record_path: str | Path | None = None, fault: FaultFile | None = None,
                 stall_s: float = 5.0) -> None:
        self.record = open(record_path, "a", encoding="utf-8") if record_path else None  # noqa: SIM115
        self.fault, self.stall_s = fault or FaultFile(), stall_s
        self.received: list[tuple[str, str]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        fault = self.fault()
        if fault == "stall":
            await asyncio.sleep(self.stall_s)
            return "451 4.4.2 Stalled (chaos)"
        if fault == "4xx":
            return "451 4.3.0 Temporary failure (chaos)"
        match = _MESSAGE_ID.search(envelope.original_content or envelope.content)
        message_id = match.group(1).decode() if match else ""
        for rcpt in envelope.rcpt_tos:
            self.received.append((message_id, rcpt))
            if self.record:
                self.record.write(f"{message_id}\t{rcpt}\n")
        if self.record:
            self.record.flush()
        return "250 2.0.0 Ok: queued"


def read_records(path: str | Path) -> list[tuple[str, str]]:
    """(message id, recipient) per accepted message from a record file (a torn last line is ignored)."""
    rows = []
    with contextlib.suppress(FileNotFoundError), open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.endswith("\n") and "\t" in line:
                mid, to = line.rstrip("\n").split("\t", 1)
                rows.append((mid, to))
    return rows


@dataclass
class Tally:
    messages: int
    lost: int
    duplicates: int
    duplicates_in_flight: int
    duplicates_redis_restart: int
    lost_examples: list[str]
    unexplained: list[str]  # recipients with a duplicate that is not explained by a fault


def tally(eligible: set[str], received: list[tuple[str, str]], in_flight: dict[int, int], *,
          delivery_id_from, redis_restart: dict[int, int] | None = None) -> Tally:
    """``eligible``: addresses; ``received``: (message id, address) as the sink recorded them;
    ``in_flight``: delivery id → how many of its reconciliations took back a lease recorded at a kill
    (each explains one extra copy); ``redis_restart``: the same for the leases recorded at a Redis restart
    (counted apart, explains nothing)."""
    redis_restart = redis_restart or {}
    by_address: dict[str, list[str]] = defaultdict(list)
    for mid, address in received:
        by_address[address.lower()].append(mid)
    eligible = {address.lower() for address in eligible}
    lost = sorted(eligible - set(by_address))
    duplicates = explained = at_redis = 0
    unexplained = []
    for address, mids in by_address.items():
        extra = len(mids) - 1
        if extra <= 0:
            continue
        duplicates += extra
        ids = Counter(mids)
        delivery_id = delivery_id_from(mids[0]) if len(ids) == 1 else None
        killed = min(extra, in_flight.get(delivery_id, 0)) if delivery_id is not None else 0
        explained += killed
        if killed < extra:
            at_redis += min(extra - killed, redis_restart.get(delivery_id, 0)) if delivery_id is not None else 0
            unexplained.append(f"{address}: {dict(ids)}")
    return Tally(messages=len(eligible), lost=len(lost), duplicates=duplicates, duplicates_in_flight=explained,
                 duplicates_redis_restart=at_redis, lost_examples=lost[:10], unexplained=unexplained[:10])


def main() -> None:
    from aiosmtpd.controller import Controller

    parser = argparse.ArgumentParser(description="a recording SMTP sink for the chaos bench")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--record", required=True)
    parser.add_argument("--fault-file")
    parser.add_argument("--stall-s", type=float, default=5.0)
    args = parser.parse_args()
    sink = RecordingSink(args.record, FaultFile(args.fault_file), args.stall_s)
    controller = Controller(sink, hostname=args.host, port=args.port, data_size_limit=10 * 1024 * 1024)
    controller.start()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
