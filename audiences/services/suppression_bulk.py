"""Suppressions from a CSV file: ``channel,address,reason[,note,expires_at]`` (UTF-8 or CP932)."""

from __future__ import annotations

import csv
import logging
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from audit.services import Event, record, record_many

from ..imports.detect import FileProblem, detect_delimiter, detect_encoding
from ..imports.sniff import sniff_chunks
from ..models import Suppression
from ..models.choices import SuppressionChannel, SuppressionReason
from ..normalize import normalize_address
from ._actor import actor_name

log = logging.getLogger(__name__)
BATCH = 1000
HEADER_ALIASES = {"channel": "channel", "チャネル": "channel", "address": "address", "アドレス": "address",
                  "reason": "reason", "理由": "reason", "note": "note", "メモ": "note", "expires_at": "expires_at",
                  "有効期限": "expires_at"}


@dataclass
class BulkResult:
    added: int = 0
    existing: int = 0
    rejected: int = 0
    errors: list[dict] = field(default_factory=list)
    problem: tuple[str, str] | None = None


def _expiry(raw: str) -> datetime | None | str:
    raw = (raw or "").strip()
    if not raw:
        return None
    parsed = parse_datetime(raw)
    if parsed is None:
        day = parse_date(raw.replace("/", "-"))
        if day is None:
            return "bad"
        parsed = datetime(day.year, day.month, day.day)
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)


def _store(upload) -> Path:
    """A temporary copy, sniffed on the way (see imports/sniff.py): a binary file never gets a first batch in."""
    with tempfile.NamedTemporaryFile(delete=False, suffix=".csv") as out:
        try:
            for chunk in sniff_chunks(upload.chunks(), settings.IMPORT_MAX_LINE_BYTES):
                out.write(chunk)
        except BaseException:
            out.close()
            Path(out.name).unlink(missing_ok=True)
            raise
    return Path(out.name)


def suppressions_import_csv(*, upload, source: str = "csv", user: Any = None, request: Any = None) -> BulkResult:
    who = actor_name(user=user, request=request)
    result = BulkResult()
    try:
        path = _store(upload)
    except FileProblem as problem:
        log.warning("suppression upload refused (%s): %s [file %r]", problem.code, problem.message,
                    getattr(upload, "name", ""))
        result.problem = (problem.code, problem.message)
        return result
    try:
        detected = detect_encoding(path)
        with path.open(encoding=detected.encoding, newline="") as handle:
            first = handle.readline()
            handle.seek(0)
            reader = csv.reader(handle, delimiter=detect_delimiter(first))
            header = [HEADER_ALIASES.get(h.strip().lstrip("\ufeff").lower(), "") for h in next(reader, [])]
            if "address" not in header or "channel" not in header or "reason" not in header:
                result.problem = ("file.columns", "The file needs the columns channel, address and reason.")
                return result
            batch: list[tuple[int, str, str, str, str, datetime | None]] = []
            for row in reader:
                if not row or not "".join(row).strip():
                    continue
                line = reader.line_num
                if len(row) != len(header):
                    _reject(result, line, "row.column_count", "wrong number of columns", row)
                    continue
                cells = dict(zip(header, row, strict=True))
                channel, reason = cells["channel"].strip().lower(), cells["reason"].strip().lower()
                if channel not in SuppressionChannel.values:
                    _reject(result, line, "suppression.bad_channel", "channel is email, sms or all", row)
                    continue
                if reason not in SuppressionReason.values:
                    _reject(result, line, "suppression.bad_reason", "unknown reason", row)
                    continue
                address = normalize_address(channel, cells["address"])
                if not address:
                    _reject(result, line, "suppression.bad_address", "not a valid address for the channel", row)
                    continue
                expires = _expiry(cells.get("expires_at", ""))
                if expires == "bad":
                    _reject(result, line, "suppression.bad_expiry", "expires_at is not a date", row)
                    continue
                batch.append((line, channel, address, reason, cells.get("note", ""), expires))
                if len(batch) >= BATCH:
                    _write(batch, result, source, who)
                    batch = []
            if batch:
                _write(batch, result, source, who)
    except FileProblem as problem:
        log.warning("suppression upload refused (%s): %s [file %r]", problem.code, problem.message,
                    getattr(upload, "name", ""))
        result.problem = (problem.code, problem.message)
        return result
    finally:
        path.unlink(missing_ok=True)
    record(action="suppression.bulk_imported", actor=who, request=request, object_type="audiences.suppression",
           details={"source": source, "file": getattr(upload, "name", ""), "added": result.added,
                    "existing": result.existing, "rejected": result.rejected})
    return result


def _reject(result: BulkResult, line: int, code: str, message: str, row: list[str]) -> None:
    result.rejected += 1
    if len(result.errors) < 10_000:
        result.errors.append({"line": line, "code": code, "message": message, "values": row})


def _write(batch, result: BulkResult, source: str, who: str) -> None:
    now = timezone.now()
    with transaction.atomic():
        keys = {(address, channel, reason) for _, channel, address, reason, _, _ in batch}
        existing = {
            (s.address, s.channel, s.reason): s
            for s in Suppression.objects.select_for_update().filter(address__in={k[0] for k in keys})
            if (s.address, s.channel, s.reason) in keys
        }
        new, events, seen = [], [], set()
        for _line, channel, address, reason, note, expires in batch:
            key = (address, channel, reason)
            if key in seen:
                result.existing += 1
                continue
            seen.add(key)
            found = existing.get(key)
            if found is not None and found.is_active(now):
                result.existing += 1
                continue
            if found is not None:
                found.expires_at, found.source, found.created_by = expires, source, who
                found.save(update_fields=["expires_at", "source", "created_by"])
                outcome = "reactivated"
            else:
                new.append(Suppression(channel=channel, address=address, reason=reason, source=source, note=note,
                                       created_by=who, created_at=now, expires_at=expires))
                outcome = "created"
            result.added += 1
            events.append(Event(action="suppression.added", actor=who, object_type="audiences.suppression",
                                channel=channel, address=address, outcome=outcome,
                                details={"reason": reason, "source": source, "bulk": True}))
        Suppression.objects.bulk_create(new, batch_size=BATCH, ignore_conflicts=True)
        record_many(events)
