"""Twilio SMS through the Messages API: a form POST with basic auth on one keep-alive connection per
batch. The delivery id travels in the ``StatusCallback`` URL (``?mid=…``): Twilio has no client
reference field, and the callback URL is covered by the ``X-Twilio-Signature`` we verify.
"""

from __future__ import annotations

import base64
import http.client
import json
import socket
import ssl
from urllib.parse import quote, urlencode, urlsplit

from django.conf import settings
from django.urls import reverse

from .base import Adapter, OutgoingMessage, SendResult
from .twilio_errors import classify, error_code


def status_callback_url(message_id: str) -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/") + reverse("channels:hook_twilio_status") + "?mid=" + quote(message_id)


class TwilioAdapter(Adapter):
    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        from_: str,
        api_base: str = "https://api.twilio.com",
        timeout: float = 10.0,
        callback_base: str = "",
    ) -> None:
        self.account_sid, self.from_ = account_sid, from_
        parts = urlsplit(api_base)
        self._https = parts.scheme == "https"
        self._host, self._port = parts.hostname or "", parts.port
        self._path = f"{parts.path.rstrip('/')}/2010-04-01/Accounts/{quote(account_sid)}/Messages.json"
        self.timeout = timeout
        self.callback_base = callback_base  # "https://notify.example.jp/channels/hooks/twilio/status?mid="
        token = base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode("ascii")
        self._headers = {
            "Authorization": f"Basic {token}",
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
            "Connection": "keep-alive",
        }
        self._conn: http.client.HTTPConnection | None = None

    @classmethod
    def from_settings(cls, channel: str) -> TwilioAdapter:
        return cls(
            account_sid=settings.TWILIO_ACCOUNT_SID,
            auth_token=settings.TWILIO_AUTH_TOKEN,
            from_=settings.TWILIO_FROM,
            api_base=settings.TWILIO_API_BASE,
            timeout=settings.TWILIO_TIMEOUT_S,
            callback_base=status_callback_url(""),
        )

    def open(self) -> None:
        if self._conn is None:
            if self._https:
                self._conn = http.client.HTTPSConnection(
                    self._host, self._port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                self._conn = http.client.HTTPConnection(self._host, self._port, timeout=self.timeout)

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def send_many(self, messages: list[OutgoingMessage]) -> list[SendResult]:
        opened_here = self._conn is None
        self.open()
        try:
            return super().send_many(messages)
        finally:
            if opened_here:
                self.close()

    def _send_one(self, message: OutgoingMessage) -> SendResult:
        form = {"To": message.to, "From": message.from_ or self.from_, "Body": message.text}
        if self.callback_base:
            form["StatusCallback"] = self.callback_base + quote(message.message_id)
        self.open()
        try:
            # bytes, so http.client sends headers and body in one segment (no Nagle/delayed-ACK stall)
            self._conn.request("POST", self._path, body=urlencode(form).encode("ascii"), headers=self._headers)
            response = self._conn.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self.close()  # the next message gets a fresh connection
            timeout = isinstance(exc, socket.timeout | TimeoutError)
            return SendResult.failed(
                message, "network.timeout" if timeout else "network.error", str(exc) or type(exc).__name__,
                permanent=False,
            )
        if response.will_close:
            self.close()
        return _result(message, response.status, body, response.getheader("Retry-After"))


def _result(message: OutgoingMessage, status: int, body: bytes, retry_after: str | None) -> SendResult:
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    if status in (200, 201):
        return SendResult.sent(
            message, provider_id=str(data.get("sid", "")), status=data.get("status", ""),
            num_segments=data.get("num_segments"),
        )
    code = data.get("code") if isinstance(data.get("code"), int) else None
    meaning = classify(code, status)
    wait = None
    if status == 429 or code == 20429:
        try:
            wait = float(retry_after) if retry_after else None
        except ValueError:
            wait = None
    return SendResult.failed(
        message,
        error_code(code, status),
        str(data.get("message") or meaning.meaning or f"HTTP {status}")[:500],
        permanent=meaning.permanent,
        suppression=meaning.suppression,
        retry_after=wait,
        http_status=status,
        category=meaning.category,
    )
