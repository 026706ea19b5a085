"""What the send log is searched by: campaign, recipient, status, channel, period (created, in TIME_ZONE)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Q, QuerySet

from ..filters import FilterError, _date, _int, local_midnight
from ..recipients import recipient_ids_matching


@dataclass(frozen=True)
class DeliveryFilter:
    date_from: date | None = None
    date_to: date | None = None
    campaign_id: int | None = None
    recipient: str = ""
    recipient_id: int | None = None
    status: str = ""
    channel: str = ""

    def apply(self, deliveries: QuerySet) -> QuerySet:
        if self.date_from:
            deliveries = deliveries.filter(created_at__gte=local_midnight(self.date_from))
        if self.date_to:
            deliveries = deliveries.filter(created_at__lt=local_midnight(self.date_to + timedelta(days=1)))
        if self.campaign_id is not None:
            deliveries = deliveries.filter(campaign_id=self.campaign_id)
        if self.recipient_id is not None:
            deliveries = deliveries.filter(recipient_id=self.recipient_id)
        if self.recipient:
            addresses, ids = recipient_ids_matching(self.recipient)
            deliveries = deliveries.filter(Q(recipient_id__in=ids) | Q(address__in=addresses))
        if self.status:
            deliveries = deliveries.filter(status=self.status)
        if self.channel:
            deliveries = deliveries.filter(channel=self.channel)
        return deliveries

    def describe(self) -> dict[str, Any]:
        values = asdict(self).items()
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in values if v not in (None, "")}

    def as_query(self) -> dict[str, str]:
        names = {"date_from": "from", "date_to": "to", "campaign_id": "campaign"}
        return {names.get(k, k): str(v) for k, v in self.describe().items()}


def parse_delivery_filter(params: Any) -> DeliveryFilter:
    def get(name: str) -> str:
        return str(params.get(name, "") or "").strip()

    result = DeliveryFilter(
        date_from=_date(get("from"), "from"),
        date_to=_date(get("to"), "to"),
        campaign_id=_int(get("campaign"), "campaign"),
        recipient=get("recipient"),
        recipient_id=_int(get("recipient_id"), "recipient_id"),
        status=get("status"),
        channel=get("channel"),
    )
    if result.date_from and result.date_to and result.date_to < result.date_from:
        from django.utils.translation import gettext as _

        raise FilterError("filter.bad_period", _("The end date is before the start date."))
    return result
