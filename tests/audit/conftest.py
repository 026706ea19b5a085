"""Fixtures for the auditor's side: signed-in auditors and events written through the one recording API."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from audit.services import Event, record_many

TOKYO = ZoneInfo("Asia/Tokyo")


@pytest.fixture
def auditor(make_user):
    return make_user("auditor", username="auditor-hanako")


@pytest.fixture
def auditor_client(client, auditor):
    client.force_login(auditor)
    return client


@pytest.fixture
def write_events(db):
    """Write events in bulk: ``write_events(n, **fields)``; ``at`` may be a Tokyo wall-clock string."""

    def write(n: int = 1, **fields) -> None:
        at = fields.pop("at", None)
        if isinstance(at, str):
            at = datetime.fromisoformat(at).replace(tzinfo=TOKYO)
        fields.setdefault("action", "send.sent")
        fields.setdefault("actor", "system:worker@test")
        record_many([Event(at=at, **fields) for _ in range(n)])

    return write


def read_csv(data: bytes, encoding: str = "utf-8-sig") -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode(encoding), newline="")))


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content
