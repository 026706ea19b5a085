"""A fast MIME builder: bytes assembled directly, no ``email.message`` objects.

``email.message.EmailMessage`` costs ~0.5 ms a message; this costs a few tens of µs (see
docs/benchmarks.md) because everything is pre-rendered text: encode the two bodies, join a fixed
set of headers, sign. Output is CRLF, 7-bit clean (base64 bodies for non-ASCII), UTF-8 with RFC 2047
headers — what Japanese mail clients display correctly.
"""

from __future__ import annotations

import binascii
import re
from dataclasses import dataclass
from functools import lru_cache

from ..adapters.base import OutgoingMessage
from .dkim import DkimSigner
from .headers import (
    HeaderError,
    address_domain,
    ascii_address,
    date_header,
    encode_address,
    encode_text,
    message_id_header,
    split_address,
    verp_address,
)

_cached_address = lru_cache(maxsize=64)(encode_address)  # the sender repeats across a batch

_HEADER_NAME = re.compile(r"^[!-9;-~]+$")  # printable ASCII without ':' (RFC 5322 ftext)
# Fixed headers the builder writes itself; callers may not override them through ``headers``.
_RESERVED = {
    "from", "to", "subject", "date", "message-id", "mime-version", "content-type",
    "content-transfer-encoding", "list-unsubscribe", "list-unsubscribe-post", "dkim-signature", "return-path",
}


@dataclass(frozen=True)
class BuiltMessage:
    envelope_from: str
    recipient: str
    data: bytes


@dataclass(frozen=True)
class MailOptions:
    default_from: str
    bounce_address: str = ""  # VERP base, e.g. bounces@mail.example.jp; empty: the From address
    message_id_domain: str = ""  # empty: the DKIM domain, else the From domain
    signer: DkimSigner | None = None


def _body_part(text: str, subtype: str) -> bytes:
    raw = text.replace("\r\n", "\n").replace("\n", "\r\n")
    if raw.isascii() and "=_nc" not in raw and (len(raw) <= 998 or max(map(len, raw.split("\r\n"))) <= 998):
        encoding, payload = b"7bit", raw.encode("ascii")
    else:
        data = raw.encode("utf-8")
        # 57 input bytes → one 76-character base64 line (RFC 2045)
        lines = (binascii.b2a_base64(data[i : i + 57], newline=False) for i in range(0, len(data), 57))
        payload = b"\r\n".join(lines)
        encoding = b"base64"
    if not payload.endswith(b"\r\n"):
        payload += b"\r\n"
    head = b"Content-Type: text/" + subtype.encode() + b'; charset="utf-8"\r\nContent-Transfer-Encoding: ' + encoding
    return head + b"\r\n\r\n" + payload


def build(message: OutgoingMessage, options: MailOptions) -> BuiltMessage:
    """Wire bytes for one message. Raises HeaderError for values that cannot be sent (bad address, CRLF)."""
    sender = message.from_ or options.default_from
    from_header = _cached_address(sender)
    to_header = encode_address(message.to)
    recipient = ascii_address(split_address(message.to)[1])
    domain = options.message_id_domain or (options.signer.domain if options.signer else address_domain(sender))
    if message.bounce_address:
        envelope_from = message.bounce_address
    elif options.bounce_address:
        envelope_from = verp_address(options.bounce_address, message.message_id)
    else:
        envelope_from = ascii_address(split_address(sender)[1])

    headers: list[tuple[bytes, bytes]] = [
        (b"From", from_header.encode()),
        (b"To", to_header.encode()),
        (b"Subject", encode_text(message.subject).encode()),
        (b"Date", date_header().encode()),
        (b"Message-ID", message_id_header(message.message_id, domain).encode()),
        (b"MIME-Version", b"1.0"),
    ]
    unsubscribe = [f"<{u}>" for u in (message.list_unsubscribe_url, message.list_unsubscribe_mailto) if u]
    if unsubscribe:
        value = ",\r\n ".join(unsubscribe)  # folded: each URL may be long
        if not value.isascii():
            raise HeaderError("List-Unsubscribe URLs must be ASCII")
        headers.append((b"List-Unsubscribe", value.encode()))
        if message.list_unsubscribe_url.startswith("https://"):
            headers.append((b"List-Unsubscribe-Post", b"List-Unsubscribe=One-Click"))  # RFC 8058
    extra: list[tuple[bytes, bytes]] = []
    for name, value in message.headers.items():
        if not _HEADER_NAME.match(name) or name.lower() in _RESERVED:
            raise HeaderError(f"header {name!r} cannot be set by the caller")
        extra.append((name.encode("ascii"), encode_text(str(value)).encode("ascii")))

    if message.text and message.html:
        boundary = b"=_nc_" + binascii.hexlify(message.message_id.encode()[-24:]) + b"_alt"
        content_type = b'multipart/alternative; boundary="' + boundary + b'"'
        body = (
            b"--" + boundary + b"\r\n" + _body_part(message.text, "plain")
            + b"--" + boundary + b"\r\n" + _body_part(message.html, "html")
            + b"--" + boundary + b"--\r\n"
        )
        headers.append((b"Content-Type", content_type))
    else:
        part = _body_part(message.html or message.text, "html" if message.html else "plain")
        head, _, body = part.partition(b"\r\n\r\n")
        ctype, _, cte = head.partition(b"\r\n")
        headers.append((b"Content-Type", ctype.split(b": ", 1)[1]))
        headers.append((b"Content-Transfer-Encoding", cte.split(b": ", 1)[1]))

    signature = options.signer.sign(headers, body) if options.signer else b""
    head = b"".join(n + b": " + v + b"\r\n" for n, v in headers + extra)
    return BuiltMessage(envelope_from=envelope_from, recipient=recipient, data=signature + head + b"\r\n" + body)
