"""Twilio error codes → what they mean for dispatch. Used for send errors and status callbacks alike.

https://www.twilio.com/docs/api/errors — only codes we act on differently are listed; others fall
back on the HTTP status (4xx permanent, 429/5xx transient).
"""

from __future__ import annotations

from dataclasses import dataclass

from .base import SUPPRESS_OPT_OUT


@dataclass(frozen=True)
class TwilioError:
    permanent: bool
    suppression: str = ""
    category: str = ""  # shown on the campaign monitor page (e.g. carrier_filtered)
    meaning: str = ""


TWILIO_ERRORS: dict[int, TwilioError] = {
    21211: TwilioError(True, meaning="invalid 'To' phone number"),
    21614: TwilioError(True, meaning="'To' number is not a mobile number"),
    21610: TwilioError(True, SUPPRESS_OPT_OUT, meaning="recipient replied STOP (unsubscribed)"),
    30003: TwilioError(True, category="unreachable", meaning="unreachable destination handset"),
    30005: TwilioError(True, category="unknown_destination", meaning="unknown destination handset"),
    30006: TwilioError(True, category="landline", meaning="landline or unreachable carrier"),
    30007: TwilioError(True, category="carrier_filtered", meaning="message filtered by the carrier"),
    20429: TwilioError(False, meaning="too many requests"),
    30001: TwilioError(False, meaning="queue overflow"),
    20003: TwilioError(False, category="configuration", meaning="authentication failed (check TWILIO_* settings)"),
}


def classify(code: int | None, http_status: int = 400) -> TwilioError:
    if code in TWILIO_ERRORS:
        return TWILIO_ERRORS[code]
    if http_status in (401, 403):  # our credentials, not the recipient: retry once fixed
        return TwilioError(False, category="configuration", meaning="authentication failed")
    return TwilioError(permanent=not (http_status == 429 or http_status >= 500))


def error_code(code: int | None, http_status: int) -> str:
    return f"twilio.{code}" if code else f"http.{http_status}"
