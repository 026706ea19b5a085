"""``audit_export()``: write a filtered export to a file, count and hash it, and record that it happened.

Why a file first: the row count and the SHA-256 are only known once the last byte is written, and a
browser cannot read HTTP trailers. So the export is written (streamed, memory flat) into an unnamed
temporary file, then sent with ``X-Export-Rows`` / ``X-Export-SHA256`` headers, and the same numbers
go into the ``audit.exported`` event, whose manifest can be downloaded later
(``audit:export_manifest``) and which the seal chain then protects. The file is never kept.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from ..filters import EventFilter
from ..models import AuditEvent, AuditSeal
from ..selectors import filtered_events
from ..sendlog.filters import DeliveryFilter
from ..services import record
from .columns import Column
from .engine import write_csv, write_jsonl
from .sinks import UTF8_BOM, Cp932Sink, HashingSink

FORMATS = ("csv", "jsonl")
ENCODINGS = ("utf-8", "cp932")
CONTENT_TYPES = {
    ("csv", "utf-8"): "text/csv; charset=utf-8",
    ("csv", "cp932"): "text/csv; charset=windows-31j",
    ("jsonl", "utf-8"): "application/x-ndjson; charset=utf-8",
}

EVENT_COLUMNS = [
    Column("id", "id", "int"),
    Column("at", "at", "time"),
    Column("actor", "actor"),
    Column("action", "action"),
    Column("object_type", "object_type"),
    Column("object_id", "object_id"),
    Column("campaign_id", "campaign_id", "int"),
    Column("recipient_id", "recipient_id", "int"),
    Column("channel", "channel"),
    Column("address", "address"),
    Column("outcome", "outcome"),
    Column("details", "details", "json"),
    Column("ip", "ip", "ip"),
    Column("user_agent", "user_agent"),
]


class ExportError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class ExportResult:
    file: BinaryIO
    rows: int
    sha256: str
    size: int
    filename: str
    content_type: str
    event: AuditEvent

    def manifest(self) -> dict[str, Any]:
        return manifest_of(self.event)


def manifest_of(event: AuditEvent) -> dict[str, Any]:
    """The manifest of an export, read back from its (sealed, unchangeable) audit event."""
    details = event.details
    seal = AuditSeal.objects.filter(first_event_id__lte=event.id, last_event_id__gte=event.id).first()
    return {
        "event_id": event.id,
        "exported_at": timezone.localtime(event.at).isoformat(),
        "actor": event.actor,
        **{key: details.get(key) for key in ("kind", "filename", "format", "encoding", "rows", "bytes", "sha256")},
        "filter": details.get("filter", {}),
        # Once sealed, the numbers above are covered by the seal chain (None until the next seal).
        "sealed_by": None if seal is None else {"seal": seal.id, "hash": seal.hash},
    }


def _filename(kind: str, filters: EventFilter | DeliveryFilter, fmt: str, encoding: str) -> str:
    period = f"{filters.date_from or 'start'}_{filters.date_to or 'now'}".replace("-", "")
    campaign = f"-campaign{filters.campaign_id}" if filters.campaign_id is not None else ""
    suffix = "-cp932" if encoding == "cp932" else ""
    return f"audit-{kind}-{period}{campaign}{suffix}.{fmt}"


def _check(fmt: str, encoding: str) -> None:
    if fmt not in FORMATS:
        raise ExportError("export.bad_format", _("Unknown export format %(value)s.") % {"value": fmt})
    if encoding not in ENCODINGS:
        raise ExportError("export.bad_encoding", _("Unknown encoding %(value)s.") % {"value": encoding})
    if (fmt, encoding) not in CONTENT_TYPES:
        raise ExportError("export.bad_encoding", _("JSON Lines are always UTF-8."))


def temporary_file() -> BinaryIO:
    folder = Path(settings.VAR_DIR) / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    return tempfile.TemporaryFile(dir=folder)  # no name: gone when closed, even after a crash


def _source(kind: str, filters) -> tuple[QuerySet, list[Column]]:
    if kind == "events":
        return filtered_events(filters).order_by("at", "id"), EVENT_COLUMNS
    if kind == "deliveries":
        from ..sendlog.columns import delivery_columns
        from ..sendlog.selectors import filtered_deliveries

        return filtered_deliveries(filters).order_by("id"), delivery_columns()
    raise ExportError("export.bad_kind", _("Unknown export %(value)s.") % {"value": kind})


def audit_export(
    *,
    filters: EventFilter | DeliveryFilter,
    kind: str = "events",
    fmt: str = "csv",
    encoding: str = "utf-8",
    request: Any = None,
    actor: str | None = None,
    out: BinaryIO | None = None,
    details: dict | None = None,
) -> ExportResult:
    """Export the events (or deliveries) matching ``filters``; records ``audit.exported``; rewinds the file."""
    _check(fmt, encoding)
    queryset, columns = _source(kind, filters)
    out = out if out is not None else temporary_file()
    sink = HashingSink(out)
    target = Cp932Sink(sink) if encoding == "cp932" else sink
    if fmt == "csv":
        if encoding == "utf-8":
            sink.write(UTF8_BOM)  # so Excel reads UTF-8
        rows = write_csv(queryset, columns, target)
    else:
        rows = write_jsonl(queryset, columns, target)
    target.close()
    filename = _filename(kind, filters, fmt, encoding)
    event = record(
        action="audit.exported",
        actor=actor,
        request=request,
        object_type="audit.export",
        object_id=filename,
        campaign_id=filters.campaign_id,
        recipient_id=filters.recipient_id,
        outcome="ok",
        details={
            "kind": kind, "filter": filters.describe(), "format": fmt, "encoding": encoding,
            "rows": rows, "bytes": sink.size, "sha256": sink.hexdigest(), "filename": filename, **(details or {}),
        },
    )
    if out.seekable():
        out.seek(0)
    return ExportResult(out, rows, sink.hexdigest(), sink.size, filename, CONTENT_TYPES[(fmt, encoding)], event)
