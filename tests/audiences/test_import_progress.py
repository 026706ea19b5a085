"""An import's progress: where a running import writes it, and what the page and the API show."""

from __future__ import annotations

import logging
import os

import pytest
from django.db import connection

from audiences.imports import runner
from audiences.imports.progress import ProgressReporter, live_counts, progress_path
from audiences.models import AudienceList, ImportJob
from audiences.selectors import import_progress
from audiences.services import import_create

from .conftest import assert_accounted

pytestmark = pytest.mark.django_db


@pytest.fixture
def running_job(write_csv):
    path = write_csv([["external_id", "email"]] + [[f"R{i}", f"r{i}@example.jp"] for i in range(10)])
    job = import_create(path=path, list_name="live", actor="tester", queue=False)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING, rows_done=2, bytes_done=20,
                                               size_bytes=200)
    return ImportJob.objects.get(pk=job.pk)


def test_a_running_job_shows_the_counts_from_its_progress_file(running_job, settings):
    progress_path(running_job.pk).parent.mkdir(parents=True, exist_ok=True)
    progress_path(running_job.pk).write_text("7 150\n")
    assert live_counts(running_job) == (7, 150)
    progress = import_progress(running_job)
    assert (progress["rows_done"], progress["percent"]) == (7, 75.0)


def test_without_a_file_or_once_finished_the_row_counts(running_job):
    assert live_counts(running_job) == (2, 20)  # no file yet
    progress_path(running_job.pk).parent.mkdir(parents=True, exist_ok=True)
    progress_path(running_job.pk).write_text("not numbers")
    assert live_counts(running_job) == (2, 20)
    progress_path(running_job.pk).write_text("9 190\n")
    running_job.status = ImportJob.Status.COMPLETED
    assert live_counts(running_job) == (2, 20)  # a left-over file never overrides a final job


def test_the_status_endpoint_and_the_page_read_the_progress_file(running_job, client_for, make_user):
    progress_path(running_job.pk).parent.mkdir(parents=True, exist_ok=True)
    progress_path(running_job.pk).write_text("8 100\n")
    client = client_for(make_user("operator"))
    status = client.get(f"/audiences/imports/{running_job.pk}/status/").json()
    assert (status["rows_done"], status["percent"], status["final"]) == (8, 50.0, False)
    page = client.get(f"/audiences/imports/{running_job.pk}/").content.decode()
    assert '<span id="imp-rows">8</span>' in page


def test_a_progress_file_that_cannot_be_written_does_not_stop_the_import(running_job, settings, tmp_path, caplog):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    settings.IMPORT_DIR = blocker
    reporter = ProgressReporter(running_job, to_file=True)
    with caplog.at_level(logging.WARNING, logger="audiences.imports.progress"):
        assert reporter.report(rows_done=3, bytes_done=30) is False
        assert reporter.report(rows_done=6, bytes_done=60) is False
    assert sum("cannot write progress" in r.getMessage() for r in caplog.records) == 1  # said once
    reporter.close()


def test_the_reporter_reads_a_cancellation_from_the_row(running_job):
    reporter = ProgressReporter(running_job, to_file=True)
    assert reporter.report(rows_done=1, bytes_done=10) is False
    assert progress_path(running_job.pk).read_text() == "1 10\n"
    ImportJob.objects.filter(pk=running_job.pk).update(cancel_requested=True)
    assert reporter.report(rows_done=2, bytes_done=20) is True
    reporter.close()
    assert not progress_path(running_job.pk).exists()


@pytest.mark.postgresql
def test_a_postgresql_import_reports_through_its_file_on_one_connection(run_csv, monkeypatch):
    """The pipelined import runs in one transaction; its progress reaches the page through the file,
    and it opens no second database connection for it."""
    from django.db import connections

    assert connection.vendor == "postgresql"
    monkeypatch.setattr(runner, "CHUNK_ROWS", 4)
    monkeypatch.setattr(runner, "ENCODE_ROWS", 3)

    def no_second_connection(alias):
        raise AssertionError("the import opened a second database connection")

    monkeypatch.setattr(connections, "create_connection", no_second_connection)
    seen = []
    write = ProgressReporter._write

    def spy(self, text):
        write(self, text)
        job = ImportJob.objects.get(pk=self.job_id)
        seen.append((job.rows_done, live_counts(job)[0]))

    monkeypatch.setattr(ProgressReporter, "_write", spy)
    job = run_csv([["external_id", "email"]] + [[f"P{i}", f"p{i}@example.jp"] for i in range(10)])
    assert_accounted(job)
    assert (job.records, job.created, job.rows_done) == (10, 10, 10)
    assert seen[:3] == [(0, 4), (0, 8), (0, 10)]  # the row is untouched until commit; the file moves
    assert not progress_path(job.pk).exists()
    assert AudienceList.objects.get(name="list-a").recipients.count() == 10


def test_a_cancelled_import_keeps_how_far_it_got(run_csv, monkeypatch):
    """Cancelled after its second report: the page shows the rows it had read, on either database
    (PostgreSQL reports through the file, which is gone once the import stops)."""
    monkeypatch.setattr(runner, "CHUNK_ROWS", 4)
    calls = []
    report = ProgressReporter.report

    def cancel_on_second(self, **counts):
        calls.append(counts)
        if len(calls) == 2:
            ImportJob.objects.filter(pk=self.job_id).update(cancel_requested=True)
        return report(self, **counts)

    monkeypatch.setattr(ProgressReporter, "report", cancel_on_second)
    job = run_csv([["external_id", "email"]] + [[f"C{i}", f"c{i}@example.jp"] for i in range(12)])
    assert job.status == "cancelled"
    assert job.rows_done == 8 and import_progress(job)["rows_done"] == 8
    assert not progress_path(job.pk).exists()


def test_a_reclaimed_job_never_shows_its_earlier_runs_progress(running_job, settings):
    """A worker killed mid-import leaves its file; the job is claimed again after the time limit."""
    from datetime import timedelta

    from django.utils import timezone

    left = progress_path(running_job.pk)
    left.parent.mkdir(parents=True, exist_ok=True)
    left.write_text("9000 190\n")
    long_ago = timezone.now() - timedelta(seconds=runner.STALE_AFTER_S + 60)
    os.utime(left, (long_ago.timestamp() - 5, long_ago.timestamp() - 5))
    ImportJob.objects.filter(pk=running_job.pk).update(started_at=long_ago)
    running_job.refresh_from_db()
    assert live_counts(running_job) == (2, 20)  # older than the run that the row describes
    os.utime(left)  # even a fresh-looking one is removed when the job is claimed again
    job = runner.run_import(running_job.pk)
    assert_accounted(job)
    assert (job.records, job.rows_done) == (10, 10)
    assert not left.exists()
