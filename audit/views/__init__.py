"""The auditor's pages: search, event detail, exports, integrity (and the send log once deliveries exist)."""

from .events import event_detail, events
from .exports import export, export_manifest
from .integrity import integrity, integrity_verify

__all__ = ["event_detail", "events", "export", "export_manifest", "integrity", "integrity_verify"]
