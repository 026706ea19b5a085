"""Audience-wide numbers for preflight, set-based: never a Python loop over recipients.

One GROUP BY over the whole audience (``annotate_block_reason`` from audiences) gives, per block reason,
the head count and — for sendable recipients — how many lack or leave empty each merge field the
template reads, and how many have characters outside GSM-7 in them (their SMS goes out as UCS-2). A
second query finds the recipients with the longest merge-field values (the longest SMS, the longest
name) and a handful of random ones by id, for previews.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from django.db.models import Count, F, IntegerField, Max, Min, Q, QuerySet, Value
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Coalesce, Length, Trim

from audiences.eligibility import annotate_block_reason

from ..rendering import BUILTIN_FIELDS

try:  # the one place that knows the GSM-7 alphabet
    from channels.sms import GSM7_BASIC, GSM7_EXTENSION
except ImportError:  # pragma: no cover
    GSM7_BASIC = GSM7_EXTENSION = frozenset()

_GSM_CHARS = sorted(GSM7_BASIC | GSM7_EXTENSION)
# A character class both PostgreSQL (ARE) and Python's re (SQLite's REGEXP) read the same way.
NON_GSM_PATTERN = "[^" + "".join("\\" + c if c in "\\]^-[" else c for c in _GSM_CHARS) + "]"
RECIPIENT_COLUMNS = ("id", "external_id", "name", "email", "phone", "phone_type", "attributes")


@dataclass
class AudienceStats:
    total: int = 0
    sendable: int = 0
    blocked: dict[str, int] = field(default_factory=dict)
    missing: dict[str, int] = field(default_factory=dict)
    empty: dict[str, int] = field(default_factory=dict)
    non_gsm: int = 0
    min_id: int | None = None
    max_id: int | None = None


def field_text(name: str):
    """An expression for a merge field's text: a Recipient column or a key of ``attributes``."""
    if name in BUILTIN_FIELDS:
        return F(name)
    return KeyTextTransform(name, "attributes")


def field_json(name: str):
    return F(name) if name in BUILTIN_FIELDS else KeyTransform(name, "attributes")


def _missing(name: str, alias: str) -> Q:
    """Absent: an empty column, or a key that is not there or holds JSON null."""
    if name in BUILTIN_FIELDS:
        return Q(**{name: ""})
    return Q(**{f"{alias}__isnull": True}) | Q(**{alias: None})


def lacking(queryset: QuerySet, name: str) -> QuerySet:
    """Recipients of ``queryset`` for whom merge field ``name`` is missing or blank."""
    aliased = queryset.alias(_mf=field_json(name), _mt=Trim(field_text(name)))
    return aliased.filter(_missing(name, "_mf") | Q(_mt=""))


def audience_stats(queryset: QuerySet, *, channel: str, purpose: str, exclusion_list_id: int | None,
                   fields: set[str], check_gsm: bool = False) -> AudienceStats:
    fields = sorted(fields)
    annotated = annotate_block_reason(queryset.order_by(), channel=channel, purpose=purpose,
                                      exclusion_list_id=exclusion_list_id)
    # Aliases by position: merge field names are template identifiers, not always valid ORM names.
    annotated = annotated.alias(**{f"_mf{i}": field_json(name) for i, name in enumerate(fields)})
    annotated = annotated.alias(**{f"_mt{i}": Trim(field_text(name)) for i, name in enumerate(fields)})
    aggregates = {"n": Count("id"), "min_id": Min("id"), "max_id": Max("id")}
    for i, name in enumerate(fields):
        missing = _missing(name, f"_mf{i}")
        aggregates[f"missing_{i}"] = Count("id", filter=missing)
        aggregates[f"empty_{i}"] = Count("id", filter=Q(**{f"_mt{i}": ""}) & ~missing)
    if check_gsm and fields:
        non_gsm = Q()
        for i in range(len(fields)):
            non_gsm |= Q(**{f"_mt{i}__regex": NON_GSM_PATTERN})
        aggregates["non_gsm"] = Count("id", filter=non_gsm)
    stats = AudienceStats()
    for row in annotated.values("block_reason").annotate(**aggregates).order_by():
        stats.total += row["n"]
        if row["block_reason"] is not None:
            stats.blocked[row["block_reason"]] = row["n"]
            continue
        stats.sendable = row["n"]
        stats.min_id, stats.max_id = row["min_id"], row["max_id"]
        stats.non_gsm = row.get("non_gsm", 0)
        for i, name in enumerate(fields):
            if row[f"missing_{i}"]:
                stats.missing[name] = row[f"missing_{i}"]
            if row[f"empty_{i}"]:
                stats.empty[name] = row[f"empty_{i}"]
    return stats


def sendable(queryset: QuerySet, *, channel: str, purpose: str, exclusion_list_id: int | None) -> QuerySet:
    return annotate_block_reason(queryset.order_by(), channel=channel, purpose=purpose,
                                 exclusion_list_id=exclusion_list_id).filter(block_reason__isnull=True)


def longest(queryset: QuerySet, *, fields: set[str], limit: int = 1) -> list[dict]:
    """Sendable recipients whose merge fields (and name) are longest: the edge case of every preview."""
    total = Value(0, output_field=IntegerField())
    for name in sorted(set(fields) | {"name"}):
        total = total + Coalesce(Length(field_text(name)), Value(0))
    return list(queryset.alias(_len=total).order_by("-_len", "id").values(*RECIPIENT_COLUMNS)[:limit])


def longest_name(queryset: QuerySet) -> list[dict]:
    return list(queryset.alias(_len=Length("name")).order_by("-_len", "id").values(*RECIPIENT_COLUMNS)[:1])


def with_empty_optional(queryset: QuerySet, *, optional: set[str]) -> list[dict]:
    if not optional:
        return []
    names = sorted(optional)
    condition = Q()
    for i in range(len(names)):
        condition |= Q(**{f"_mt{i}__isnull": True}) | Q(**{f"_mt{i}": ""})
    aliased = queryset.alias(**{f"_mt{i}": Trim(field_text(name)) for i, name in enumerate(names)})
    return list(aliased.filter(condition).order_by("id").values(*RECIPIENT_COLUMNS)[:1])


def random_sample(queryset: QuerySet, *, min_id: int | None, max_id: int | None, size: int = 5,
                  rng: random.Random | None = None) -> list[dict]:
    """A few sendable recipients picked by random id (index seeks, not ORDER BY random() over 10^6 rows)."""
    if min_id is None or max_id is None:
        return []
    rng = rng or random.SystemRandom()
    found: dict[int, dict] = {}
    for _ in range(size * 2):
        if len(found) >= size:
            break
        start = rng.randint(min_id, max_id)
        row = queryset.filter(id__gte=start).order_by("id").values(*RECIPIENT_COLUMNS).first()
        if row is not None:
            found.setdefault(row["id"], row)
    return list(found.values())
