"""Reading the dev outbox back for its page: newest first, email decoded the way a mail client would."""

from __future__ import annotations

import email
import json
import os
import re
from dataclasses import dataclass, field
from email import policy
from pathlib import Path

from .adapters.outbox import outbox_dir
from .sms import SmsInfo, sms_info

_NAME = re.compile(r"^(\d+)-(email|sms)-([A-Za-z0-9._-]+)\.(eml|json)$")


@dataclass
class OutboxItem:
    name: str
    channel: str
    message_id: str
    created_ns: int
    to: str = ""
    from_: str = ""
    subject: str = ""
    text: str = ""
    html: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)
    envelope: str = ""
    sms: SmsInfo | None = None


def outbox_list(limit: int = 200, directory: Path | None = None) -> list[OutboxItem]:
    directory = directory or outbox_dir()
    if not directory.is_dir():
        return []
    names = sorted((n for n in _scan(directory) if _NAME.match(n)), reverse=True)[:limit]
    return [item for item in (_load(directory, n, full=False) for n in names) if item]


def outbox_read(name: str, directory: Path | None = None) -> OutboxItem | None:
    if not _NAME.match(name):
        return None
    return _load(directory or outbox_dir(), name, full=True)


def _scan(directory: Path):
    with os.scandir(directory) as entries:
        for entry in entries:
            yield entry.name


def _load(directory: Path, name: str, *, full: bool) -> OutboxItem | None:
    stamp, channel, message_id, _ext = _NAME.match(name).groups()
    try:
        raw = (directory / name).read_bytes()
    except OSError:
        return None
    item = OutboxItem(name=name, channel=channel, message_id=message_id, created_ns=int(stamp))
    if channel == "sms":
        record = json.loads(raw)
        item.to, item.from_, item.text = record["to"], record.get("from", ""), record["text"]
        item.sms = sms_info(item.text)
        return item
    msg = email.message_from_bytes(raw, policy=policy.default)
    item.to, item.from_, item.subject = str(msg["To"] or ""), str(msg["From"] or ""), str(msg["Subject"] or "")
    item.envelope = str(msg["X-Outbox-Envelope"] or "")
    if full:
        item.headers = [(k, str(v)) for k, v in msg.items() if k != "X-Outbox-Envelope"]
        for part in msg.walk():
            if part.get_content_maintype() == "text":
                if part.get_content_subtype() == "html" and not item.html:
                    item.html = part.get_content()
                elif part.get_content_subtype() == "plain" and not item.text:
                    item.text = part.get_content()
    return item
