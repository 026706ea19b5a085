"""Run one import job: detect, parse in a thread, stage, merge in one transaction, account for every record.

The parser thread does the Python work (CSV, validation, COPY encoding) while this thread hands each
chunk to the database; the GIL is released while the database works, so the two overlap on two
cores. Memory stays flat: at most ``QUEUE_CHUNKS`` chunks of ``CHUNK_ROWS`` rows are in flight.
"""

from __future__ import annotations

import contextlib
import csv
import logging
import queue
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation

from audit.services import record

from ..models import ImportIssue, ImportJob
from .detect import Detected, FileProblem, detect_delimiter, detect_encoding, undecodable
from .headers import Columns, map_columns
from .parse import WARNING, RowValidator
from .progress import ProgressReporter, discard_progress
from .writer_base import MergeResult
from .writer_sqlite import writer_for

log = logging.getLogger(__name__)
# 10,000 rows: a chunk's encoded rows (~2.5 MB) and its staging rows (fit PostgreSQL's 8 MB of
# temp_buffers) stay small; fewer rows per statement did not slow the merge measurably.
CHUNK_ROWS = 10_000
# Rows are encoded for the writer every ENCODE_ROWS: a validated row's Python objects (~1 KB) live
# only until then, and a chunk in the making holds its compact encoded form (~0.2 KB a row).
ENCODE_ROWS = 1000
STALE_AFTER_S = 3600 + 300  # the task's time_limit plus a margin
# Chunks waiting for the database. The parser is the slower side, so the queue is mostly empty; 2
# instead of 3 took ~3 MB off the import's peak and no measurable speed (docs/benchmarks.md).
QUEUE_CHUNKS = 2
SWITCH_INTERVAL_S = 0.0005
csv.field_size_limit(10 * 1024 * 1024)


class Cancelled(Exception):
    pass


@dataclass
class Chunk:
    payload: list  # what writer.encode made of each batch of the chunk's rows
    issues: object  # what writer.encode_issues made of the chunk's issues (empty when none)
    staged: int = 0  # rows in the payload
    records: int = 0
    blank: int = 0
    rejected: int = 0
    bytes_done: int = 0


@dataclass
class Totals:
    records: int = 0
    blank: int = 0
    rejected: int = 0
    staged: int = 0
    warnings: int = 0
    extra: dict = field(default_factory=dict)


def _read_header(path: Path, detected: Detected) -> tuple[str, list[str]]:
    try:
        with path.open(encoding=detected.encoding, newline="") as handle:
            first = handle.readline()
        delimiter = detect_delimiter(first)
        with path.open(encoding=detected.encoding, newline="") as handle:
            header = next(csv.reader(handle, delimiter=delimiter), [])
    except UnicodeDecodeError as exc:  # the reader decodes ahead, past the part detect_encoding decoded
        raise (undecodable(path, detected) or exc) from None
    return delimiter, header


def _produce(path: Path, detected: Detected, delimiter: str, validator: RowValidator, writer, language: str,
             out: queue.Queue, stop: threading.Event, cpu: dict) -> None:
    try:
        with translation.override(language or settings.LANGUAGE_CODE), \
                path.open(encoding=detected.encoding, newline="") as handle:
            reader = csv.reader(handle, delimiter=delimiter)
            next(reader, None)
            last_line = reader.line_num
            validate, is_blank = validator.validate, validator.is_blank
            staged, issues, first_lines = [], [], {}
            chunk = Chunk([], [])
            for row in reader:
                line = last_line + 1
                last_line = reader.line_num
                chunk.records += 1
                if is_blank(row):
                    chunk.blank += 1
                    continue
                row_staged, row_issues = validate(row, line)
                if row_staged is not None:
                    # A customer number repeated within this chunk is rejected here (the first wins);
                    # the writer finds those repeated from earlier chunks.
                    first = first_lines.setdefault(row_staged[1], line)
                    if first != line:
                        row_staged, row_issues = None, [validator.duplicate(row, line, row_staged[1], first)]
                if row_staged is None:
                    chunk.rejected += 1
                else:
                    staged.append(row_staged)
                    if len(staged) >= ENCODE_ROWS:
                        staged = _encode(chunk, staged, writer)
                if row_issues:
                    issues.extend(row_issues)
                if chunk.records >= CHUNK_ROWS:
                    out.put(_close(chunk, staged, issues, writer, handle.buffer.tell()))
                    if stop.is_set():
                        return
                    staged, issues, first_lines, chunk = [], [], {}, Chunk([], [])
            out.put(_close(chunk, staged, issues, writer, path.stat().st_size))
        cpu["parser"] = time.thread_time()
        out.put(None)
    except UnicodeDecodeError as exc:  # past the part detect_encoding decoded (else: not the file's)
        out.put(undecodable(path, detected) or exc)
    except BaseException as exc:  # handed to the consuming thread, which fails the job
        out.put(exc)


def _encode(chunk: Chunk, staged: list, writer) -> list:
    """Add a batch of validated rows to the chunk in the writer's form; returns an empty batch."""
    chunk.payload.append(writer.encode(staged))
    chunk.staged += len(staged)
    return []


def _close(chunk: Chunk, staged: list, issues: list, writer, bytes_done: int) -> Chunk:
    if staged:
        _encode(chunk, staged, writer)
    chunk.issues = issues and writer.encode_issues(issues)
    chunk.bytes_done = bytes_done
    return chunk


def _stage(job: ImportJob, path: Path, detected: Detected, delimiter: str, columns: Columns, writer,
           reporter: ProgressReporter) -> Totals:
    validator = RowValidator(columns, settings.PHONE_DEFAULT_REGION)
    out: queue.Queue = queue.Queue(maxsize=QUEUE_CHUNKS)
    stop = threading.Event()
    totals, cpu = Totals(), {}
    thread = threading.Thread(target=_produce, name=f"import-{job.pk}-parser", daemon=True,
                              args=(path, detected, delimiter, validator, writer, job.language, out, stop, cpu))
    # The database thread wakes for every block psycopg sends and must win the GIL back from the
    # parser each time; the default 5 ms switch interval made it wait ~0.1 s per chunk.
    switch = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    thread.start()
    try:
        while True:
            idle = time.monotonic()
            item = out.get()
            cpu["waiting"] = cpu.get("waiting", 0.0) + time.monotonic() - idle
            if item is None:
                break
            if isinstance(item, BaseException):
                raise item
            chunk = item
            writer.write(chunk.payload)
            if writer.pipelined:
                writer.merge_chunk(chunk.staged)
            if chunk.issues:
                writer.write_issues(chunk.issues)
            totals.records += chunk.records
            totals.blank += chunk.blank
            totals.rejected += chunk.rejected
            totals.staged += chunk.staged
            if reporter.report(rows_done=totals.records, bytes_done=chunk.bytes_done):
                raise Cancelled()
    except BaseException:
        stop.set()
        while thread.is_alive():  # let the parser see the flag instead of blocking on a full queue
            with contextlib.suppress(queue.Empty):
                out.get(timeout=0.1)
        raise
    finally:
        sys.setswitchinterval(switch)
    thread.join()
    # "waiting": wall seconds the database thread waited for the parser (the parser is the bottleneck).
    log.info("import %s thread cpu seconds: parser %.2f, database %.2f, waiting %.2f", job.pk,
             cpu.get("parser", 0.0), time.thread_time(), cpu.get("waiting", 0.0))
    return totals


def _finish(job: ImportJob, status: str, *, code: str = "", message: str = "", **counts) -> None:
    if status != ImportJob.Status.COMPLETED:
        # A failed or cancelled import leaves nothing: on SQLite the issues of the rows staged
        # before it stopped were written in autocommit (PostgreSQL's rolled back with the rest).
        ImportIssue.objects.filter(job=job).delete()
    ImportJob.objects.filter(pk=job.pk).update(
        status=status, finished_at=timezone.now(), error_code=code, error_message=message[:2000], **counts
    )


def _discard_upload(path: Path) -> None:
    """Uploaded copies are deleted once imported; a file given to the CLI is the operator's own."""
    try:
        if path.resolve().parent == Path(settings.IMPORT_DIR).resolve():
            path.unlink(missing_ok=True)
    except OSError:
        log.warning("could not delete %s", path)


def _merge(job: ImportJob, path: Path, detected, delimiter: str, columns: Columns, writer,
           reporter: ProgressReporter, audit: dict) -> tuple[Totals, MergeResult, float]:
    """Stage and merge; the real tables change only inside one transaction. Returns (totals, result, staged_at)."""
    if writer.pipelined:
        with transaction.atomic():
            writer.begin(columns)
            totals = _stage(job, path, detected, delimiter, columns, writer, reporter)
            staged_at = time.monotonic()
            if reporter.report(rows_done=totals.records, bytes_done=job.size_bytes):
                raise Cancelled()
            result = writer.finish(columns)
            _check_and_complete(job, totals, result, audit)
        return totals, result, staged_at
    writer.create()
    totals = _stage(job, path, detected, delimiter, columns, writer, reporter)
    staged_at = time.monotonic()
    writer.prepare_merge()
    with transaction.atomic():
        if ImportJob.objects.filter(pk=job.pk, cancel_requested=True).exists():
            raise Cancelled()
        result = writer.merge(columns)
        _check_and_complete(job, totals, result, audit)
    return totals, result, staged_at


def _check_and_complete(job: ImportJob, totals: Totals, result: MergeResult, audit: dict) -> None:
    """Inside the merge transaction: the accounting identity, the job's final counts, the audit event."""
    rejected = totals.rejected + result.duplicates
    if result.created + result.updated + rejected + totals.blank != totals.records:
        raise RuntimeError(
            f"accounting mismatch: created {result.created} + updated {result.updated} + rejected "
            f"{rejected} + blank {totals.blank} != records {totals.records}"
        )
    warnings = ImportIssue.objects.filter(job=job, severity=WARNING).count()
    totals.extra = {"records": totals.records, "created": result.created, "updated": result.updated,
                    "rejected": rejected, "blank": totals.blank, "warnings": warnings, "removed": result.removed}
    _finish(job, ImportJob.Status.COMPLETED, rows_done=totals.records, rows_total=totals.records,
            bytes_done=F("size_bytes"), **totals.extra)
    record(action="import.completed", actor=audit["actor"], obj=job, outcome="completed",
           details={"list": job.audience_list.name, "list_id": job.audience_list_id, "mode": job.mode,
                    "file": job.original_filename, "encoding": audit["encoding"],
                    "seconds": round(time.monotonic() - audit["started"], 3), **totals.extra})


def run_import(job_id: int, *, actor: str | None = None) -> ImportJob:
    """Run a pending job to completion (or failure/cancellation); returns the refreshed job."""
    # A job still "running" long after the task's hard time limit lost its worker (acks_late
    # redelivers the task); it never committed anything, so it may start again.
    stale = timezone.now() - timedelta(seconds=STALE_AFTER_S)
    claimable = Q(status=ImportJob.Status.PENDING) | Q(status=ImportJob.Status.RUNNING, started_at__lt=stale)
    claimed = ImportJob.objects.filter(claimable, pk=job_id).update(
        status=ImportJob.Status.RUNNING, started_at=timezone.now(), rows_done=0, bytes_done=0
    )
    job = ImportJob.objects.select_related("audience_list").get(pk=job_id)
    if not claimed:
        return job  # already run, running, or cancelled before it started: a redelivered task does nothing
    discard_progress(job.pk)  # a reclaimed job's earlier run may have left one
    who = actor or job.created_by or "system:import"
    path = Path(job.stored_path)
    writer = writer_for(job)
    started = time.monotonic()
    try:
        detected = detect_encoding(path, job.encoding_requested)
        delimiter, header = _read_header(path, detected)
        columns = map_columns(header)
        job.rows_total = max(detected.line_breaks - 1, 0)
        ImportJob.objects.filter(pk=job.pk).update(
            encoding=detected.label, delimiter=delimiter, rows_total=job.rows_total, headers=columns.headers,
        )
        reporter = ProgressReporter.for_writer(job, writer)
        try:
            totals, result, staged_at = _merge(job, path, detected, delimiter, columns, writer, reporter,
                                               {"actor": who, "encoding": detected.label, "started": started})
        finally:
            reporter.close()
        log.info("import %s: staged %d records in %.2f s, merged in %.2f s (%s)", job.pk, totals.records,
                 staged_at - started, time.monotonic() - staged_at, "pipelined" if writer.pipelined else "two-phase")
        writer.analyze_after(result)
    except Cancelled:
        _finish(job, ImportJob.Status.CANCELLED)
        record(action="import.cancelled", actor=who, obj=job, outcome="cancelled",
               details={"list": job.audience_list.name, "file": job.original_filename})
    except FileProblem as problem:
        _finish(job, ImportJob.Status.FAILED, code=problem.code, message=problem.message)
        record(action="import.failed", actor=who, obj=job, outcome="failed",
               details={"code": problem.code, "list": job.audience_list.name, "file": job.original_filename})
    except Exception as exc:
        log.exception("import %s failed", job.pk)
        _finish(job, ImportJob.Status.FAILED, code="import.error", message=f"{type(exc).__name__}: {exc}")
        record(action="import.failed", actor=who, obj=job, outcome="failed",
               details={"code": "import.error", "error": str(exc)[:500], "list": job.audience_list.name,
                        "file": job.original_filename})
    finally:
        writer.drop()
        _discard_upload(path)
    job.refresh_from_db()
    return job

