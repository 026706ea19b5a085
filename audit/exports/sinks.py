"""Byte sinks an export writes through: hashing and counting, and the CP932 transcoder.

CP932 (Windows-31J) is what Excel on a Japanese Windows expects without a BOM. Characters it cannot
hold are written visibly as ``[U+XXXX]`` (the code point, so nothing is silently lost or turned into a
look-alike), after the usual JIS/Unicode mapping differences are folded to the characters Windows
uses (WAVE DASH → FULLWIDTH TILDE, MINUS SIGN → FULLWIDTH HYPHEN-MINUS, …) so ordinary Japanese text
never needs the marker.
"""

from __future__ import annotations

import codecs
import hashlib
from typing import BinaryIO

UTF8_BOM = b"\xef\xbb\xbf"
CP932_ERRORS = "audit-cp932-visible"

# Unicode characters that Shift_JIS-family text from Unix/Mac sources uses where Windows has another.
_CP932_FOLD = str.maketrans({
    "\u301c": "\uff5e",  # WAVE DASH → FULLWIDTH TILDE
    "\u2016": "\u2225",  # DOUBLE VERTICAL LINE → PARALLEL TO
    "\u2212": "\uff0d",  # MINUS SIGN → FULLWIDTH HYPHEN-MINUS
    "\u00a2": "\uffe0",  # CENT SIGN
    "\u00a3": "\uffe1",  # POUND SIGN
    "\u00ac": "\uffe2",  # NOT SIGN
    "\u2014": "\u2015",  # EM DASH → HORIZONTAL BAR
})


def _visible(error: UnicodeEncodeError) -> tuple[str, int]:
    bad = error.object[error.start:error.end]
    return "".join(f"[U+{ord(ch):04X}]" for ch in bad), error.end


codecs.register_error(CP932_ERRORS, _visible)


def to_cp932(text: str) -> bytes:
    return text.translate(_CP932_FOLD).encode("cp932", errors=CP932_ERRORS)


class HashingSink:
    """Writes bytes to ``out`` while counting them and computing their SHA-256."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        self.digest.update(data)
        self.out.write(data)
        self.size += len(data)

    def close(self) -> None:
        self.out.flush()

    def hexdigest(self) -> str:
        return self.digest.hexdigest()


class Cp932Sink:
    """Takes UTF-8 bytes (in chunks that may split a character) and passes CP932 bytes on."""

    def __init__(self, inner: HashingSink) -> None:
        self.inner = inner
        self.decoder = codecs.getincrementaldecoder("utf-8")()

    def write(self, data: bytes) -> None:
        text = self.decoder.decode(data)
        if text:
            self.inner.write(to_cp932(text))

    def close(self) -> None:
        rest = self.decoder.decode(b"", final=True)
        if rest:
            self.inner.write(to_cp932(rest))
        self.inner.close()


class TextAdapter:
    """A text ``write()`` for csv.writer over a byte sink; buffers so the sink sees few large writes."""

    def __init__(self, sink: HashingSink | Cp932Sink, buffer_chars: int = 1 << 16) -> None:
        self.sink = sink
        self.parts: list[str] = []
        self.pending = 0
        self.buffer_chars = buffer_chars

    def write(self, text: str) -> None:
        self.parts.append(text)
        self.pending += len(text)
        if self.pending >= self.buffer_chars:
            self.flush()

    def flush(self) -> None:
        if self.parts:
            self.sink.write("".join(self.parts).encode("utf-8"))
            self.parts, self.pending = [], 0
