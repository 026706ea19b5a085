"""Exports: neutralised cells, a manifest whose hash matches the bytes, and the export itself audited."""

from __future__ import annotations

import hashlib
import json

import pytest
from django.core.management import call_command

from audit.csv_safety import FORMULA_LEADERS
from audit.exports.service import EVENT_COLUMNS, audit_export
from audit.filters import parse_filter
from audit.models import AuditEvent
from tests.audit.conftest import body, read_csv

pytestmark = pytest.mark.django_db

TEXT_COLUMNS = ["actor", "action", "object_type", "object_id", "channel", "address", "outcome", "user_agent"]


@pytest.mark.parametrize("leader", FORMULA_LEADERS)
def test_every_text_cell_starting_like_a_formula_is_neutralised(auditor_client, write_events, leader):
    payload = f"{leader}HYPERLINK(\"http://evil.example\",\"x\")"
    width = {name: AuditEvent._meta.get_field(name).max_length for name in TEXT_COLUMNS}
    write_events(1, campaign_id=5, **{name: payload[: width[name]] for name in TEXT_COLUMNS})
    rows = read_csv(body(auditor_client.get("/audit/events/export/?campaign=5")))
    assert len(rows) == 1
    for name in TEXT_COLUMNS:
        assert rows[0][name].startswith("'" + leader), (name, rows[0][name])


def test_ordinary_cells_are_left_as_recorded(auditor_client, write_events):
    write_events(1, campaign_id=5, actor="hanako", address="taro@example.jp", details={"n": -1})
    row = read_csv(body(auditor_client.get("/audit/events/export/?campaign=5")))[0]
    assert (row["actor"], row["address"], json.loads(row["details"])) == ("hanako", "taro@example.jp", {"n": -1})


def test_the_csv_is_utf8_with_a_bom_and_times_in_tokyo(auditor_client, write_events):
    write_events(1, campaign_id=5, at="2026-04-01T09:30:00.000001", actor="山田")
    data = body(auditor_client.get("/audit/events/export/?campaign=5"))
    assert data.startswith(b"\xef\xbb\xbf")
    row = read_csv(data)[0]
    assert list(row) == [c.name for c in EVENT_COLUMNS]
    assert (row["at"], row["actor"]) == ("2026-04-01T09:30:00.000001+09:00", "山田")


def test_the_manifest_hash_and_count_match_the_bytes(auditor_client, write_events):
    write_events(12, campaign_id=5, address="+819012345678")
    response = auditor_client.get("/audit/events/export/?campaign=5")
    data = body(response)
    assert response["X-Export-SHA256"] == hashlib.sha256(data).hexdigest()
    assert int(response["X-Export-Rows"]) == len(read_csv(data)) == 12
    assert response["Content-Length"] == str(len(data))
    manifest = auditor_client.get(response["X-Export-Manifest"]).json()
    assert (manifest["sha256"], manifest["rows"], manifest["bytes"]) == (
        hashlib.sha256(data).hexdigest(), 12, len(data))
    assert manifest["filter"] == {"campaign_id": 5}


def test_an_export_is_itself_an_audit_event(auditor_client, auditor, write_events):
    write_events(3, campaign_id=5)
    response = auditor_client.get("/audit/events/export/?campaign=5&from=2000-01-01&format=jsonl")
    event = AuditEvent.objects.get(action="audit.exported")
    assert str(event.id) == response["X-Export-Event"]
    assert event.actor == auditor.username
    assert event.campaign_id == 5
    assert event.details["filter"] == {"campaign_id": 5, "date_from": "2000-01-01"}
    assert event.details["rows"] == 3
    assert event.details["sha256"] == hashlib.sha256(body(response)).hexdigest()
    assert event.details["format"] == "jsonl"
    # The export event says everything; the operation log does not add a second one.
    assert not AuditEvent.objects.filter(action__startswith="op.").exists()


def test_cp932_on_request_replaces_what_it_cannot_hold_visibly(auditor_client, write_events):
    write_events(1, campaign_id=5, actor="髙橋〜😀", address="−1")
    response = auditor_client.get("/audit/events/export/?campaign=5&encoding=cp932")
    data = body(response)
    assert "windows-31j" in response["Content-Type"]
    assert not data.startswith(b"\xef\xbb\xbf")
    row = read_csv(data, encoding="cp932")[0]
    # 髙 is in CP932; the JIS wave dash becomes Windows' full-width tilde; an emoji shows its code point.
    assert row["actor"] == "髙橋～[U+1F600]"
    assert row["address"] == "－1"
    assert response["X-Export-SHA256"] == hashlib.sha256(data).hexdigest()


def test_json_lines_keep_values_exactly_as_recorded(auditor_client, write_events):
    write_events(2, campaign_id=5, actor="=cmd", details={"k": "=v"})
    lines = body(auditor_client.get("/audit/events/export/?campaign=5&format=jsonl")).decode().splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == 2
    assert records[0]["actor"] == "=cmd" and records[0]["details"] == {"k": "=v"}
    assert records[0]["at"].endswith("+09:00")
    assert set(records[0]) == {c.name for c in EVENT_COLUMNS}


def test_the_export_holds_exactly_what_the_filter_matches(auditor_client, write_events):
    write_events(4, campaign_id=5, at="2026-04-01T12:00:00")
    write_events(2, campaign_id=5, at="2026-04-02T12:00:00")
    write_events(3, campaign_id=6, at="2026-04-01T12:00:00")
    response = auditor_client.get("/audit/events/export/?campaign=5&from=2026-04-01&to=2026-04-01")
    rows = read_csv(body(response))
    assert len(rows) == 4 and {r["campaign_id"] for r in rows} == {"5"}
    assert [r["id"] for r in rows] == sorted((r["id"] for r in rows), key=int)  # oldest first


@pytest.mark.parametrize(("query", "code"), [("format=xlsx", b"export.bad_format"),
                                             ("encoding=latin-1", b"export.bad_encoding"),
                                             ("format=jsonl&encoding=cp932", b"export.bad_encoding"),
                                             ("from=someday", b"filter.bad_date")])
def test_a_bad_request_is_refused_with_a_code_and_not_recorded(auditor_client, query, code):
    response = auditor_client.get("/audit/events/export/?" + query)
    assert response.status_code == 400 and code in response.content
    assert not AuditEvent.objects.filter(action="audit.exported").exists()


def test_export_audit_command_writes_the_file_and_its_manifest(tmp_path, write_events):
    write_events(3, campaign_id=5, at="2026-04-01T12:00:00")
    write_events(1, campaign_id=5, at="2026-05-01T12:00:00")
    out = tmp_path / "april.csv"
    call_command("export_audit", "--from", "2026-04-01", "--to", "2026-04-30", "--campaign", "5", "--out", str(out))
    data = out.read_bytes()
    assert len(read_csv(data)) == 3
    manifest = json.loads((tmp_path / "april.csv.manifest.json").read_text(encoding="utf-8"))
    assert manifest["sha256"] == hashlib.sha256(data).hexdigest() and manifest["rows"] == 3
    event = AuditEvent.objects.get(action="audit.exported")
    assert event.actor == "system:cli" and event.details["out"] == str(out.resolve())


def test_memory_stays_flat_because_rows_are_streamed_not_listed(write_events, tmp_path, monkeypatch):
    """The Python path reads through iterator(chunk_size=…); the PostgreSQL path through COPY."""
    from django.db.models.query import QuerySet

    write_events(20, campaign_id=5)
    used = []
    original = QuerySet.iterator

    def spy(self, chunk_size=None):
        used.append(chunk_size)
        return original(self, chunk_size=chunk_size)

    monkeypatch.setattr(QuerySet, "iterator", spy)
    with (tmp_path / "x.jsonl").open("wb") as handle:
        result = audit_export(filters=parse_filter({"campaign": "5"}), fmt="jsonl", actor="system:test", out=handle)
    assert result.rows == 20 and used and all(size for size in used)


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_the_database_and_python_paths_write_the_same_values(write_events, monkeypatch, tmp_path, fmt):
    """On PostgreSQL the database formats the cells; Python does it elsewhere. Same text either way."""
    from audit.exports import engine

    for leader in (*FORMULA_LEADERS, "", "x"):
        write_events(1, campaign_id=5, actor=f"{leader}a\"b,c\nd", address="+81 90", details={"k": [1, "é"]},
                     ip="2001:db8::1", recipient_id=-3, at="2026-01-02T03:04:05.000600")

    def export(database: bool) -> bytes:
        monkeypatch.setattr(engine, "database_formats", lambda: database)
        path = tmp_path / f"{database}.{fmt}"
        with path.open("wb") as handle:
            filters = parse_filter({"campaign": "5", "action": "send.sent"})  # not the first export's own event
            audit_export(filters=filters, fmt=fmt, actor="system:test", out=handle)
        return path.read_bytes()

    python = export(False)
    database = export(engine.connection.vendor == "postgresql")
    if fmt == "csv":
        assert database == python
    else:
        assert [json.loads(x) for x in database.splitlines()] == [json.loads(x) for x in python.splitlines()]
