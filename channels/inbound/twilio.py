"""Twilio callbacks: signature check, status callbacks → DeliveryReceipt, inbound SMS → OptOut/OptIn.

The signature (https://www.twilio.com/docs/usage/security#validating-requests): HMAC-SHA1, keyed
with the auth token, over the full URL Twilio called followed by every POST parameter sorted by name
as name+value, base64-encoded, in ``X-Twilio-Signature``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import unicodedata
from collections.abc import Iterable, Mapping
from urllib.parse import parse_qs, urlsplit, urlunsplit

from ..adapters.base import SMS
from ..adapters.twilio_errors import classify
from .events import DeliveryReceipt, InboundReply, OptIn, OptOut

# Whole-message keywords after normalisation (NFKC: full-width → half-width; upper case; no spaces).
OPT_OUT_KEYWORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "停止", "配信停止"}
OPT_IN_KEYWORDS = {"START", "UNSTOP", "再開", "配信再開"}
# A polite tail still means the keyword: 停止してください, 配信停止希望, STOP PLEASE.
_POLITE_TAIL = re.compile(r"(してください|して下さい|をお願いします|お願いします|を希望|希望|PLEASE)$")
_PUNCTUATION = re.compile(r"[\s。、．，.,!！?？・「」『』()（）]+")


def _items(params: Mapping[str, str | list[str]] | Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    if isinstance(params, Mapping):
        out = []
        for key, value in params.items():
            for v in value if isinstance(value, list | tuple) else [value]:
                out.append((key, v))
        return out
    return list(params)


def compute_signature(url: str, params, auth_token: str) -> str:
    """``params``: a mapping (values may be lists, as in a QueryDict's ``lists()``) or (name, value) pairs."""
    # Names sorted, and a repeated name's values sorted and de-duplicated, as Twilio's own libraries do.
    payload = url + "".join(k + v for k, v in sorted(set(_items(params))))
    digest = hmac.new(auth_token.encode("utf-8"), payload.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def _url_variants(url: str) -> list[str]:
    # Twilio signs the URL as configured; with a default port in or out depending on set-up. Its own
    # helper libraries accept both forms, so do we.
    parts = urlsplit(url)
    default = {"https": 443, "http": 80}.get(parts.scheme)
    variants = [url]
    if parts.port is None and default:
        variants.append(urlunsplit(parts._replace(netloc=f"{parts.netloc}:{default}")))
    elif parts.port == default:
        variants.append(urlunsplit(parts._replace(netloc=parts.hostname)))
    return variants


def verify_signature(url: str, params, signature: str, auth_token: str) -> bool:
    """Constant-time comparison against every acceptable form of ``url``; False without a token."""
    if not auth_token or not signature:
        return False
    ok = False
    for candidate in _url_variants(url):
        ok |= hmac.compare_digest(compute_signature(candidate, params, auth_token), signature)
    return ok


def _first(params: Mapping, key: str) -> str:
    value = params.get(key, "")
    if isinstance(value, list | tuple):
        value = value[0] if value else ""
    return str(value)


def parse_status_callback(params: Mapping, *, message_id: str = "") -> DeliveryReceipt:
    """A MessageStatus callback. ``message_id`` comes from our callback URL's ``mid`` query parameter."""
    status = _first(params, "MessageStatus") or _first(params, "SmsStatus")
    raw_code = _first(params, "ErrorCode")
    code = int(raw_code) if raw_code.isdigit() else None
    meaning = classify(code, 400) if code else None
    return DeliveryReceipt(
        channel=SMS,
        message_id=message_id,
        provider_id=_first(params, "MessageSid") or _first(params, "SmsSid"),
        status=status.lower(),
        error_code=f"twilio.{code}" if code else "",
        error_message=meaning.meaning if meaning else "",
        permanent=bool(meaning and meaning.permanent),
        suppression=meaning.suppression if meaning else "",
        category=meaning.category if meaning else "",
        raw={k: _first(params, k) for k in params},
    )


def message_id_from_query(query: str) -> str:
    values = parse_qs(query).get("mid", [""])
    return values[0] if re.fullmatch(r"[A-Za-z0-9._-]{1,100}", values[0] or "") else ""


def normalise_keyword(text: str) -> str:
    """ＳＴＯＰ, " stop ", "停止。" → "STOP" / "停止" (NFKC folds full-width forms and the ideographic space)."""
    text = unicodedata.normalize("NFKC", text or "").upper()
    return _PUNCTUATION.sub("", text)


def keyword_of(text: str) -> tuple[str, str] | None:
    """("opt_out" | "opt_in", keyword) when the whole reply is a keyword (politely phrased or not)."""
    word = normalise_keyword(text)
    for candidate in (word, _POLITE_TAIL.sub("", word)):
        if candidate in OPT_OUT_KEYWORDS:
            return "opt_out", candidate
        if candidate in OPT_IN_KEYWORDS:
            return "opt_in", candidate
    return None


def parse_inbound_sms(params: Mapping) -> OptOut | OptIn | InboundReply:
    sender, body, sid = _first(params, "From"), _first(params, "Body"), _first(params, "MessageSid")
    # Twilio's Advanced Opt-Out already classified the reply when enabled; trust it first.
    opt_type = _first(params, "OptOutType").upper()
    if opt_type == "STOP":
        return OptOut(channel=SMS, address=sender, keyword=normalise_keyword(body) or "STOP", provider_id=sid)
    if opt_type == "START":
        return OptIn(channel=SMS, address=sender, keyword=normalise_keyword(body) or "START", provider_id=sid)
    found = keyword_of(body)
    if found and found[0] == "opt_out":
        return OptOut(channel=SMS, address=sender, keyword=found[1], provider_id=sid)
    if found:
        return OptIn(channel=SMS, address=sender, keyword=found[1], provider_id=sid)
    return InboundReply(channel=SMS, address=sender, text=body, provider_id=sid)
