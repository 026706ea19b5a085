"""Real local servers for the channel tests: aiosmtpd (optionally STARTTLS + AUTH), the Twilio
stand-in, a DKIM key and its DNS record, and a Redis server."""

from __future__ import annotations

import base64
import datetime
import shutil
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass, field

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from channels.adapters import memory
from channels.testing.twilio_standin import TwilioStandIn


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- DKIM ----------------------------------------------------------------------------------------
@dataclass
class DkimKey:
    pem_path: str
    dns_txt: bytes  # what the selector's TXT record would hold

    def dnsfunc(self, name, timeout=5):
        return self.dns_txt


def _rsa_pem(bits: int) -> tuple[rsa.RSAPrivateKey, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return key, pem


@pytest.fixture(scope="session")
def dkim_key(tmp_path_factory) -> DkimKey:
    key, pem = _rsa_pem(2048)
    path = tmp_path_factory.mktemp("dkim") / "dkim.pem"
    path.write_bytes(pem)
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return DkimKey(str(path), b"v=DKIM1; k=rsa; p=" + base64.b64encode(der))


@pytest.fixture(scope="session")
def short_dkim_key_file(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("dkim-short") / "short.pem"
    path.write_bytes(_rsa_pem(1024)[1])
    return str(path)


# -- SMTP ----------------------------------------------------------------------------------------
@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    session_id: int


@dataclass
class SinkHandler:
    messages: list[Received] = field(default_factory=list)
    rcpt_replies: dict[str, str] = field(default_factory=dict)  # address → "550 5.1.1 …"
    data_reply: str | None = None
    sessions: int = 0
    close_after: int | None = None  # drop the connection after this many accepted messages (once)
    pipelining: bool = False  # advertise RFC 2920 PIPELINING (aiosmtpd reads pipelined commands in order)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        if self.pipelining:
            responses.insert(-1, "250-PIPELINING")
        if not getattr(session, "counted", False):
            session.counted = True
            self.sessions += 1
            session.number = self.sessions
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.rcpt_replies:
            return self.rcpt_replies[address]
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_reply:
            return self.data_reply
        self.messages.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content or envelope.content,
                     getattr(session, "number", 0))
        )
        if self.close_after is not None and len(self.messages) >= self.close_after:
            self.close_after = None
            server.transport.close()
            return "250 2.0.0 Ok: queued as DROPPED"
        return f"250 2.0.0 Ok: queued as Q{len(self.messages):05d}"


@dataclass
class SmtpSink:
    host: str
    port: int
    handler: SinkHandler
    cafile: str | None = None

    @property
    def messages(self) -> list[Received]:
        return self.handler.messages


@pytest.fixture
def smtp_sink():
    handler = SinkHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield SmtpSink("127.0.0.1", controller.port, handler)
    controller.stop()


@pytest.fixture
def smtp_pipelining_sink():
    handler = SinkHandler(pipelining=True)
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield SmtpSink("127.0.0.1", controller.port, handler)
    controller.stop()


@pytest.fixture(scope="session")
def tls_cert(tmp_path_factory):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    directory = tmp_path_factory.mktemp("tls")
    (directory / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (directory / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return str(directory / "cert.pem"), str(directory / "key.pem")


@pytest.fixture
def smtp_tls_sink(tls_cert):
    """STARTTLS required before AUTH; user "mailer", password "s3cret"."""
    import ssl

    cert, key = tls_cert
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == b"mailer" and auth_data.password == b"s3cret"
        return AuthResult(success=ok, handled=False)

    handler = SinkHandler()
    controller = Controller(
        handler, hostname="localhost", port=free_port(), tls_context=context, require_starttls=True,
        authenticator=authenticator, auth_required=True, auth_require_tls=True,
    )
    controller.start()
    yield SmtpSink("localhost", controller.port, handler, cafile=cert)
    controller.stop()


# -- Twilio --------------------------------------------------------------------------------------
@pytest.fixture
def twilio(settings):
    with TwilioStandIn(account_sid="ACchan0000000000000000000000000000", auth_token="chan-token") as standin:
        settings.SMS_BACKEND = "twilio"
        settings.TWILIO_API_BASE = standin.api_base
        settings.TWILIO_ACCOUNT_SID = standin.account_sid
        settings.TWILIO_AUTH_TOKEN = standin.auth_token
        settings.TWILIO_FROM = "+815012345678"
        settings.TWILIO_TIMEOUT_S = 5
        yield standin


# -- Redis ---------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def redis_url():
    """REDIS_URL when the suite runs against Redis; otherwise a private redis-server on a free port."""
    from django.conf import settings

    if settings.REDIS_URL:
        yield settings.REDIS_URL
        return
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("the throttle tests need redis-server (apt-get install redis-server) or REDIS_URL")
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--save", "", "--appendonly", "no", "--bind", "127.0.0.1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            break
        except OSError:
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(5)


@pytest.fixture
def unique_key():
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture(autouse=True)
def _fresh_memory_outbox():
    memory.reset()
    yield
    memory.reset()
