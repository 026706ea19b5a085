"""Bad files at every door of the recipient import: the page, the API and the CLI.

Each refusal carries a stable code and a message, leaves a log line, and writes nothing: no list, no
job, no recipient, no file in the upload folder, no audit event but the operation log's record of
the refused request itself.
"""

from __future__ import annotations

import io
import logging
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from .conftest import assert_nothing_written, logged, state

pytestmark = pytest.mark.django_db

GOOD_HEADER = "顧客番号,氏名,メールアドレス\r\n".encode()
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _zip(names: list[str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "<xml/>" if name.endswith(".xml") else "C1,a@example.jp\r\n")
    return buffer.getvalue()


TEXT = "顧客番号,氏名,メールアドレス\r\nC1,山田,taro@example.jp\r\n"
# (bytes, expected code, a phrase of the message)
BAD_FILES = {
    "png": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "file.not_csv", "PNG image"),
    "zip": (_zip(["customers.csv"]), "file.not_csv", "ZIP archive"),
    "xlsx": (_zip(["[Content_Types].xml", "xl/workbook.xml", "xl/worksheets/sheet1.xml"]), "file.not_csv",
             "Excel workbook (.xlsx)"),
    "xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, "file.not_csv", "Excel 97-2003"),
    "pdf": (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "file.not_csv", "PDF document"),
    "utf16": (TEXT.encode("utf-16"), "file.not_csv", "UTF-16 text"),
    "utf16-no-bom": (("external_id,email\r\n" + "C1,taro@example.jp\r\n" * 20).encode("utf-16-le"),
                     "file.not_csv", "UTF-16 text"),
    "nul": (GOOD_HEADER + b"C1,\xe5\xb1\xb1\xe7\x94\xb0,taro@example.jp\r\nC2,x\x00y,b@example.jp\r\n",
            "file.nul_byte", "Line 3 contains a NUL byte"),
    "10mb-line": (GOOD_HEADER + b"C1,\"" + b"a" * (10 * 1024 * 1024) + b"\",taro@example.jp\r\n",
                  "file.line_too_long", "Line 2 is longer than 1,024 KB"),
}


def _refuse_via(door: str, client, operator, token, data: bytes, name: str = "customers.csv"):
    """Send ``data`` through one door; returns (code, message) of the refusal."""
    if door == "ui":
        response = client.post("/audiences/imports/", {"file": SimpleUploadedFile(name, data), "list": "督促",
                                                        "mode": "upsert"}, **EN)
        assert response.status_code == 400
        text = response.content.decode()
        return None, text
    if door == "api":
        response = client.post("/api/v1/imports", {"file": SimpleUploadedFile(name, data), "list": "督促"},
                               headers={"Authorization": f"Bearer {token}"}, **EN)
        assert response.status_code in (400, 413), response.content
        body = response.json()
        return body["code"], body["message"]
    raise AssertionError(door)


@pytest.fixture
def operator(make_user, client):
    user = make_user("operator")
    client.force_login(user)  # before the "before" snapshot: signing in is an audit event of its own
    return user


@pytest.mark.parametrize("door", ["ui", "api", "cli"])
@pytest.mark.parametrize("kind", list(BAD_FILES))
def test_a_file_that_is_not_a_csv_is_refused_at_every_door(door, kind, client, operator, token_for, tmp_path,
                                                            settings, caplog):
    data, code, phrase = BAD_FILES[kind]
    token = token_for(operator)
    before = state(settings)
    caplog.set_level(logging.WARNING)
    if door == "cli":
        path = tmp_path / "customers.csv"
        path.write_bytes(data)
        with pytest.raises(CommandError) as exc:
            call_command("import_recipients", str(path), "--list", "督促", "--quiet")
        assert str(exc.value).startswith(code + ":") and phrase in str(exc.value)
    else:
        got_code, message = _refuse_via(door, client, operator, token, data)
        assert phrase in message
        if door == "api":
            assert got_code == code
    assert logged(caplog, f"import refused ({code})")
    assert_nothing_written(before, state(settings))


@pytest.mark.parametrize("door", ["ui", "api"])
@pytest.mark.parametrize("kind", list(BAD_FILES))
def test_a_file_that_is_not_a_csv_is_refused_by_the_suppression_upload(door, kind, client, operator, token_for,
                                                                       settings, caplog):
    """The other CSV door: bulk suppressions. Refused before the first batch is written."""
    data, code, phrase = BAD_FILES[kind]
    token = token_for(operator)
    before = state(settings)
    caplog.set_level(logging.WARNING)
    upload = SimpleUploadedFile("suppressions.csv", data)
    if door == "ui":
        response = client.post("/audiences/suppressions/bulk/", {"file": upload}, follow=True, **EN)
        assert f"{code}: " in response.content.decode() and phrase in response.content.decode()
    else:
        response = client.post("/api/v1/suppressions/bulk", {"file": upload},
                               headers={"Authorization": f"Bearer {token}"}, **EN)
        assert response.status_code == 400
        assert response.json()["code"] == code and phrase in response.json()["message"]
    assert logged(caplog, f"suppression upload refused ({code})")
    assert_nothing_written(before, state(settings))


@pytest.mark.parametrize("door", ["ui", "ui-declared", "api", "api-declared", "cli"])
def test_a_file_over_the_size_limit_is_refused_at_every_door(door, client, operator, token_for, tmp_path, settings,
                                                             caplog):
    settings.IMPORT_MAX_BYTES = 1000
    data = GOOD_HEADER + b"".join(b"C%d,name,c%d@example.jp\r\n" % (i, i) for i in range(5000))  # ~120 KB
    token = token_for(operator)
    before = state(settings)
    caplog.set_level(logging.WARNING)
    if door == "cli":
        path = tmp_path / "big.csv"
        path.write_bytes(data)
        with pytest.raises(CommandError, match=r"^file\.too_large: The file is 0\.1 MB; the limit is 0\.0 MB"):
            call_command("import_recipients", str(path), "--list", "督促", "--quiet")
    elif door == "ui":
        # Under the declared-length guard (limit + 64 KB) but over the limit: refused by the service.
        data = data[:2000]
        _, text = _refuse_via("ui", client, operator, token, data)
        assert "The file is 0.0 MB; the limit is 0.0 MB." in text
    elif door in ("ui-declared", "api-declared"):
        # Refused by its declared length before CSRF or the view parse (and spool) the upload.
        path = "/audiences/imports/" if door == "ui-declared" else "/api/v1/imports"
        response = client.post(path, {"file": SimpleUploadedFile("big.csv", data), "list": "x"},
                               headers={"Authorization": f"Bearer {token}"}, **EN)
        assert response.status_code == 413
        body = response.content.decode()
        assert "request.too_large" in body and "; the limit here is 65.0" in body
        assert logged(caplog, f"request refused (request.too_large): POST {path}")
        assert_nothing_written(before, state(settings))
        return
    else:
        code, message = _refuse_via("api", client, operator, token, data[:2000])
        assert (code, message) == ("file.too_large", "The file is larger than 1000 bytes.")
    assert logged(caplog, "import refused (file.too_large)")
    assert_nothing_written(before, state(settings))


@pytest.mark.parametrize("door", ["ui", "api"])
@pytest.mark.parametrize("body,content_type", [
    (b"--XYZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\nC1,a\r\n",
     "multipart/form-data; boundary=XYZ"),  # never closed
    (b"garbage without any boundary", "multipart/form-data"),  # no boundary parameter
    (b"--XYZ\r\nno headers at all\r\n--XYZ--\r\n", "multipart/form-data; boundary=\xff\xfe"),  # unusable boundary
], ids=["unterminated", "no-boundary", "bad-boundary"])
def test_a_malformed_multipart_body_is_refused(door, body, content_type, client, operator, token_for, settings,
                                               caplog):
    token = token_for(operator)
    before = state(settings)
    caplog.set_level(logging.WARNING)
    if door == "ui":
        response = client.generic("POST", "/audiences/imports/", body, content_type=content_type, **EN)
        assert response.status_code == 400
        text = response.content.decode()
        assert "request.malformed" in text or "Choose a CSV file." in text
    else:
        response = client.generic("POST", "/api/v1/imports", body, content_type=content_type,
                                  headers={"Authorization": f"Bearer {token}"}, **EN)
        assert response.status_code == 400
        assert response.json()["code"] in ("request.malformed", "file.missing")
    assert logged(caplog, "request refused (request.malformed)") or logged(caplog, "import refused (file.missing)")
    assert_nothing_written(before, state(settings))


def test_a_good_file_still_goes_through_after_the_sniffing(client, operator, settings):
    """The checks refuse bad files, not CSVs: a CP932 file with long-ish lines is accepted."""
    data = ("顧客番号,氏名,メールアドレス\r\n" + "".join(f"C{i},{'山' * 2000},c{i}@example.jp\r\n"
                                                   for i in range(300))).encode("cp932")
    response = client.post("/audiences/imports/", {"file": SimpleUploadedFile("a.csv", data), "list": "ok"}, **EN)
    assert response.status_code == 302
    assert len(list(settings.IMPORT_DIR.iterdir())) == 1


@pytest.mark.parametrize("chunk_size", [1, 7, 4096, 1 << 20])
@pytest.mark.parametrize("where", ["first", "middle", "last"])
def test_the_line_check_finds_a_long_line_wherever_the_chunks_split_it(chunk_size, where):
    """The sniffer sees the upload in chunks; a long line is found across chunk borders, with its number."""
    from audiences.imports.detect import FileProblem
    from audiences.imports.sniff import sniff_chunks

    limit = 2048
    short = b"C1,a@example.jp\r\n" * 50
    long_line = b"C2," + b"x" * (limit + 1) + b"\r\n"
    data = {"first": long_line + short, "middle": short + long_line + short, "last": short + long_line}[where]
    chunks = [data[i:i + chunk_size] for i in range(0, len(data), chunk_size)]
    with pytest.raises(FileProblem) as exc:
        list(sniff_chunks(chunks, limit))
    assert exc.value.code == "file.line_too_long"
    assert f"Line {1 if where == 'first' else 51} " in exc.value.message
    fine = short + b"C3," + b"y" * (limit - 10) + b"\r\n" + short
    assert b"".join(sniff_chunks([fine[i:i + chunk_size] for i in range(0, len(fine), chunk_size)], limit)) == fine


NUL_REQUESTS = {
    # door: (method, path, data, content type or None for a form)
    "query string of a list page": ("get", "/audiences/recipients/", {"q": "山田\x00"}, None),
    "form field of the import page": ("post", "/audiences/imports/", {"list": "督促\x00", "mode": "upsert"}, None),
    "url-encoded form": ("post", "/audiences/suppressions/", "channel=email&address=a%00%40example.jp&reason=manual",
                         "application/x-www-form-urlencoded"),
    "API JSON": ("post", "/api/v1/templates", '{"name": "t\\u0000", "channel": "sms", "body": "x"}',
                 "application/json"),
    "webhook form": ("post", "/channels/hooks/twilio/inbound", {"From": "+819012345678", "Body": "STOP\x00"}, None),
}


@pytest.mark.parametrize("door", list(NUL_REQUESTS))
def test_a_nul_byte_in_any_field_is_refused_before_the_view(door, client, operator, token_for, settings, caplog):
    """PostgreSQL refuses NUL in text; without this the request would end in a 500 half-way through."""
    method, path, data, content_type = NUL_REQUESTS[door]
    headers = {"Authorization": f"Bearer {token_for(operator)}"}
    before = state(settings)
    caplog.set_level(logging.WARNING)
    if content_type:
        response = getattr(client, method)(path, data, content_type=content_type, headers=headers, **EN)
    else:
        response = getattr(client, method)(path, data, headers=headers, **EN)
    assert response.status_code == 400
    body = response.content.decode()
    assert "request.nul_byte" in body and "contains a NUL byte" in body
    assert logged(caplog, f"request refused (request.nul_byte): {method.upper()} {path}")
    assert_nothing_written(before, state(settings))


def test_the_field_checks_leave_the_raw_body_readable_for_views_that_parse_it(client, operator):
    """The NUL and next= checks read form fields early; a small multipart body stays readable as request.body."""
    response = client.post("/audiences/segments/preview/", {"rules": "{}"})  # a view that parses request.body
    assert response.status_code < 500
