"""Fixtures for audiences: CSV files written in the test (UTF-8 or CP932) and imports run inline."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from audiences.imports.runner import run_import
from audiences.models import ImportJob
from audiences.services import import_create

HEADER_JA = ["顧客番号", "氏名", "メールアドレス", "携帯電話番号", "未払金額", "支払期日"]


def csv_bytes(rows: list[list[str]], *, encoding: str = "utf-8", delimiter: str = ",", bom: bool = False,
              newline: str = "\r\n") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=newline)
    writer.writerows(rows)
    data = buffer.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


@pytest.fixture(autouse=True)
def _import_dir(settings, tmp_path):
    settings.IMPORT_DIR = tmp_path / "imports"


@pytest.fixture
def write_csv(tmp_path):
    counter = iter(range(1, 10_000))

    def write(rows=None, *, raw: bytes | None = None, name: str | None = None, **options) -> Path:
        path = tmp_path / (name or f"upload-{next(counter)}.csv")
        path.write_bytes(raw if raw is not None else csv_bytes(rows, **options))
        return path

    return write


@pytest.fixture
def run_csv(db, write_csv):
    """Import rows (or raw bytes) into a list inline and return the finished job."""

    def run(rows=None, *, list_name: str = "list-a", mode: str = "upsert", encoding: str = "auto",
            raw: bytes | None = None, actor: str = "tester", **options) -> ImportJob:
        path = write_csv(rows, raw=raw, **{k: v for k, v in options.items() if k in {"delimiter", "bom", "newline"}},
                         encoding=options.get("file_encoding", "utf-8"))
        job = import_create(path=path, list_name=list_name, mode=mode, encoding=encoding, actor=actor, queue=False)
        return run_import(job.pk)

    return run


def assert_accounted(job: ImportJob) -> None:
    assert job.status == ImportJob.Status.COMPLETED, (job.error_code, job.error_message)
    assert job.created + job.updated + job.rejected + job.blank == job.records
