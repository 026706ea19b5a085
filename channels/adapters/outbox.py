"""Dev outbox: the embedded default. Messages become files under ``VAR_DIR/outbox`` (no database, so
the adapter stays ORM-free and survives a reset), and the ``channels:outbox`` page shows them as the
recipient would see them. Email is stored as the exact wire bytes the SMTP adapter would send (.eml);
SMS as JSON.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from django.conf import settings

from ..mail.builder import MailOptions, build
from ..mail.headers import HeaderError
from .base import EMAIL, Adapter, OutgoingMessage, SendResult


def outbox_dir() -> Path:
    return Path(settings.VAR_DIR) / "outbox"


class OutboxAdapter(Adapter):
    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory

    @classmethod
    def from_settings(cls, channel: str) -> OutboxAdapter:
        return cls()

    def open(self) -> None:
        self._dir = self.directory or outbox_dir()
        self._dir.mkdir(parents=True, exist_ok=True)
        self._options = MailOptions(
            default_from=settings.DEFAULT_FROM_EMAIL, bounce_address=settings.EMAIL_BOUNCE_ADDRESS
        )

    def send_many(self, messages: list[OutgoingMessage]) -> list[SendResult]:
        if not hasattr(self, "_dir"):
            self.open()
        return super().send_many(messages)

    def _send_one(self, message: OutgoingMessage) -> SendResult:
        stem = f"{time.time_ns()}-{message.channel}-{message.message_id}"
        if message.channel == EMAIL:
            try:
                built = build(message, self._options)
            except (HeaderError, UnicodeError) as exc:
                return SendResult.failed(message, "email.invalid", str(exc), permanent=True)
            envelope = f"X-Outbox-Envelope: {built.envelope_from} -> {built.recipient}\r\n".encode()
            _write(self._dir / f"{stem}.eml", envelope + built.data)
        else:
            record = {
                "message_id": message.message_id,
                "to": message.to,
                "from": message.from_ or getattr(settings, "TWILIO_FROM", ""),
                "text": message.text,
                "created": time.time(),
            }
            _write(self._dir / f"{stem}.json", json.dumps(record, ensure_ascii=False).encode("utf-8"))
        return SendResult.sent(message, provider_id=f"outbox-{stem}")


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)  # the page never sees half a message
