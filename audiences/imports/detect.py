"""Encoding and delimiter detection.

UTF-8 (with or without a BOM) when the whole file decodes as UTF-8, else CP932 — Windows' Shift_JIS
as Excel writes it. Never Python's ``shift_jis`` codec: it rejects the NEC/IBM extensions and
characters such as ①, ㈱ and ～ that real exports contain. The detection pass streams the file in
chunks (memory stays flat) and counts line breaks on the way, which gives the progress bar an
estimate of the total before the first row is parsed.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from pathlib import Path

CHUNK = 1 << 20
# UTF-8 is decoded in full: that is how a CP932 file is told apart. A file that is not UTF-8 is
# decoded as CP932 only for its first MiB here (0.45 s less per million rows); a bad byte further
# on fails the import when the parser reaches it, with the same code and its line, and the import's
# transaction leaves everything as it was.
CP932_CHECKED_BYTES = 1 << 20
NEITHER = "The file is neither UTF-8 nor CP932 (Shift_JIS); save it as CSV UTF-8."
NAMES = {"cp932": "CP932 (Shift_JIS as Windows writes it)", "utf-8": "UTF-8"}
LONE_CR = re.compile(rb"(?<=\r)(?!\n)")
BOM = codecs.BOM_UTF8
ENCODINGS = ("auto", "utf-8", "cp932")


class FileProblem(Exception):
    """A problem with the whole file; ``code`` is stable (``file.encoding``, ``file.empty``...)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Detected:
    encoding: str  # the Python codec to read with: "utf-8-sig" or "cp932"
    label: str  # what we report: "utf-8" or "cp932"
    line_breaks: int
    guessed: bool = False  # CP932 because the file is not UTF-8 (auto), not because it was asked for


def _scan(path: Path, encoding: str | None, *, check_bytes: int | None = None) -> tuple[bool, int]:
    """(decodes cleanly as ``encoding`` — or True when None, line-break count).

    With ``check_bytes``, only that much is decoded and the rest is only counted: the parser, which
    decodes every byte anyway, finds a bad one later on (see ``undecodable``)."""
    decoder = codecs.getincrementaldecoder(encoding)() if encoding else None
    breaks = read = 0
    last = b""
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            breaks += chunk.count(b"\n")
            last = chunk
            read += len(chunk)
            if decoder is not None:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    return False, breaks
                if check_bytes is not None and read >= check_bytes:
                    decoder = None
        if decoder is not None:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                return False, breaks
    if last and not last.endswith(b"\n"):
        breaks += 1
    return True, breaks


def detect_encoding(path: Path, requested: str = "auto") -> Detected:
    if requested not in ENCODINGS:
        raise FileProblem("file.encoding", f"unknown encoding {requested!r}; use auto, utf-8 or cp932")
    if path.stat().st_size == 0:
        raise FileProblem("file.empty", "The file is empty.")
    with path.open("rb") as handle:
        has_bom = handle.read(3) == BOM
    if requested == "cp932":
        ok, breaks = _scan(path, "cp932", check_bytes=CP932_CHECKED_BYTES)
        if not ok:
            raise _not_valid("cp932")
        return Detected("cp932", "cp932", breaks)
    ok, breaks = _scan(path, "utf-8")
    if ok:
        return Detected("utf-8-sig", "utf-8", breaks)
    if requested == "utf-8" or has_bom:
        raise _not_valid("utf-8")
    ok, breaks = _scan(path, "cp932", check_bytes=CP932_CHECKED_BYTES)
    if not ok:
        raise FileProblem("file.encoding", NEITHER)
    return Detected("cp932", "cp932", breaks, guessed=True)


def undecodable(path: Path, detected: Detected) -> FileProblem | None:
    """The problem to report when the parser meets a byte that ``detected.encoding`` cannot decode
    (past the part the detection pass decoded), naming the first line that holds one — counted as
    the CSV reader counts them (a lone CR ends a line too). None when the file decodes cleanly after
    all: then the error did not come from the file."""
    number = 0
    with path.open("rb") as handle:
        for raw in handle:
            # No "\n" or "\r" can be part of a character in either encoding.
            for piece in LONE_CR.split(raw):
                number += 1
                try:
                    piece.decode(detected.encoding)
                except UnicodeDecodeError:
                    if detected.guessed:
                        return FileProblem("file.encoding", f"{NEITHER} (line {number})")
                    return _not_valid(detected.label, number)
    return None


def _not_valid(label: str, line: int | None = None) -> FileProblem:
    where = f" from line {line} on" if line else ""
    return FileProblem("file.encoding", f"The file is not valid {NAMES[label]}{where}.")


def detect_delimiter(header_line: str) -> str:
    """Tab when the header has more tabs than commas, else comma."""
    return "\t" if header_line.count("\t") > header_line.count(",") else ","
