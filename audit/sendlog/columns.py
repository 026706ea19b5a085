"""The columns of a deliveries export (the status history itself is in the events export)."""

from __future__ import annotations

from django.apps import apps

from ..exports.columns import Column
from .models import delivery_model


def delivery_columns() -> list[Column]:
    table = delivery_model()._meta.db_table
    recipients = apps.get_model("audiences", "Recipient")._meta.db_table
    # Table names from model metadata, no values: a correlated lookup of the customer number.
    external_id = f'(SELECT r."external_id" FROM "{recipients}" r WHERE r."id" = "{table}"."recipient_id")'  # noqa: S608
    return [
        Column("id", "id", "int"),
        Column("campaign_id", "campaign_id", "int"),
        Column("recipient_id", "recipient_id", "int"),
        Column("external_id", "recipient__external_id", sql=external_id),
        Column("channel", "channel"),
        Column("address", "address"),
        Column("status", "status"),
        Column("skip_reason", "skip_reason"),
        Column("attempts", "attempts", "int"),
        Column("provider_id", "provider_id"),
        Column("error_code", "error_code"),
        Column("error_message", "error_message"),
        Column("created_at", "created_at", "time"),
        Column("updated_at", "updated_at", "time"),
        Column("sent_at", "sent_at", "time"),
    ]
