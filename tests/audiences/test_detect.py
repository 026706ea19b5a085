"""Encoding detection: UTF-8 (BOM or not) else CP932 — never shift_jis, which loses Excel's characters."""

from __future__ import annotations

import pytest

from audiences.imports.detect import FileProblem, detect_delimiter, detect_encoding

# Characters Excel writes in CP932 that Python's shift_jis codec cannot encode or decode.
EXCEL_ONLY = "①㈱～髙﨑ⅰ∑"


def test_excel_characters_need_cp932():
    with pytest.raises(UnicodeEncodeError):
        EXCEL_ONLY.encode("shift_jis")
    assert EXCEL_ONLY.encode("cp932").decode("cp932") == EXCEL_ONLY


@pytest.mark.parametrize(("data", "label", "codec"), [
    ("顧客番号,氏名\r\n1,山田\r\n".encode(), "utf-8", "utf-8-sig"),
    (b"\xef\xbb\xbf" + "顧客番号,氏名\r\n1,山田\r\n".encode(), "utf-8", "utf-8-sig"),
    (f"顧客番号,氏名\r\n1,{EXCEL_ONLY}\r\n".encode("cp932"), "cp932", "cp932"),
    (b"external_id,email\n1,a@example.com\n", "utf-8", "utf-8-sig"),
])
def test_detects(tmp_path, data, label, codec):
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    detected = detect_encoding(path)
    assert (detected.label, detected.encoding) == (label, codec)
    assert detected.line_breaks == 2


def test_forced_utf8_refuses_cp932(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes("顧客番号\r\n①\r\n".encode("cp932"))
    with pytest.raises(FileProblem) as info:
        detect_encoding(path, "utf-8")
    assert info.value.code == "file.encoding"


def test_neither_encoding(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(b"id\r\n\x82\xff\xff\r\n")
    with pytest.raises(FileProblem) as info:
        detect_encoding(path)
    assert info.value.code == "file.encoding"


def test_empty_file(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(b"")
    with pytest.raises(FileProblem) as info:
        detect_encoding(path)
    assert info.value.code == "file.empty"


def test_delimiter():
    assert detect_delimiter("a\tb\tc\n") == "\t"
    assert detect_delimiter("a,b,c\n") == ","
