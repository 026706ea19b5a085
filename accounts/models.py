"""A user's TOTP authenticator and their single-use recovery codes.

The shared secret is stored encrypted (Fernet, key derived from ``SECRET_KEY`` and its fallbacks), so a
database dump alone does not let anyone compute codes. Recovery codes are stored only as SHA-256 hashes:
each has 80 random bits, which makes a slow password hash unnecessary.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class TOTPDevice(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="totp_device")
    secret_encrypted = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    # The highest 30-second time step already accepted: a code from that step or an earlier one is a replay.
    last_used_step = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "TOTP authenticator"

    def __str__(self) -> str:
        return f"TOTP for {self.user}"


class RecoveryCode(models.Model):
    device = models.ForeignKey(TOTPDevice, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["device", "code_hash"])]

    def __str__(self) -> str:
        return f"recovery code {self.pk} ({'used' if self.used_at else 'unused'})"
