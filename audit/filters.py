"""What an auditor searches by, parsed once from a query string and applied to the audit table.

The same ``EventFilter`` drives the search page, the exports, the API and ``export_audit``, so a file
always holds exactly what the page showed. Dates are calendar days in ``settings.TIME_ZONE``; the end
date is inclusive.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from .recipients import recipient_ids_matching


class FilterError(ValueError):
    """A filter value that cannot be used; ``code`` is stable, the message is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


@dataclass(frozen=True)
class EventFilter:
    date_from: date | None = None
    date_to: date | None = None
    campaign_id: int | None = None
    recipient: str = ""  # external id, e-mail address or phone number
    recipient_id: int | None = None
    actor: str = ""
    action: str = ""  # exact, or a prefix when it ends with "." or "*"
    outcome: str = ""

    def apply(self, events: QuerySet) -> QuerySet:
        if self.date_from:
            events = events.filter(at__gte=local_midnight(self.date_from))
        if self.date_to:
            events = events.filter(at__lt=local_midnight(self.date_to + timedelta(days=1)))
        if self.campaign_id is not None:
            events = events.filter(campaign_id=self.campaign_id)
        if self.recipient_id is not None:
            events = events.filter(recipient_id=self.recipient_id)
        if self.recipient:
            addresses, ids = recipient_ids_matching(self.recipient)
            events = events.filter(Q(address__in=addresses) | Q(recipient_id__in=ids))
        if self.actor:
            events = events.filter(actor=self.actor)
        if self.action.endswith((".", "*")):
            events = events.filter(action__startswith=self.action.rstrip("*"))
        elif self.action:
            events = events.filter(action=self.action)
        if self.outcome:
            events = events.filter(outcome=self.outcome)
        return events

    def is_empty(self) -> bool:
        return not any(asdict(self).values())

    def describe(self) -> dict[str, Any]:
        """The filter as plain JSON values (what an export's audit event keeps)."""
        values = asdict(self).items()
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in values if v not in (None, "")}

    def as_query(self) -> dict[str, str]:
        """Query-string parameters that parse back into this filter."""
        return {_PARAM[k]: str(v) for k, v in self.describe().items()}


# query parameter → field name; short names keep URLs readable.
_PARAM = {f.name: f.name for f in fields(EventFilter)} | {
    "date_from": "from", "date_to": "to", "campaign_id": "campaign", "recipient_id": "recipient_id",
}


def _label(name: str) -> str:
    return {"from": _("From"), "to": _("To"), "campaign": _("Campaign"), "recipient_id": _("Recipient")}.get(name, name)


def _date(raw: str, name: str) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise FilterError(
            "filter.bad_date", _("%(name)s: expected a date such as 2026-04-01") % {"name": _label(name)}
        )


def _int(raw: str, name: str) -> int | None:
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise FilterError("filter.bad_number", _("%(name)s: expected a whole number") % {"name": _label(name)})


def parse_filter(params: Any) -> EventFilter:
    """An ``EventFilter`` from a QueryDict or dict of strings; raises ``FilterError``."""

    def get(field: str) -> str:
        return str(params.get(_PARAM[field], "") or "").strip()

    result = EventFilter(
        date_from=_date(get("date_from"), "from"),
        date_to=_date(get("date_to"), "to"),
        campaign_id=_int(get("campaign_id"), "campaign"),
        recipient=get("recipient"),
        recipient_id=_int(get("recipient_id"), "recipient_id"),
        actor=get("actor"),
        action=get("action"),
        outcome=get("outcome"),
    )
    if result.date_from and result.date_to and result.date_to < result.date_from:
        raise FilterError("filter.bad_period", _("The end date is before the start date."))
    return result
