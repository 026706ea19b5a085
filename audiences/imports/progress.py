"""Writing an import's progress where the status page can see it.

A two-phase import (SQLite) stages in autocommit, so the job's own connection can write progress.
A pipelined import (PostgreSQL) runs inside one transaction, where its writes are invisible to the
page until commit; it reports through a second connection instead. Inside an outer transaction
(a test), the second connection could not even see the job, so the main one is used.
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connection, connections

from ..models import ImportJob


class ProgressReporter:
    def __init__(self, job: ImportJob, *, side_connection: bool) -> None:
        self.job_id = job.pk
        self.side = connections.create_connection(DEFAULT_DB_ALIAS) if side_connection else None

    @classmethod
    def for_writer(cls, job: ImportJob, writer) -> ProgressReporter:
        return cls(job, side_connection=writer.pipelined and not connection.in_atomic_block)

    def report(self, *, rows_done: int, bytes_done: int) -> bool:
        """Write progress; True when someone asked to cancel."""
        if self.side is None:
            ImportJob.objects.filter(pk=self.job_id).update(rows_done=rows_done, bytes_done=bytes_done)
            return ImportJob.objects.filter(pk=self.job_id, cancel_requested=True).exists()
        with self.side.cursor() as cur:
            cur.execute(
                "UPDATE audiences_importjob SET rows_done = %s, bytes_done = %s WHERE id = %s "
                "RETURNING cancel_requested",
                [rows_done, bytes_done, self.job_id],
            )
            row = cur.fetchone()
        return bool(row and row[0])

    def close(self) -> None:
        if self.side is not None:
            self.side.close()
            self.side = None
