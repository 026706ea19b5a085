"""Shared helpers for the bad-input ("doors") tests: what "nothing was written" means, checked in one place."""

from __future__ import annotations

import pytest

from audiences.models import AudienceList, ImportIssue, ImportJob, Recipient, Suppression
from audit.models import AuditEvent
from campaigns.models import Delivery, Template, TemplateVersion


@pytest.fixture(autouse=True)
def _import_dir(settings, tmp_path):
    settings.IMPORT_DIR = tmp_path / "imports"


def state(settings=None) -> dict:
    """Row counts of everything a refused request could have touched, and the files in the upload dir."""
    counts = {model.__name__: model.objects.count() for model in (
        AudienceList, ImportJob, ImportIssue, Recipient, Suppression, Template, TemplateVersion, Delivery)}
    counts["audit"] = sorted(AuditEvent.objects.values_list("action", flat=True))
    if settings is not None:
        folder = settings.IMPORT_DIR
        counts["upload_files"] = sorted(p.name for p in folder.iterdir()) if folder.exists() else []
    return counts


def assert_nothing_written(before: dict, after: dict, *, refusal_actions: tuple[str, ...] = ("op.post",)) -> None:
    """Everything equal, except that the operation log may have recorded the refused request itself."""
    new_audit = list(after["audit"])
    for action in before["audit"]:
        new_audit.remove(action)
    assert set(new_audit) <= set(refusal_actions), f"unexpected audit events: {new_audit}"
    assert {k: v for k, v in after.items() if k != "audit"} == {k: v for k, v in before.items() if k != "audit"}


def logged(caplog, *needles: str) -> bool:
    text = "\n".join(record.getMessage() for record in caplog.records)
    return all(needle in text for needle in needles)
