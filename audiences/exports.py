"""CSV exports of audiences data (streamed; formula-leading cells neutralised)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django.http import StreamingHttpResponse
from django.utils import timezone

from audit.csv_safety import neutralise_row
from audit.oplog import mark_recorded
from audit.services import record

from .models import Suppression

SUPPRESSION_COLUMNS = ["channel", "address", "reason", "source", "note", "created_by", "created_at", "expires_at",
                       "active"]


class _Echo:
    def write(self, value: str) -> str:
        return value


def _suppression_lines() -> Iterator[str]:
    writer = csv.writer(_Echo())
    now = timezone.now()
    yield "\ufeff" + writer.writerow(SUPPRESSION_COLUMNS)
    rows = Suppression.objects.order_by("id").values_list(
        "channel", "address", "reason", "source", "note", "created_by", "created_at", "expires_at")
    for channel, address, reason, source, note, who, created, expires in rows.iterator(chunk_size=5000):
        active = "1" if expires is None or expires > now else "0"
        yield writer.writerow(neutralise_row([channel, address, reason, source, note, who, created.isoformat(),
                                              expires.isoformat() if expires else "", active]))


def suppression_export_response(*, user: Any = None, request: Any = None) -> StreamingHttpResponse:
    record(action="suppression.exported", user=user, request=request, object_type="audiences.suppression",
           details={"count": Suppression.objects.count()})
    if request is not None:
        mark_recorded(request)
    response = StreamingHttpResponse(_suppression_lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="suppressions-{timezone.localdate():%Y%m%d}.csv"'
    return response
