"""The error report: every rejected and warned row as CSV (UTF-8 with a BOM so Excel reads it).

Columns: line, severity, code, message, then the file's own columns with the row as read. Cells that
a spreadsheet would run as a formula are neutralised (``audit.csv_safety``).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator

from django.http import StreamingHttpResponse

from audit.csv_safety import neutralise_row

from ..models import ImportIssue, ImportJob


class _Echo:
    def write(self, value: str) -> str:
        return value


def error_report_rows(job: ImportJob) -> Iterator[list]:
    headers = list(job.headers or [])
    # Stable column names (programs read this file); the messages are in the importing user's language.
    yield ["line", "severity", "code", "message", *headers]
    issues = ImportIssue.objects.filter(job=job).order_by("line", "id").values_list(
        "line", "severity", "code", "message", "values")
    for line, severity, code, message, values in issues.iterator(chunk_size=2000):
        yield [line, severity, code, message, *(values or [])]


def error_report_lines(job: ImportJob) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"
    for row in error_report_rows(job):
        yield writer.writerow(neutralise_row(row))


def error_report_response(job: ImportJob) -> StreamingHttpResponse:
    response = StreamingHttpResponse(error_report_lines(job), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
    return response
