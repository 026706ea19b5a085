"""Writing an import's progress where the status page can see it, and reading it back.

A two-phase import (SQLite) stages in autocommit, so it writes progress to the job's row.

A pipelined import (PostgreSQL) runs inside one transaction, where its writes to the row stay
invisible until commit. It used to write through a second database connection; that was one more
connection per running import and a backend of ~25 MB. It now writes a small file beside the uploads
(``IMPORT_DIR``, which the web and the worker already share: the worker reads the uploads from there)
and the status page and API read it while the job runs. A cancellation still goes through the row:
the import reads ``cancel_requested`` on its own connection, and at READ COMMITTED every statement
sees what other transactions have committed.

Progress is a convenience: a file that cannot be written is logged once and the import goes on.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

from django.conf import settings

from ..models import ImportJob

log = logging.getLogger(__name__)


def progress_path(job_id: int) -> Path:
    return Path(settings.IMPORT_DIR) / f"{job_id}.progress"


class ProgressReporter:
    def __init__(self, job: ImportJob, *, to_file: bool) -> None:
        self.job_id = job.pk
        self.path = progress_path(job.pk) if to_file else None
        self.failed = False
        self.last = (0, 0)

    @classmethod
    def for_writer(cls, job: ImportJob, writer) -> ProgressReporter:
        return cls(job, to_file=writer.pipelined)

    def report(self, *, rows_done: int, bytes_done: int) -> bool:
        """Write progress; True when someone asked to cancel."""
        self.last = (rows_done, bytes_done)
        if self.path is None:
            ImportJob.objects.filter(pk=self.job_id).update(rows_done=rows_done, bytes_done=bytes_done)
        else:
            self._write(f"{rows_done} {bytes_done}\n")
        return ImportJob.objects.filter(pk=self.job_id, cancel_requested=True).exists()

    def _write(self, text: str) -> None:
        if self.failed:
            return
        partial = self.path.with_suffix(".progress-new")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            partial.write_text(text)
            os.replace(partial, self.path)  # a reader sees the old line or the new one, never half
        except OSError as exc:
            self.failed = True
            log.warning("import %s: cannot write progress to %s (%s); the page shows it at the end",
                        self.job_id, self.path, exc)

    def close(self) -> None:
        """After the import's transaction: a job that did not complete keeps how far it got (a
        completed one has its final counts already), then the file goes."""
        if self.path is not None:
            rows_done, bytes_done = self.last
            ImportJob.objects.filter(pk=self.job_id, status=ImportJob.Status.RUNNING).update(
                rows_done=rows_done, bytes_done=bytes_done)
            discard_progress(self.job_id)


def discard_progress(job_id: int) -> None:
    """Remove a job's progress file; also when a job is claimed, in case a killed worker left one."""
    path = progress_path(job_id)
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)
        path.with_suffix(".progress-new").unlink(missing_ok=True)


def live_counts(job: ImportJob) -> tuple[int, int]:
    """(rows_done, bytes_done) of a job: from its progress file while it runs, else from its row."""
    if job.status == ImportJob.Status.RUNNING:
        path = progress_path(job.pk)
        try:
            if job.started_at and path.stat().st_mtime < job.started_at.timestamp():
                return job.rows_done, job.bytes_done  # left by an earlier run of a reclaimed job
            rows, size = path.read_text().split()
            return max(int(rows), job.rows_done), max(int(size), job.bytes_done)
        except (OSError, ValueError):
            pass
    return job.rows_done, job.bytes_done
