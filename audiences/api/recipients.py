from __future__ import annotations

from datetime import datetime

from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema, Status

from ..models import AudienceList, Consent, Recipient
from ..selectors import RecipientFilter, recipient_lists, recipient_page
from ..services import consent_grant, consent_revoke
from .common import OPERATORS, error

router = Router()


class RecipientOut(Schema):
    id: int
    external_id: str
    name: str
    email: str
    phone: str
    phone_type: str
    attributes: dict
    lists: list[int] | None = None
    created_at: datetime
    updated_at: datetime
    last_import_id: int | None


class RecipientPage(Schema):
    items: list[RecipientOut]
    next_before: int | None


class RecipientQuery(Schema):
    q: str = ""
    list: int | None = None  # noqa: A003
    before: int | None = None
    limit: int = 50


class ListOut(Schema):
    id: int
    name: str
    description: str
    created_at: datetime
    created_by: str


class ConsentIn(Schema):
    channel: str
    source: str
    wording: str
    evidence: str = ""
    granted_at: datetime | None = None


class ConsentOut(Schema):
    id: int
    recipient_id: int
    channel: str
    granted_at: datetime
    source: str
    wording: str
    evidence: str
    revoked_at: datetime | None
    created_by: str


class RevokeIn(Schema):
    reason: str = ""


@router.get("/lists", response=list[ListOut], auth=OPERATORS, summary="Audience lists")
def lists(request):
    return list(AudienceList.objects.order_by("name")[:1000])


@router.get("/recipients", response=RecipientPage, auth=OPERATORS,
            summary="Recipients, newest first, keyset-paginated (pass next_before as before)")
def recipients(request, query: Query[RecipientQuery]):
    filters = RecipientFilter(q=query.q, list_id=query.list)
    rows, next_before = recipient_page(filters, before_id=query.before, size=max(1, min(query.limit, 500)))
    return {"items": rows, "next_before": next_before}


@router.get("/recipients/{recipient_id}", response=RecipientOut, auth=OPERATORS, summary="One recipient")
def recipient(request, recipient_id: int):
    row = get_object_or_404(Recipient, pk=recipient_id)
    row.lists_ids = list(recipient_lists(row).values_list("id", flat=True))
    out = RecipientOut.from_orm(row).dict()
    out["lists"] = row.lists_ids
    return out


@router.get("/recipients/{recipient_id}/consents", response=list[ConsentOut], auth=OPERATORS,
            summary="A recipient's consent records")
def consents(request, recipient_id: int):
    return list(Consent.objects.filter(recipient_id=recipient_id).order_by("-granted_at", "-id"))


@router.post("/recipients/{recipient_id}/consents", response={201: ConsentOut}, auth=OPERATORS,
             summary="Record a marketing consent")
def add_consent(request, recipient_id: int, payload: ConsentIn):
    row = get_object_or_404(Recipient, pk=recipient_id)
    try:
        consent = consent_grant(recipient=row, channel=payload.channel, source=payload.source,
                                wording=payload.wording, evidence=payload.evidence, granted_at=payload.granted_at,
                                user=request.auth, request=request)
    except ValueError as exc:
        return error(400, "consent.invalid", str(exc))
    return Status(201, consent)


@router.post("/consents/{consent_id}/revoke", response=ConsentOut, auth=OPERATORS, summary="Revoke a consent")
def revoke_consent(request, consent_id: int, payload: RevokeIn | None = None):
    consent = get_object_or_404(Consent, pk=consent_id)
    return consent_revoke(consent=consent, reason=payload.reason if payload else "", user=request.auth,
                          request=request)
