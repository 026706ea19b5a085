"""SMTP email: one session per batch (STARTTLS or implicit TLS, AUTH), the fast builder, DKIM.

Each message is MAIL/RCPT/DATA on the open session; the server's reply decides the result
(see ``channels.mail.status``). A dropped connection fails only the message in flight (transient)
and the session is reopened once for the rest of the batch; if that fails too, the rest fail
transiently at once instead of each waiting for a timeout.
"""

from __future__ import annotations

import re
import smtplib
import socket
import ssl

from django.conf import settings

from ..mail.builder import MailOptions, build
from ..mail.dkim import signer_from_settings
from ..mail.headers import HeaderError
from ..mail.status import parse_reply
from .base import STOP_EXCEPTIONS, Adapter, OutgoingMessage, SendResult


class SmtpAdapter(Adapter):
    def __init__(
        self,
        *,
        host: str,
        port: int,
        username: str = "",
        password: str = "",
        ssl: bool = False,
        starttls: bool = False,
        timeout: float = 10.0,
        options: MailOptions,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self.host, self.port, self.username, self.password = host, port, username, password
        self.use_ssl, self.starttls, self.timeout = ssl, starttls, timeout
        self.options = options
        self.tls_context = tls_context
        self._conn: smtplib.SMTP | None = None
        self._broken: SendResult | None = None  # why the session could not be (re)opened
        self._pipelining = False

    @classmethod
    def from_settings(cls, channel: str) -> SmtpAdapter:
        cfg = settings.EMAIL_SETTINGS
        return cls(
            host=cfg["host"],
            port=cfg["port"],
            username=cfg["username"],
            password=cfg["password"],
            ssl=cfg["ssl"],
            starttls=cfg["starttls"],
            timeout=cfg["timeout"],
            options=MailOptions(
                default_from=settings.DEFAULT_FROM_EMAIL,
                bounce_address=settings.EMAIL_BOUNCE_ADDRESS,
                signer=signer_from_settings(),
            ),
        )

    # -- session ---------------------------------------------------------------------------------
    def open(self) -> None:
        if self._conn is not None:
            return
        self._broken = None
        # Loading the CA bundle costs milliseconds: only when the session will use TLS.
        context = self.tls_context or (ssl.create_default_context() if self.use_ssl or self.starttls else None)
        conn = None
        try:
            if self.use_ssl:
                conn = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
            else:
                conn = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            conn.ehlo()
            if self.starttls:
                conn.starttls(context=context)
                conn.ehlo()
            if self.username:
                conn.login(self.username, self.password)
            # RFC 2920: MAIL, RCPT and DATA in one write saves two round trips per message.
            self._pipelining = conn.has_extn("pipelining")
        except smtplib.SMTPResponseException as exc:  # includes a refused login
            stage = "auth" if isinstance(exc, smtplib.SMTPAuthenticationError) else "connect"
            self._broken = self._failure_from_reply(None, exc.smtp_code, exc.smtp_error, stage=stage)
        except (OSError, smtplib.SMTPException) as exc:
            self._broken = _network_failure(None, exc)
        else:
            self._conn = conn
            return
        if conn is not None:
            conn.close()

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.quit()
            except (OSError, smtplib.SMTPException):
                conn.close()

    # -- sending ---------------------------------------------------------------------------------
    def send_many(self, messages: list[OutgoingMessage]) -> list[SendResult]:
        opened_here = self._conn is None
        if opened_here:
            self.open()
        try:
            return [self._send_guarded(m) for m in messages]
        finally:
            if opened_here:
                self.close()

    def _send_guarded(self, message: OutgoingMessage) -> SendResult:
        try:
            return self._send_one(message)
        except STOP_EXCEPTIONS:  # the task's time is up: stop, don't report the message as "retry later"
            self._drop()
            raise
        except Exception as exc:  # never lose the batch to one message
            return SendResult.failed(message, "adapter.error", repr(exc), permanent=False)

    def _send_one(self, message: OutgoingMessage) -> SendResult:
        try:
            built = build(message, self.options)
        except (HeaderError, UnicodeError) as exc:
            return SendResult.failed(message, "email.invalid", str(exc), permanent=True)
        if self._conn is None:
            if self._broken is None:
                self.open()
            if self._conn is None:
                return _for(message, self._broken)
        conn = self._conn
        try:
            if self._pipelining:
                return self._send_pipelined(message, conn, built)
            code, reply = conn.mail(built.envelope_from)
            if code != 250:
                conn.rset()
                return self._failure_from_reply(message, code, reply, stage="mail")
            code, reply = conn.rcpt(built.recipient)
            if code not in (250, 251):
                conn.rset()
                return self._failure_from_reply(message, code, reply, stage="rcpt")
            code, reply = conn.data(built.data)
            if code != 250:
                return self._failure_from_reply(message, code, reply, stage="data")
        except smtplib.SMTPServerDisconnected as exc:
            self._drop()
            return _network_failure(message, exc)
        except smtplib.SMTPResponseException as exc:  # e.g. 421 from data()
            self._drop()
            return self._failure_from_reply(message, exc.smtp_code, exc.smtp_error, stage="data")
        except (OSError, smtplib.SMTPException) as exc:
            self._drop()
            return _network_failure(message, exc)
        return SendResult.sent(message, provider_id=_queue_id(reply))

    def _send_pipelined(self, message: OutgoingMessage, conn: smtplib.SMTP, built) -> SendResult:
        """MAIL, RCPT and DATA in one write, then their three replies (addresses are ASCII already)."""
        conn.send(f"MAIL FROM:<{built.envelope_from}>\r\nRCPT TO:<{built.recipient}>\r\nDATA\r\n".encode("ascii"))
        mail, rcpt, data = conn.getreply(), conn.getreply(), conn.getreply()
        envelope_ok = mail[0] == 250 and rcpt[0] in (250, 251)
        if data[0] == 354 and not envelope_ok:
            # A server that opens DATA without a recipient must not get even an empty message.
            self._drop()
        elif data[0] == 354:
            conn.send(_dot_stuffed(built.data))
            code, reply = conn.getreply()
            if code != 250:
                return self._failure_from_reply(message, code, reply, stage="data")
            return SendResult.sent(message, provider_id=_queue_id(reply))
        elif envelope_ok:
            return self._failure_from_reply(message, data[0], data[1], stage="data")
        else:
            conn.rset()
        if mail[0] != 250:
            return self._failure_from_reply(message, mail[0], mail[1], stage="mail")
        return self._failure_from_reply(message, rcpt[0], rcpt[1], stage="rcpt")

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def _failure_from_reply(self, message, code: int, reply, *, stage: str) -> SendResult:
        status = parse_reply(code, reply)
        if code == 421:  # the server is closing the session: retry later on a new one
            self._drop()
        about_recipient = stage in {"rcpt", "data"}
        return SendResult(
            message_id=message.message_id if message else "",
            ok=False,
            error_code=status.error_code,
            error_message=status.text[:500],
            # A refused sender or login is our configuration, not the recipient: retry, don't fail rows.
            permanent=status.permanent and about_recipient,
            suppression=status.suppression if about_recipient else "",
            details={"stage": stage, "smtp_code": code},
        )


def _dot_stuffed(data: bytes) -> bytes:
    """The DATA payload as smtplib's data() sends it: leading dots doubled, ended by CRLF.CRLF."""
    stuffed = re.sub(rb"(?m)^\.", b"..", data)
    if not stuffed.endswith(b"\r\n"):
        stuffed += b"\r\n"
    return stuffed + b".\r\n"


def _queue_id(reply: bytes) -> str:
    # "2.0.0 Ok: queued as 4Xk2l…" (Postfix), "OK id=…" (Exim): keep the last word as the provider id.
    text = reply.decode("utf-8", "replace").strip()
    return text.rsplit(" ", 1)[-1][:100] if " " in text else ""


def _network_failure(message, exc: BaseException) -> SendResult:
    code = "network.timeout" if isinstance(exc, socket.timeout | TimeoutError) else "network.error"
    return SendResult(
        message_id=message.message_id if message else "",
        ok=False,
        error_code=code,
        error_message=str(exc) or type(exc).__name__,
        permanent=False,
    )


def _for(message: OutgoingMessage, template: SendResult | None) -> SendResult:
    if template is None:
        return SendResult.failed(message, "network.error", "no SMTP session", permanent=False)
    return SendResult(
        message_id=message.message_id,
        ok=False,
        error_code=template.error_code,
        error_message=template.error_message,
        permanent=False,
        details=template.details,
    )
