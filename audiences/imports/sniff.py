"""What an upload really is, checked at the door before a job exists.

A CSV export is text. Files that only carry a ``.csv`` name — a PNG, a ZIP or an Excel workbook, a
PDF, a UTF-16 "Unicode text" export — are refused by their first bytes; NUL bytes anywhere (no CSV
has them; a binary file or UTF-16 does) and a line longer than ``IMPORT_MAX_LINE_BYTES`` (a binary
blob or a file with no line breaks, which would otherwise be read into memory whole by the parser)
are refused while the bytes are copied, so a bad file costs one pass and leaves nothing behind.

The checks are C-speed (``bytes.find`` and a few slices per MiB), so the copy stays I/O bound.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Iterator

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from .detect import FileProblem

# First bytes → what the file really is. Order matters only for prefixes of each other.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", gettext_noop("PNG image")),
    (b"\xff\xd8\xff", gettext_noop("JPEG image")),
    (b"GIF87a", gettext_noop("GIF image")),
    (b"GIF89a", gettext_noop("GIF image")),
    (b"%PDF-", gettext_noop("PDF document")),
    (b"PK\x03\x04", gettext_noop("ZIP archive")),
    (b"PK\x05\x06", gettext_noop("ZIP archive")),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", gettext_noop("Excel 97-2003 workbook (.xls)")),
    (b"\x1f\x8b", gettext_noop("gzip archive")),
    (b"7z\xbc\xaf\x27\x1c", gettext_noop("7-Zip archive")),
    (b"Rar!\x1a\x07", gettext_noop("RAR archive")),
    (b"\x7fELF", gettext_noop("program")),
)
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_UTF32_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)


def _kind(head: bytes) -> str | None:
    if head.startswith(_UTF32_BOMS):
        return gettext_noop("UTF-32 text")
    if head.startswith(_UTF16_BOMS):
        return gettext_noop("UTF-16 text")
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            if kind == "ZIP archive" and (b"xl/" in head[:4096] or b"[Content_Types].xml" in head[:4096]):
                return gettext_noop("Excel workbook (.xlsx)")
            return kind
    # UTF-16 without a BOM: every other byte of ASCII text is NUL.
    sample = head[:512]
    if len(sample) >= 8 and (sample[1::2].count(0) > len(sample) // 4 or sample[0::2].count(0) > len(sample) // 4):
        return gettext_noop("UTF-16 text")
    return None


def not_csv(kind: str) -> FileProblem:
    return FileProblem("file.not_csv", _(
        "This is not a CSV file: it looks like a %(kind)s. Save the sheet as \"CSV UTF-8\" and upload that.")
        % {"kind": _(kind)})


class Sniffer:
    """Feed it the upload's chunks in order; it raises ``FileProblem`` at the first bad byte."""

    def __init__(self, max_line_bytes: int) -> None:
        self.max_line = max_line_bytes
        self.offset = 0  # bytes seen so far
        self.line = 1  # line number of the current (unfinished) line
        self.run = 0  # bytes of the current line seen so far
        self.head = b""

    def feed(self, chunk: bytes) -> None:
        if self.offset < 4096:
            self.head += chunk[: 4096 - self.offset]
            if len(self.head) >= 8 or self.offset == 0:
                kind = _kind(self.head)
                if kind:
                    raise not_csv(kind)
        nul = chunk.find(b"\x00")
        if nul >= 0:
            line = self.line + chunk.count(b"\n", 0, nul)
            raise FileProblem("file.nul_byte", _(
                "Line %(line)s contains a NUL byte (\\0): this is not a text CSV file.") % {"line": f"{line:,}"})
        self._lines(chunk)
        self.offset += len(chunk)

    def _lines(self, chunk: bytes) -> None:
        first = chunk.find(b"\n")
        if first < 0:
            self.run += len(chunk)
            self._check(self.run)
            return
        self._check(self.run + first)
        last = chunk.rfind(b"\n")
        if last > first:
            # Any interior line longer than the limit contains a whole window of limit/2 bytes with no
            # line break; stepping by limit/2 finds it with a handful of find() calls per chunk.
            step = max(self.max_line // 2, 1)
            start = first + 1
            while start + step <= last:
                if chunk.find(b"\n", start, start + step) < 0:
                    begin = chunk.rfind(b"\n", 0, start) + 1
                    end = chunk.find(b"\n", start + step)
                    if end - begin > self.max_line:
                        self.line += chunk.count(b"\n", 0, begin)
                        self._check(end - begin)
                    start = end + 1
                else:
                    start += step
        self.line += chunk.count(b"\n")
        self.run = len(chunk) - last - 1
        self._check(self.run)

    def _check(self, length: int) -> None:
        if length > self.max_line:
            raise FileProblem("file.line_too_long", _(
                "Line %(line)s is longer than %(limit)s KB: this is not a CSV export (or it has no line breaks).")
                % {"line": f"{self.line:,}", "limit": f"{self.max_line // 1024:,}"})


def sniff_chunks(chunks: Iterable[bytes], max_line_bytes: int) -> Iterator[bytes]:
    """Pass ``chunks`` through unchanged, checking each (raises ``FileProblem``)."""
    sniffer = Sniffer(max_line_bytes)
    for chunk in chunks:
        sniffer.feed(chunk)
        yield chunk
