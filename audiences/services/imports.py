from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from audit.services import record

from ..imports.detect import ENCODINGS, FileProblem
from ..imports.sniff import sniff_chunks
from ..models import ImportJob
from ._actor import actor_name
from .lists import audience_list_get_or_create

log = logging.getLogger(__name__)


class ImportInputError(ValueError):
    """Refused before any work; ``code`` is stable (``file.too_large``, ``import.bad_mode``...)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def check_upload(*, size: int, mode: str, encoding: str, list_name: str) -> None:
    limit = settings.IMPORT_MAX_BYTES
    if size > limit:
        raise ImportInputError("file.too_large", _("The file is %(size)s MB; the limit is %(limit)s MB.") % {
            "size": f"{size / 1048576:,.1f}", "limit": f"{limit / 1048576:,.1f}"})
    if size == 0:
        raise ImportInputError("file.empty", _("The file is empty."))
    if mode not in ImportJob.Mode.values:
        raise ImportInputError("import.bad_mode", _("Mode must be upsert or replace."))
    if encoding not in ENCODINGS:
        raise ImportInputError("import.bad_encoding", _("Encoding must be auto, utf-8 or cp932."))
    if not list_name.strip():
        raise ImportInputError("import.no_list", _("Name the list to import into."))


def _store(upload) -> Path:
    """Copy the upload under IMPORT_DIR, sniffing it on the way; a refused file leaves nothing behind."""
    folder = Path(settings.IMPORT_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}.csv"
    try:
        with path.open("wb") as out:
            for chunk in sniff_chunks(upload.chunks(), settings.IMPORT_MAX_LINE_BYTES):
                out.write(chunk)
    except FileProblem as problem:
        path.unlink(missing_ok=True)
        raise ImportInputError(problem.code, problem.message)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def _sniff_local(path: Path) -> None:
    """A file given to the CLI is read in place: the same checks, one streaming pass."""
    try:
        with Path(path).open("rb") as handle:
            for _chunk in sniff_chunks(iter(lambda: handle.read(1 << 20), b""), settings.IMPORT_MAX_LINE_BYTES):
                pass
    except FileProblem as problem:
        raise ImportInputError(problem.code, problem.message)


def import_create(*, upload=None, path: Path | None = None, filename: str = "", list_name: str,
                  mode: str = "upsert", encoding: str = "auto", user: Any = None, actor: str | None = None,
                  request: Any = None, queue: bool = True) -> ImportJob:
    """Create an import job for an uploaded file (stored under IMPORT_DIR) or a local ``path`` (CLI).

    With ``queue`` the Celery task is sent after the transaction commits; otherwise the caller runs
    ``audiences.imports.runner.run_import(job.pk)`` itself.
    """
    size = upload.size if upload is not None else Path(path).stat().st_size
    try:
        check_upload(size=size, mode=mode, encoding=encoding, list_name=list_name)
        if upload is None:
            _sniff_local(path)
        stored = _store(upload) if upload is not None else Path(path).resolve()
    except ImportInputError as exc:
        log.warning("import refused (%s): %s [file %r, %d bytes]", exc.code, exc.message,
                    filename or getattr(upload, "name", "") or str(path), size)
        raise
    who = actor_name(actor=actor, user=user, request=request)
    with transaction.atomic():
        audience_list = audience_list_get_or_create(name=list_name, actor=who, request=request)
        job = ImportJob.objects.create(
            audience_list=audience_list, mode=mode, encoding_requested=encoding, size_bytes=size,
            original_filename=(filename or getattr(upload, "name", "") or Path(stored).name)[:255],
            stored_path=str(stored), created_by=who, language=translation.get_language() or "",
        )
        record(action="import.created", actor=who, request=request, obj=job,
               details={"list": audience_list.name, "mode": mode, "file": job.original_filename, "bytes": size})
        if queue:
            from ..imports.tasks import import_recipients_task

            transaction.on_commit(lambda: _send(job.pk, import_recipients_task))
    return job


def _send(job_id: int, task) -> None:
    result = task.delay(job_id)
    ImportJob.objects.filter(pk=job_id).exclude(task_id=result.id or "").update(task_id=result.id or "")


def import_cancel(*, job: ImportJob, user: Any = None, request: Any = None) -> ImportJob:
    """Ask a running import to stop (it stops at the next chunk, leaving the list as it was)."""
    who = actor_name(user=user, request=request)
    if job.is_final:
        return job
    with transaction.atomic():
        ImportJob.objects.filter(pk=job.pk).update(cancel_requested=True)
        stopped = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.PENDING).update(
            status=ImportJob.Status.CANCELLED, finished_at=timezone.now())
        record(action="import.cancel_requested", actor=who, request=request, obj=job,
               details={"was_pending": bool(stopped)})
    job.refresh_from_db()
    return job
