"""Starting a campaign: its frozen audience becomes delivery rows in one ``INSERT … SELECT``.

Each recipient the pinned audience selects gets one row (the unique constraint on campaign ×
recipient × channel makes a second materialisation a no-op: ``ON CONFLICT DO NOTHING``). The block
reason comes from ``audiences.eligibility.annotate_block_reason`` — the one function that decides —
computed in the same statement: sendable recipients get a ``pending`` row, the others a ``skipped``
row carrying the reason, and each skipped row gets its ``send.skipped`` audit event in a second
set-based statement. Nothing here loops over recipients in Python, so 10^6 recipients cost two
statements.

Pilot: with ``pilot_percentage`` N and no release yet, only N % of the sendable recipients (a fixed
pseudo-random sample: ordered by a multiplicative hash of the id) get their rows; blocked recipients
get their skipped rows at once, so the monitor shows the skip reasons from the start. The release
(``campaign_release`` sets ``pilot_released_at``) is picked up by the tick, which materialises the
rest with the same statement.
"""

from __future__ import annotations

import logging

from django.db import connection, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from audiences.eligibility import annotate_block_reason
from audit.services import record_from_select

from ..hashing import content_hash
from ..models import Campaign, Delivery
from ..selectors import campaign_audience
from ..services import campaign_transition
from . import ACTOR, clock
from .sql import is_postgres, json_object, table, ts

logger = logging.getLogger(__name__)
S = Campaign.State
# Knuth's multiplicative hash: spreads ids so that a pilot is not "the oldest customers".
_PILOT_HASH = "((a.id * 2654435761) %% 1000003)"


def _audience_sql(campaign: Campaign) -> tuple[str, list]:
    address = "email" if campaign.channel == "email" else "phone"
    annotated = annotate_block_reason(campaign_audience(campaign).order_by(), channel=campaign.channel,
                                      purpose=campaign.purpose, exclusion_list_id=campaign.exclusion_list_id)
    query = annotated.annotate(dispatch_address=F(address)).values_list("id", "dispatch_address", "block_reason")
    sql, params = query.query.sql_with_params()
    return sql, list(params)


def _insert_rows(campaign: Campaign, *, pilot_only: bool, now) -> int:
    """One INSERT … SELECT; returns the number of rows inserted."""
    audience, params = _audience_sql(campaign)
    source = f"({audience}) a"
    condition = "1 = 1"  # SQLite needs a WHERE before ON CONFLICT to parse INSERT … SELECT
    if pilot_only:
        # Every blocked recipient, and the first ceil(N % of the sendable) in hash order.
        source = (f"(SELECT a.*, ROW_NUMBER() OVER (PARTITION BY (a.block_reason IS NULL) "
                  f"ORDER BY {_PILOT_HASH}, a.id) AS pilot_rank, "
                  f"COUNT(*) OVER (PARTITION BY (a.block_reason IS NULL)) AS pilot_n FROM {source}) a")
        condition = "(a.block_reason IS NOT NULL OR a.pilot_rank * 100 <= a.pilot_n * %s + 99)"
        params.append(campaign.pilot_percentage)
    sql = (
        f"INSERT INTO {table(Delivery)} (campaign_id, recipient_id, channel, address, status, skip_reason, "
        "attempts, provider_id, error_code, error_message, created_at, updated_at) "
        "SELECT %s, a.id, %s, COALESCE(a.dispatch_address, ''), "
        "CASE WHEN a.block_reason IS NULL THEN 'pending' ELSE 'skipped' END, COALESCE(a.block_reason, ''), "
        f"0, '', '', '', %s, %s FROM {source} WHERE {condition} "
        "ON CONFLICT (campaign_id, recipient_id, channel) DO NOTHING"
    )
    head = [campaign.pk, campaign.channel, ts(now), ts(now)]
    with connection.cursor() as cursor:
        cursor.execute(sql, head + params)
        return max(cursor.rowcount, 0)


def _audit_skipped(campaign: Campaign, *, after_id: int, now, stage: str) -> int:
    """``send.skipped`` for each skipped row of ``campaign`` with an id above ``after_id``."""
    details = json_object(skip_reason="d.skip_reason", stage=f"'{stage}'")
    object_id = "CAST(d.id AS TEXT)"
    select = (
        f"SELECT %s, %s, 'send.skipped', 'campaigns.delivery', {object_id}, d.campaign_id, d.recipient_id, "
        f"d.channel, d.address, 'skipped', {details}, NULL, '' FROM {table(Delivery)} d "
        "WHERE d.campaign_id = %s AND d.status = 'skipped' AND d.id > %s ORDER BY d.id"
    )
    return record_from_select(select, [ts(now), ACTOR, campaign.pk, after_id])


def _materialise(campaign: Campaign, *, pilot_only: bool, now, stage: str) -> dict:
    last = Delivery.objects.filter(campaign=campaign).order_by("-id").values_list("id", flat=True).first() or 0
    inserted = _insert_rows(campaign, pilot_only=pilot_only, now=now)
    skipped = _audit_skipped(campaign, after_id=last, now=now, stage=stage)
    return {"rows": inserted, "skipped": skipped, "pending": inserted - skipped}


def _lock(campaign_id: int) -> Campaign | None:
    """The campaign row, locked; ``None`` when another transaction holds it (PostgreSQL: SKIP LOCKED, so a
    second start task does not tie up a worker waiting for the first)."""
    rows = Campaign.objects.select_for_update(skip_locked=is_postgres(), of=("self",)).select_related(
        "template", "template_version", "sender", "segment").filter(pk=campaign_id)
    return rows.first()


def campaign_start(*, campaign_id: int) -> bool:
    """approved → sending: materialise the delivery rows (the pilot part when there is a pilot).

    Refuses (returns False) unless the campaign is approved and its ``send_at`` has come. A campaign whose
    content changed since approval (e.g. the sender's legal details) goes back to draft instead: what is
    sent must be exactly what was approved.
    """
    now = clock.now()
    with transaction.atomic():
        campaign = _lock(campaign_id)
        if campaign is None or campaign.state != S.APPROVED or (campaign.send_at and campaign.send_at > now):
            return False
        if campaign.template_version_id is None or content_hash(campaign) != campaign.content_hash:
            logger.warning("campaign %s changed after approval; back to draft", campaign_id)
            campaign_transition(campaign_id=campaign_id, to_state=S.DRAFT, actor=ACTOR,
                                reason=_("What this campaign sends changed after it was approved; "
                                         "submit it again."))
            return False
        pilot_only = bool(campaign.pilot_percentage) and campaign.pilot_released_at is None
        counts = _materialise(campaign, pilot_only=pilot_only, now=now, stage="start")
        Campaign.objects.filter(pk=campaign_id).update(
            materialised_at=now, rest_materialised_at=None if pilot_only else now, needs_fanout=False)
        campaign_transition(campaign_id=campaign_id, to_state=S.SENDING, actor=ACTOR, pilot=pilot_only,
                            pilot_percentage=campaign.pilot_percentage, **counts)
    return True


def campaign_materialise_rest(*, campaign_id: int) -> bool:
    """After a pilot was released: rows for the rest of the audience (eligibility decided now)."""
    now = clock.now()
    with transaction.atomic():
        campaign = _lock(campaign_id)
        if (campaign is None or campaign.state not in (S.SENDING, S.PAUSED) or campaign.pilot_released_at is None
                or campaign.rest_materialised_at is not None):
            return False
        counts = _materialise(campaign, pilot_only=False, now=now, stage="release")
        Campaign.objects.filter(pk=campaign_id).update(rest_materialised_at=now)
        from audit.services import record

        record(action="campaign.rest_materialised", actor=ACTOR, obj=campaign, campaign_id=campaign.pk,
               channel=campaign.channel, outcome=campaign.state, details=counts)
    return True
