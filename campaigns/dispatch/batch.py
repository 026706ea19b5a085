"""One ``send_batch(campaign_id, first_id, last_id)``: claim, then chunk by chunk re-check and send.

Before every chunk of ``SEND_CHUNK_SIZE`` rows: the campaign is still ``sending`` (a pause or cancel
stops the batch here), the send window is open (collection: never 21:00–08:00 Asia/Tokyo, whatever
the campaign says), nobody in the chunk became blocked (set-based ``annotate_block_reason`` over the
rows the batch holds, repeated when the last check is more than ``RECHECK_S`` old), and the
shared throttle grants tokens (per provider and per campaign; waiting at most
``SEND_THROTTLE_WAIT_S`` per grant). The window is looked at once more right before the adapter call.
Then ``send_many``, and the results with their audit events in one transaction.

Rows the batch does not get to (paused, window closed, out of time) go back to ``pending`` untouched.
A live batch renews the lease of the rows it still holds every quarter lease — between chunks, and from a
heartbeat thread while the adapter works on a chunk — so only a dead worker's rows expire; it also gives
its worker back after half a lease (the rest goes out in the next run). A Celery soft time limit
propagates out of the adapter: the untried rows are released, the chunk in flight waits for its lease.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import deque
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Q

from audiences.eligibility import annotate_block_reason
from audiences.models import Recipient
from channels.adapters import get_adapter
from channels.adapters.base import STOP_EXCEPTIONS
from channels.throttle import acquire_all

from ..models import Campaign, Delivery
from ..rendering import RenderError
from ..window import within_collection_hours
from . import clock, results
from .claim import Heartbeat, claim, due_pending_exists, release, renew
from .fanout import BULK, enqueue
from .finish import campaign_fail, campaign_finish_if_done
from .outgoing import ROW_FIELDS, SendPlan, build_all

logger = logging.getLogger(__name__)
S = Campaign.State
# Eligibility (suppressions, exclusions, consent) is re-checked for the rows a batch still holds at most
# this often: once per batch at full speed, every couple of seconds when the throttle makes it slow.
RECHECK_S = 2.0


@dataclass
class BatchReport:
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    deferred: int = 0
    skipped: int = 0
    released: int = 0
    stopped: str = ""  # why it ended early: state, window, time
    retry_at: dt.datetime | None = None  # the latest available_at of rows it deferred
    more: bool = False  # due rows remain in the range (queue the batch again)
    counts: dict = field(default_factory=dict)


def window_open(campaign: Campaign, moment: dt.datetime) -> bool:
    if campaign.purpose == "collection" and not within_collection_hours(moment):
        return False
    return campaign.window.contains(moment)


def _state(campaign_id: int) -> str:
    return Campaign.objects.filter(pk=campaign_id).values_list("state", flat=True).first() or ""


def _blocked(plan: SendPlan, rows: list[dict]) -> dict[int, str]:
    """delivery id → skip reason for rows whose recipient may not be sent to now (one query)."""
    campaign = plan.campaign
    by_recipient = {row["recipient_id"]: row for row in rows}
    address_field = "email_normalized" if campaign.channel == "email" else "phone"
    current = annotate_block_reason(Recipient.objects.filter(id__in=list(by_recipient)), channel=campaign.channel,
                                    purpose=campaign.purpose, exclusion_list_id=campaign.exclusion_list_id)
    found: dict[int, str] = {}
    seen = set()
    for recipient_id, reason, address in current.values_list("id", "block_reason", address_field):
        seen.add(recipient_id)
        row = by_recipient[recipient_id]
        materialised = row["address"].lower() if campaign.channel == "email" else row["address"]
        if reason:
            found[row["id"]] = reason
        elif address != materialised:
            # The address changed since the audience was frozen: the suppression check above was for the
            # new one, not for where this message would go.
            found[row["id"]] = "address_changed"
    for row in rows:
        if row["recipient_id"] not in seen:
            found[row["id"]] = "recipient_gone"
    return found


def _load(ids: list[int]) -> list[dict]:
    return list(Delivery.objects.filter(id__in=ids).order_by("id").values(*ROW_FIELDS))


class Batch:
    def __init__(self, campaign: Campaign, first_id: int, last_id: int) -> None:
        self.campaign, self.first_id, self.last_id = campaign, first_id, last_id
        self.report = BatchReport()
        self.deadline = time.monotonic() + settings.SEND_LEASE_S / 2
        self.lease_until: dt.datetime | None = None
        self.renewed_at = time.monotonic()
        self.blocked: dict[int, str] = {}  # delivery id → why it may not be sent (the last recheck)
        self.untried: list[dict] = []  # rows taken off the queue for a chunk, not yet handed to the adapter
        self.checked_at: float | None = None

    def run(self) -> BatchReport:
        campaign, report = self.campaign, self.report
        now = clock.now()
        if campaign.state != S.SENDING:
            return self._stop("state")
        if not window_open(campaign, now):
            return self._stop("window")
        self.lease_until = now + dt.timedelta(seconds=settings.SEND_LEASE_S)
        ids = claim(campaign.pk, self.first_id, self.last_id, limit=settings.SEND_BATCH_SIZE, now=now,
                    lease_until=self.lease_until)
        report.claimed = len(ids)
        if not ids:
            return report
        try:
            plan = SendPlan.for_campaign(campaign)
        except RenderError:
            release(ids, lease_until=self.lease_until, now=now)
            raise
        queue = deque(_load(ids))
        try:
            with get_adapter(campaign.channel) as adapter:
                while queue:
                    if not self._send_chunk(plan, adapter, queue):
                        break
        except BaseException as exc:
            # Celery's soft time limit, a broker or database error half-way: the rows never tried go back
            # now (not counted as an attempt, nor as a worker death); a chunk that was inside the adapter
            # may have left, so it stays "sending" and the reconciler resends it under the same delivery
            # id once its lease runs out.
            untried = {row["id"] for row in queue} | {row["id"] for row in self.untried}
            try:
                release(sorted(untried), lease_until=self.lease_until, now=clock.now())
            except Exception:
                logger.exception("batch of campaign %s could not release its rows (their lease will)", campaign.pk)
            reason = "its time limit" if isinstance(exc, STOP_EXCEPTIONS) else repr(exc)
            logger.warning("batch of campaign %s stopped by %s; %s untried rows released", campaign.pk, reason,
                           len(untried))
            raise
        if queue:
            report.released += release([row["id"] for row in queue], lease_until=self.lease_until, now=clock.now())
        report.more = report.stopped in ("", "time") and due_pending_exists(
            campaign.pk, self.first_id, self.last_id, now=clock.now())
        return report

    def _stop(self, why: str) -> BatchReport:
        self.report.stopped = why
        return self.report

    def _may_continue(self) -> bool:
        if time.monotonic() > self.deadline:
            self.report.stopped = "time"
        elif _state(self.campaign.pk) != S.SENDING:
            self.report.stopped = "state"
        elif not window_open(self.campaign, clock.now()):
            self.report.stopped = "window"
        return not self.report.stopped

    def _send_chunk(self, plan: SendPlan, adapter, queue: deque) -> bool:
        """Send the next chunk of ``queue`` (popping what it handles); False when the batch must stop."""
        if not self._may_continue():
            return False
        self._renew(queue)
        if not queue:
            return False
        if self.checked_at is None or time.monotonic() - self.checked_at >= RECHECK_S:
            self.blocked = _blocked(plan, list(queue))
            self.checked_at = time.monotonic()
        chunk = [queue.popleft() for _ in range(min(settings.SEND_CHUNK_SIZE, len(queue)))]
        self.untried = chunk
        blocked = {row["id"]: self.blocked[row["id"]] for row in chunk if row["id"] in self.blocked}
        outcomes = [results.Outcome(row, "skipped", "send.skipped", skip_reason=blocked[row["id"]], attempted=False,
                                    details={"stage": "send"}) for row in chunk if row["id"] in blocked]
        sendable = [row for row in chunk if row["id"] not in blocked]
        grant = acquire_all(plan.buckets, n=len(sendable), max_wait_s=settings.SEND_THROTTLE_WAIT_S)
        if grant.granted < len(sendable):  # the rest waits for the next grant, first in line
            queue.extendleft(reversed(sendable[grant.granted:]))
            sendable = sendable[: grant.granted]
        ready, broken = build_all(plan, sendable)
        outcomes += [results.Outcome(row, "failed", "send.failed", error_code=exc.code, error_message=exc.message,
                                     details={"permanent": True, "stage": "render"}) for row, exc in broken]
        moment = clock.now()  # the moment of sending: what the window is checked against, and sent_at
        if ready and not window_open(self.campaign, moment):
            queue.extendleft(reversed([row for row, _ in ready]))
            ready = []
            self.report.stopped = "window"
        self.untried = []  # from here on, what was in the chunk may have left
        sent = self._send_many(adapter, [message for _, message in ready], chunk, queue) if ready else []
        outcomes += [results.from_result(row, result, now=moment) for (row, _), result in zip(ready, sent, strict=True)]
        now = clock.now()
        results.write(self.campaign, outcomes, lease_until=self.lease_until, now=now)
        self._count(outcomes)
        touch_progress(self.campaign.pk, now)
        return not self.report.stopped

    def _send_many(self, adapter, messages: list, chunk: list[dict], queue: deque) -> list:
        """``adapter.send_many`` with a heartbeat that keeps renewing the lease of every row the batch holds
        while the adapter works: a chunk that is slow (a provider stalling up to its timeout for each
        message) is not mistaken for a dead worker and sent a second time by the reconciler."""
        beat = Heartbeat([row["id"] for row in chunk] + [row["id"] for row in queue], self.lease_until)
        beat.start()
        try:
            return adapter.send_many(messages)
        finally:
            beat.stop()
            if beat.lease_until != self.lease_until:
                self.lease_until, self.renewed_at = beat.lease_until, time.monotonic()
                if beat.lost:
                    logger.warning("batch of campaign %s lost %s rows to the reconciler", self.campaign.pk,
                                   len(beat.lost))
                    kept = [row for row in queue if row["id"] not in beat.lost]
                    queue.clear()
                    queue.extend(kept)

    def _renew(self, queue: deque) -> None:
        """Extend the lease of the rows still queued, every quarter of a lease."""
        if time.monotonic() - self.renewed_at < settings.SEND_LEASE_S / 4:
            return
        now = clock.now()
        new_lease = now + dt.timedelta(seconds=settings.SEND_LEASE_S)
        ours = renew([row["id"] for row in queue], lease_until=self.lease_until, new_lease_until=new_lease, now=now)
        lost = [row for row in queue if row["id"] not in ours]
        if lost:  # reconciled while we were slow: someone else sends them now
            logger.warning("batch of campaign %s lost %s rows to the reconciler", self.campaign.pk, len(lost))
            kept = [row for row in queue if row["id"] in ours]
            queue.clear()
            queue.extend(kept)
        self.lease_until, self.renewed_at = new_lease, time.monotonic()

    def _count(self, outcomes: list[results.Outcome]) -> None:
        report = self.report
        for outcome in outcomes:
            if outcome.status == "sent":
                report.sent += 1
            elif outcome.status == "failed":
                report.failed += 1
            elif outcome.status == "skipped":
                report.skipped += 1
            else:
                report.deferred += 1
                if report.retry_at is None or outcome.available_at > report.retry_at:
                    report.retry_at = outcome.available_at


def touch_progress(campaign_id: int, now: dt.datetime) -> None:
    """Mark the campaign as moving (stall detection); at most one write per second per campaign."""
    stale = Q(last_progress_at__isnull=True) | Q(last_progress_at__lt=now - dt.timedelta(seconds=1))
    Campaign.objects.filter(stale, pk=campaign_id).update(last_progress_at=now)


def run_batch(campaign_id: int, first_id: int, last_id: int) -> BatchReport:
    """The whole ``send_batch`` task: the batch, then what follows from it (a retry for deferred rows, the
    batch again if rows remain, completion of the campaign)."""
    campaign = Campaign.objects.select_related("template", "template_version", "sender").filter(pk=campaign_id).first()
    if campaign is None:
        return BatchReport(stopped="gone")
    try:
        report = Batch(campaign, first_id, last_id).run()
    except RenderError as exc:  # the pinned template does not compile: nothing of this campaign can be sent
        logger.error("campaign %s cannot render: %s", campaign_id, exc)
        campaign_fail(campaign_id=campaign_id, reason=f"{exc.code}: {exc.message}")
        return BatchReport(stopped="template")
    if report.stopped in ("state", "window"):
        # Picked up again by the tick once the campaign may send (resumed, window open).
        Campaign.objects.filter(pk=campaign_id, needs_fanout=False).update(needs_fanout=True)
    if report.retry_at is not None:
        wait = (report.retry_at - clock.now()).total_seconds()
        enqueue(campaign_id, [(first_id, last_id)], countdown=min(max(wait, 0.0), settings.SEND_RETRY_MAX_S) + 0.5,
                priority=BULK)
    if report.more:
        enqueue(campaign_id, [(first_id, last_id)], priority=BULK)
    elif report.claimed:
        campaign_finish_if_done(campaign_id=campaign_id)
    return report
