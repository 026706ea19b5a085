"""DKIM signing (RFC 6376, rsa-sha256, relaxed/relaxed) for messages the fast builder made.

dkimpy supplies the canonicalization (and verifies in the tests); the RSA signature itself is made
with ``cryptography`` (OpenSSL): dkimpy's pure-Python RSA takes ~9.6 ms per 2048-bit signature on
this machine class, OpenSSL ~1 ms, and signing is per message.
"""

from __future__ import annotations

import base64
import hashlib
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from dkim.canonicalization import Relaxed

MIN_KEY_BITS = 2048
# Signed once each; the names listed again in OVERSIGN are signed once more with no value, so a
# relay cannot add a second From/Subject/List-Unsubscribe that the signature would still cover.
OVERSIGN = (b"from", b"subject", b"list-unsubscribe", b"list-unsubscribe-post")


@dataclass(frozen=True)
class DkimSigner:
    domain: str
    selector: str
    key: rsa.RSAPrivateKey

    @classmethod
    def from_pem(cls, domain: str, selector: str, pem: bytes, *, source: str = "DKIM_PRIVATE_KEY_FILE") -> DkimSigner:
        try:
            key = serialization.load_pem_private_key(pem, password=None)
        except (ValueError, TypeError) as exc:
            raise ImproperlyConfigured(f"{source}: not an unencrypted PEM private key ({exc})")
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ImproperlyConfigured(f"{source}: DKIM needs an RSA key")
        if key.key_size < MIN_KEY_BITS:
            raise ImproperlyConfigured(
                f"{source}: the DKIM key has {key.key_size} bits; at least {MIN_KEY_BITS} are required "
                "(mailbox providers ignore or penalise shorter keys)."
            )
        return cls(domain=domain, selector=selector, key=key)

    def sign(self, headers: list[tuple[bytes, bytes]], body: bytes) -> bytes:
        """The ``DKIM-Signature: …\\r\\n`` line to prepend. ``headers`` are (name, raw value without the
        leading space or trailing CRLF) exactly as written on the wire; every one of them is signed."""
        body_hash = base64.b64encode(hashlib.sha256(Relaxed.canonicalize_body(body)).digest())
        names = [name.lower() for name, _ in headers]
        signed = names + [n for n in OVERSIGN if n in names]
        fields = (
            b"v=1; a=rsa-sha256; c=relaxed/relaxed; d=" + self.domain.encode()
            + b"; s=" + self.selector.encode()
            + b"; t=" + str(int(time.time())).encode()
            + b";\r\n\th=" + b":".join(signed)
            + b";\r\n\tbh=" + body_hash
            + b";\r\n\tb="
        )
        canonical = Relaxed.canonicalize_headers([(n, b" " + v) for n, v in headers])
        canonical += Relaxed.canonicalize_headers([(b"DKIM-Signature", b" " + fields)])
        data = b"".join(n + b":" + v for n, v in canonical[:-1])
        last_name, last_value = canonical[-1]
        data += last_name + b":" + last_value.rstrip(b"\r\n")  # the signature header is hashed without CRLF
        signature = self.key.sign(data, padding.PKCS1v15(), hashes.SHA256())
        return b"DKIM-Signature: " + fields + base64.b64encode(signature) + b"\r\n"


def configured() -> bool:
    return bool(settings.DKIM_DOMAIN or settings.DKIM_SELECTOR or settings.DKIM_PRIVATE_KEY_FILE)


def signer_from_settings() -> DkimSigner | None:
    """The signer configured by DKIM_DOMAIN / DKIM_SELECTOR / DKIM_PRIVATE_KEY_FILE, or ``None``.

    Raises ImproperlyConfigured when only some are set, the file is unreadable, or the key is short.
    """
    if not configured():
        return None
    missing = [n for n in ("DKIM_DOMAIN", "DKIM_SELECTOR", "DKIM_PRIVATE_KEY_FILE") if not getattr(settings, n)]
    if missing:
        names = ", ".join(missing)
        raise ImproperlyConfigured(f"{names}: DKIM needs DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY_FILE together")
    return _load(settings.DKIM_DOMAIN, settings.DKIM_SELECTOR, settings.DKIM_PRIVATE_KEY_FILE)


@lru_cache(maxsize=4)
def _load(domain: str, selector: str, path: str) -> DkimSigner:
    try:
        pem = Path(path).read_bytes()
    except OSError as exc:
        raise ImproperlyConfigured(f"DKIM_PRIVATE_KEY_FILE={path!r} cannot be read ({exc.strerror})")
    return DkimSigner.from_pem(domain, selector, pem)
