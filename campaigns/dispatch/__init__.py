"""The delivery pipeline: from an approved campaign to one final delivery row per recipient.

    tick (beat, every DISPATCH_TICK_S) ──start──▶ materialise (INSERT … SELECT) ──fan out──▶ send_batch × N
         │                                                                              │
         ├─ released pilot → materialise the rest → fan out                             ├─ claim (SKIP LOCKED)
         ├─ paused/closed window ended (needs_fanout) → fan out                         ├─ per chunk: state, window,
         ├─ stalled (due rows, no progress) → a sweep batch                             │  suppression, throttle,
         ├─ cancelled → pending rows skipped                                            │  render, send_many,
         └─ nothing pending or sending → completed                                      │  results + audit (1 tx)
    reconcile (beat): "sending" past its lease → pending, same delivery id              └─ retry later / finish

Modules: ``clock`` (the time every decision reads), ``materialise`` (start, pilot release),
``fanout`` (ranges of rows → tasks), ``claim`` (claiming and releasing rows), ``batch`` (one
``send_batch``), ``outgoing`` (rendering a chunk into adapter messages), ``results`` (writing outcomes
and their audit events), ``finish`` (completion, cancelled leftovers), ``reconcile`` (expired leases,
stalls), ``complaints`` (the complaint-rate guard), ``tick`` (what beat runs), ``monitor`` (reads
for the monitor page).

The database is the truth: a task that is lost, delivered twice or killed half-way changes nothing
that the claim conditions and the leases do not repair. Celery only carries ids.
"""

ACTOR = "system:dispatch"
MESSAGE_ID_PREFIX = "nc-"


def message_id_for(delivery_id: int) -> str:
    """The delivery id as it travels (Message-ID local part, Twilio callback ``mid``)."""
    return f"{MESSAGE_ID_PREFIX}{delivery_id}"


def delivery_id_from(message_id: str) -> int | None:
    """Back from a travelling id to the delivery row's id (``None`` if it is not one of ours)."""
    if not message_id or not message_id.startswith(MESSAGE_ID_PREFIX):
        return None
    tail = message_id[len(MESSAGE_ID_PREFIX):]
    return int(tail) if tail.isdigit() else None
