"""Import a CSV file of recipients into a list, in this process (no worker needed).

    python manage.py import_recipients customers.csv --list 督促2025-06 [--mode upsert|replace]
        [--encoding auto|utf-8|cp932]

The last line printed is a JSON summary (records, created, updated, rejected, blank, warnings, ...).
"""

from __future__ import annotations

import getpass
import json
import threading
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from audiences.imports.progress import live_counts
from audiences.imports.runner import run_import
from audiences.models import ImportJob
from audiences.services import ImportInputError, import_create


class Command(BaseCommand):
    help = "Import recipients from a CSV file (UTF-8 or CP932) into a list."
    # The system checks import every URL conf, view and API schema (~0.3 s and 6 MB) that an import
    # never uses; the settings this command depends on are still validated when the apps load
    # (ChannelsConfig.ready), and ``manage.py check`` / web / worker start-up run the checks.
    requires_system_checks = []

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--list", dest="list_name", required=True, help="list name (created if missing)")
        parser.add_argument("--mode", choices=ImportJob.Mode.values, default="upsert")
        parser.add_argument("--encoding", choices=["auto", "utf-8", "cp932"], default="auto")
        parser.add_argument("--actor", default="", help="who to record in the audit log (default cli:<login>)")
        parser.add_argument("--quiet", action="store_true", help="no progress on stderr")

    def handle(self, *args, path: Path, list_name: str, mode: str, encoding: str, actor: str, quiet: bool,
               **options) -> None:
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        who = actor or f"cli:{_login()}"
        try:
            job = import_create(path=path, filename=path.name, list_name=list_name, mode=mode, encoding=encoding,
                                actor=who, queue=False)
        except ImportInputError as exc:
            raise CommandError(f"{exc.code}: {exc.message}")
        started = time.monotonic()
        stop = threading.Event()
        if not quiet:
            threading.Thread(target=self._report, args=(job.pk, stop), daemon=True).start()
        job = run_import(job.pk, actor=who)
        stop.set()
        summary = {
            "job": job.pk, "status": job.status, "list": list_name, "mode": mode, "encoding": job.encoding,
            "records": job.records, "created": job.created, "updated": job.updated, "rejected": job.rejected,
            "blank": job.blank, "warnings": job.warnings, "removed": job.removed,
            "seconds": round(time.monotonic() - started, 3),
        }
        if job.error_code:
            summary.update(error_code=job.error_code, error=job.error_message)
        self.stdout.write(json.dumps(summary, ensure_ascii=False))
        if job.status != ImportJob.Status.COMPLETED:
            raise CommandError(f"import {job.status}: {job.error_code} {job.error_message}".strip())

    def _report(self, job_id: int, stop: threading.Event) -> None:
        from django.db import connection

        try:
            while not stop.wait(2.0):
                job = ImportJob.objects.filter(pk=job_id).first()
                done = live_counts(job)[0] if job else 0
                self.stderr.write(f"… {done:,} rows")
        finally:
            connection.close()


def _login() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "unknown"
