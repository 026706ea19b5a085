"""The TOTP second factor (RFC 6238 through pyotp): enrolment, verification, recovery codes.

* A code is accepted for the current 30-second step and one step either side (clock drift), and only
  if its step is later than the last accepted one: a conditional UPDATE makes that check and the
  bookkeeping one atomic statement, so two requests racing with the same code cannot both pass (replay).
* Recovery codes are single use: one conditional UPDATE marks a matching unused code as used.
* Failed codes are ``auth.mfa_failed`` audit events keyed by user name, counted together with failed
  passwords by ``notify_console.auth.is_locked_out``: guessing codes locks the account like guessing
  passwords does.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.services import record
from notify_console.auth import MFA_FAILED
from notify_console.roles import ADMIN, APPROVER, user_roles

from .models import RecoveryCode, TOTPDevice

# Roles that may enrol an authenticator; MFA_REQUIRED_ROLES makes it compulsory for some of them.
MFA_ROLES = (APPROVER, ADMIN)
RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud or typed from paper


@dataclass(frozen=True)
class MfaError(Exception):
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


INVALID = MfaError("mfa.invalid_code", _("That code is not valid. Check the time on your phone and try again."))
REPLAYED = MfaError("mfa.code_reused", _("That code was already used. Wait for the next code."))
ALREADY_ENROLLED = MfaError("mfa.already_enrolled", _(
    "An authenticator is already set up. Turn it off with a current code before setting up another."))


# --- who ---------------------------------------------------------------------------------------------------------
def mfa_allowed_for(user) -> bool:
    return bool(user_roles(user) & set(MFA_ROLES))


def mfa_required_for(user) -> bool:
    return bool(user_roles(user) & set(settings.MFA_REQUIRED_ROLES))


def device_for(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user).first()


# --- secrets -----------------------------------------------------------------------------------------------------
def _fernet() -> MultiFernet:
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([
        Fernet(base64.urlsafe_b64encode(hashlib.sha256(b"notify-console.mfa:" + key.encode()).digest()))
        for key in keys
    ])


def _encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def _decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise MfaError("mfa.secret_unreadable",
                       _("The authenticator cannot be read; ask an administrator to reset it."))


def new_secret() -> str:
    return pyotp.random_base32()  # 160 bits, as RFC 4226 recommends


def provisioning_uri(user, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.get_username(), issuer_name=settings.MFA_ISSUER)


def qr_svg(uri: str) -> str:
    """The otpauth:// URI as an inline SVG (no inline styles, no data: URL, so the CSP needs no exception)."""
    return segno.make(uri, error="m").svg_inline(scale=4, dark="#000", light="#fff")


def _matching_step(secret: str, code: str) -> int | None:
    code = "".join(code.split())
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    now = totp.timecode(timezone.now())
    for step in (now, now - 1, now + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


# --- recovery codes ----------------------------------------------------------------------------------------------
def _normalise_recovery(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def _hash_recovery(code: str) -> str:
    return hashlib.sha256(_normalise_recovery(code).encode()).hexdigest()


def _new_recovery_codes(device: TOTPDevice) -> list[str]:
    codes = ["".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(16)) for _ in range(RECOVERY_CODE_COUNT)]
    RecoveryCode.objects.filter(device=device).delete()
    RecoveryCode.objects.bulk_create([RecoveryCode(device=device, code_hash=_hash_recovery(c)) for c in codes])
    return ["-".join(c[i:i + 4] for i in range(0, 16, 4)) for c in codes]


def recovery_codes_left(device: TOTPDevice) -> int:
    return device.recovery_codes.filter(used_at__isnull=True).count()


# --- services ----------------------------------------------------------------------------------------------------
def mfa_enrol(*, user, secret: str, code: str, request=None) -> list[str]:
    """Confirm a new authenticator with its first code; returns the recovery codes (shown once)."""
    step = _matching_step(secret, code)
    if step is None:
        _failed(user, request, "enrol")
        raise INVALID
    # Never replace a working authenticator here: whoever holds the session could otherwise swap in
    # their own without knowing a current code. Replacing means disabling first (which needs a code).
    if TOTPDevice.objects.filter(user=user).exists():
        _failed(user, request, "already_enrolled")
        raise ALREADY_ENROLLED
    with transaction.atomic():
        device = TOTPDevice.objects.create(user=user, secret_encrypted=_encrypt(secret), last_used_step=step)
        codes = _new_recovery_codes(device)
    record(action="auth.mfa_enrolled", user=user, request=request, obj=user, outcome="ok")
    return codes


def mfa_verify(*, user, code: str, request=None) -> str:
    """Check a TOTP or recovery code for ``user``; returns ``"totp"`` or ``"recovery"`` or raises MfaError."""
    device = device_for(user)
    if device is None:
        _failed(user, request, "no_device")
        raise INVALID
    step = _matching_step(_decrypt(device.secret_encrypted), code)
    if step is not None:
        if TOTPDevice.objects.filter(pk=device.pk, last_used_step__lt=step).update(last_used_step=step) != 1:
            _failed(user, request, "replay")
            raise REPLAYED
        record(action="auth.mfa_passed", user=user, request=request, obj=user, outcome="ok", details={"method": "totp"})
        return "totp"
    used = RecoveryCode.objects.filter(
        device=device, code_hash=_hash_recovery(code), used_at__isnull=True
    ).update(used_at=timezone.now())
    if used:
        record(action="auth.mfa_passed", user=user, request=request, obj=user, outcome="ok",
               details={"method": "recovery_code", "recovery_codes_left": recovery_codes_left(device)})
        return "recovery"
    _failed(user, request, "invalid")
    raise INVALID


def mfa_disable(*, user, code: str, request=None) -> None:
    """Remove the user's authenticator; a current code (or recovery code) proves it is really them."""
    mfa_verify(user=user, code=code, request=request)
    TOTPDevice.objects.filter(user=user).delete()
    record(action="auth.mfa_disabled", user=user, request=request, obj=user, outcome="ok")


def recovery_codes_regenerate(*, user, code: str, request=None) -> list[str]:
    mfa_verify(user=user, code=code, request=request)
    device = device_for(user)
    with transaction.atomic():
        codes = _new_recovery_codes(device)
    record(action="auth.mfa_recovery_codes_regenerated", user=user, request=request, obj=user, outcome="ok")
    return codes


def _failed(user, request, reason: str) -> None:
    record(action=MFA_FAILED, actor=user.get_username(), request=request, object_type="auth.user",
           object_id=user.get_username().lower()[:64], outcome="refused", details={"reason": reason})
