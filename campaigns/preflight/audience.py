"""Audience-wide numbers for preflight, set-based: never a Python loop over recipients.

ONE scan of the audience (a GROUP BY over ``annotate_block_reason`` from audiences) gives, per block
reason, the head count and — for sendable recipients — how many lack or leave empty each merge field
the template reads, how many have characters outside GSM-7 in them (their SMS goes out as UCS-2), and
the ids of the edge cases the previews show: the longest name, the longest merge fields, one with an
empty optional field. (An id rides along with a length as ``MAX(length * 2^40 + id)``, so no second
sort over 10^6 rows is needed.) A few random sendable recipients are then picked by index seeks on id.
"""

from __future__ import annotations

import random
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import BooleanField, ExpressionWrapper, F, Q, QuerySet, TextField, Value
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Coalesce, Concat, Length, Trim

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
_ID_BITS = 2**40  # ids below 10^12: MAX(length * 2^40 + id) carries the id of the longest


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
    longest_name_id: int | None = None
    longest_fields_id: int | None = None
    empty_optional_id: int | None = None


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


@contextmanager
def scan_settings():
    """PostgreSQL settings for one big aggregate. The planner prices a CASE of a dozen subplans over
    10^6 rows so high that it JIT-compiles the query, which costs seconds for a single scan; and the
    GROUP BY should hash in memory instead of sorting a million rows on disk."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL work_mem = '64MB'")
        yield


def _id_of(carried: int | None) -> int | None:
    return None if carried is None else int(carried) % _ID_BITS


def _flag(condition: Q) -> ExpressionWrapper:
    return ExpressionWrapper(condition, output_field=BooleanField())


def audience_stats(queryset: QuerySet, *, channel: str, purpose: str, exclusion_list_id: int | None,
                   fields: set[str], optional: set[str] = frozenset(), check_gsm: bool = False) -> AudienceStats:
    """One pass: an inner query computes, per recipient, the block reason and a few flags and lengths;
    the outer query groups by block reason. (Aggregating the flags directly in Django would either
    repeat the block-reason CASE in every FILTER or make PostgreSQL sort 10^6 wide rows for GROUP BY.)"""
    fields = sorted(fields)
    inner = annotate_block_reason(queryset.order_by(), channel=channel, purpose=purpose,
                                  exclusion_list_id=exclusion_list_id)
    # Aliases by position: merge field names are template identifiers, not always valid ORM names.
    inner = inner.alias(**{f"_mf{i}": field_json(name) for i, name in enumerate(fields)})
    inner = inner.alias(**{f"_mt{i}": Trim(field_text(name)) for i, name in enumerate(fields)})
    # Per recipient, each field's text is extracted once (_t) with its missing flag (_m); the outer
    # query derives empty, lengths and the edge cases from those columns.
    columns: dict = {"_nl": Length("name")}
    for i, name in enumerate(fields):
        columns[f"_m{i}"] = _flag(_missing(name, f"_mf{i}"))
        columns[f"_t{i}"] = F(f"_mt{i}")
    if check_gsm and fields:
        # One regular expression per recipient over all its merge fields, not one per field.
        merged = Concat(*[Coalesce(f"_mt{i}", Value(""), output_field=TextField()) for i in range(len(fields))],
                        Value(""),
                        output_field=TextField())
        columns["_ng"] = _flag(Q(_merged__regex=NON_GSM_PATTERN))
        inner = inner.alias(_merged=merged)
    inner = inner.annotate(**columns).values("id", "block_reason", *columns)
    sql, params = inner.query.sql_with_params()

    def count_true(condition: str) -> str:
        return f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)"

    lengths = " + ".join(f'COALESCE(LENGTH("_t{i}"), 0)' for i in range(len(fields))) or "0"
    blanks = [f'("_m{i}" OR "_t{i}" = \'\')' for i, name in enumerate(fields) if name in optional]
    outer = ['"block_reason"', "COUNT(*)", 'MIN("id")', 'MAX("id")', f'MAX("_nl" * {_ID_BITS} + "id")',
             f'MAX(({lengths}) * {_ID_BITS} + "id")',
             f'MAX(CASE WHEN {" OR ".join(blanks)} THEN "id" END)' if blanks else "NULL",
             count_true('"_ng"') if "_ng" in columns else "0"]
    for i in range(len(fields)):
        outer += [count_true(f'"_m{i}"'), count_true(f'"_t{i}" = \'\' AND NOT "_m{i}"')]
    # OFFSET 0 keeps PostgreSQL from flattening the subquery (it would then sort 10^6 wide rows to group
    # by the CASE expression, whose number of distinct values it cannot estimate); grouping the
    # subquery's output column it hashes a handful of groups instead.
    fence = " OFFSET 0" if connection.vendor == "postgresql" else ""
    statement = (f"SELECT {', '.join(outer)} FROM ({sql}{fence}) AS audience "  # noqa: S608
                 'GROUP BY "block_reason"')
    stats = AudienceStats()
    with scan_settings(), connection.cursor() as cursor:
        cursor.execute(statement, params)
        rows = cursor.fetchall()
    for reason, n, min_id, max_id, longest_name, longest_fields, empty_optional, non_gsm, *per_field in rows:
        stats.total += n
        if reason is not None:
            stats.blocked[reason] = n
            continue
        stats.sendable, stats.min_id, stats.max_id = n, min_id, max_id
        stats.non_gsm = int(non_gsm or 0)
        stats.longest_name_id, stats.longest_fields_id = _id_of(longest_name), _id_of(longest_fields)
        stats.empty_optional_id = empty_optional
        for i, name in enumerate(fields):
            missing, empty = int(per_field[2 * i] or 0), int(per_field[2 * i + 1] or 0)
            if missing:
                stats.missing[name] = missing
            if empty:
                stats.empty[name] = empty
    return stats


def sendable(queryset: QuerySet, *, channel: str, purpose: str, exclusion_list_id: int | None) -> QuerySet:
    return annotate_block_reason(queryset.order_by(), channel=channel, purpose=purpose,
                                 exclusion_list_id=exclusion_list_id).filter(block_reason__isnull=True)


def rows_by_id(ids: list[int]) -> dict[int, dict]:
    from audiences.models import Recipient

    return {row["id"]: row for row in Recipient.objects.filter(pk__in=ids).values(*RECIPIENT_COLUMNS)}


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
