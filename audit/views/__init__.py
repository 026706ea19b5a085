"""The auditor's pages: search, event detail, exports, integrity and the send log."""

from .events import event_detail, events
from .exports import export, export_manifest
from .integrity import integrity, integrity_verify
from .sendlog import campaign, deliveries, delivery_detail

__all__ = [
    "campaign", "deliveries", "delivery_detail", "event_detail", "events", "export", "export_manifest",
    "integrity", "integrity_verify",
]
