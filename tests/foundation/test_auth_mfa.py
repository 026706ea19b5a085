"""The TOTP second factor: half-authenticated sessions, codes, replay, recovery codes, throttling, enrolment."""

from __future__ import annotations

import pyotp
import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts import mfa
from accounts.models import RecoveryCode, TOTPDevice
from accounts.session import PENDING_USER
from audit.models import AuditEvent
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def enrol(user) -> tuple[str, list[str]]:
    """Give ``user`` an authenticator as the setup page would; returns (secret, recovery codes)."""
    secret = pyotp.random_base32()
    with time_machine.travel(timezone.now() - timezone.timedelta(seconds=90), tick=False):
        codes = mfa.mfa_enrol(user=user, secret=secret, code=pyotp.TOTP(secret).now())
    return secret, codes


def password_step(client, username, next_url=""):
    data = {"username": username, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("login"), data)


@pytest.fixture
def approver(make_user):
    return make_user("approver", username="appr-mfa")


def test_password_alone_leaves_an_enrolled_user_half_authenticated(client, approver):
    enrol(approver)
    response = password_step(client, "appr-mfa")
    assert response.status_code == 302 and response["Location"] == reverse("mfa_verify")
    assert "_auth_user_id" not in client.session
    assert client.session[PENDING_USER] == approver.pk
    assert AuditEvent.objects.filter(action="auth.mfa_challenged", actor="appr-mfa").exists()
    assert not AuditEvent.objects.filter(action="auth.login").exists()


def test_every_page_sends_a_half_authenticated_session_to_the_second_step(client, approver):
    enrol(approver)
    password_step(client, "appr-mfa")
    for url in ("/", "/campaigns/queue/", "/campaigns/1/review/", "/audit/", "/admin/", "/nowhere/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("mfa_verify")), url
    assert client.get(reverse("mfa_verify")).status_code == 200


def test_api_ignores_the_session_and_wants_its_token(client, approver):
    enrol(approver)
    password_step(client, "appr-mfa")
    assert client.get("/api/v1/me").status_code == 401


def test_the_right_code_logs_in_with_a_new_session_key_and_returns_to_the_page(client, approver):
    secret, _codes = enrol(approver)
    password_step(client, "appr-mfa", next_url="/campaigns/queue/")
    key_after_password = client.session.session_key
    response = client.post(reverse("mfa_verify"), {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302 and response["Location"] == "/campaigns/queue/"
    assert int(client.session["_auth_user_id"]) == approver.pk
    assert PENDING_USER not in client.session
    assert client.session.session_key != key_after_password
    assert AuditEvent.objects.filter(action="auth.mfa_passed", actor="appr-mfa").exists()
    assert AuditEvent.objects.filter(action="auth.login", actor="appr-mfa").exists()


def test_password_step_rotates_the_session_key(client, approver):
    enrol(approver)
    client.get(reverse("login"))
    client.session.save()
    before = client.session.session_key
    password_step(client, "appr-mfa")
    assert client.session.session_key != before


def test_a_wrong_code_is_refused_and_recorded(client, approver):
    enrol(approver)
    password_step(client, "appr-mfa")
    response = client.post(reverse("mfa_verify"), {"code": "000000"})
    assert response.status_code == 200
    assert 'data-code="mfa.invalid_code"' in response.text
    assert "_auth_user_id" not in client.session
    event = AuditEvent.objects.get(action="auth.mfa_failed")
    assert (event.object_id, event.outcome) == ("appr-mfa", "refused")


def test_a_code_cannot_be_used_twice(client, approver):
    secret, _ = enrol(approver)
    code = pyotp.TOTP(secret).now()
    assert mfa.mfa_verify(user=approver, code=code) == "totp"
    with pytest.raises(mfa.MfaError) as refused:
        mfa.mfa_verify(user=approver, code=code)
    assert refused.value.code == "mfa.code_reused"


def test_an_older_code_after_a_newer_one_is_a_replay(approver):
    secret, _ = enrol(approver)
    totp = pyotp.TOTP(secret)
    now = timezone.now()
    assert mfa.mfa_verify(user=approver, code=totp.at(now)) == "totp"
    with pytest.raises(mfa.MfaError):
        mfa.mfa_verify(user=approver, code=totp.at(now - timezone.timedelta(seconds=30)))


def test_codes_from_far_outside_the_window_are_refused(approver):
    secret, _ = enrol(approver)
    with pytest.raises(mfa.MfaError):
        mfa.mfa_verify(user=approver, code=pyotp.TOTP(secret).at(timezone.now() + timezone.timedelta(minutes=3)))


def test_recovery_codes_are_hashed_and_single_use(client, approver):
    _secret, codes = enrol(approver)
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = set(RecoveryCode.objects.values_list("code_hash", flat=True))
    assert not any(code.replace("-", "") in h or code in h for code in codes for h in stored)
    assert mfa.mfa_verify(user=approver, code=codes[0].lower()) == "recovery"
    with pytest.raises(mfa.MfaError):
        mfa.mfa_verify(user=approver, code=codes[0])
    assert mfa.recovery_codes_left(approver.totp_device) == 9


def test_the_secret_is_encrypted_at_rest(approver):
    secret, _ = enrol(approver)
    assert secret not in TOTPDevice.objects.get(user=approver).secret_encrypted


def test_wrong_codes_lock_the_account_like_wrong_passwords(client, approver, settings):
    settings.LOGIN_MAX_FAILURES = 3
    secret, _ = enrol(approver)
    password_step(client, "appr-mfa")
    client.post(reverse("mfa_verify"), {"code": "000000"})
    client.post(reverse("mfa_verify"), {"code": "111111"})
    response = client.post(reverse("mfa_verify"), {"code": "222222"})
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert PENDING_USER not in client.session  # back to the password step…
    page = password_step(client, "appr-mfa")  # …which is locked now, even with the right password
    assert page.status_code == 200 and "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="auth.login_locked", object_id="appr-mfa").exists()


def test_the_half_authenticated_state_expires(client, approver, settings):
    secret, _ = enrol(approver)
    password_step(client, "appr-mfa")
    with time_machine.travel(timezone.now() + timezone.timedelta(minutes=settings.MFA_PENDING_MINUTES + 1)):
        response = client.post(reverse("mfa_verify"), {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert "_auth_user_id" not in client.session


def test_users_without_an_authenticator_sign_in_with_the_password(client, approver):
    response = password_step(client, "appr-mfa")
    assert response.status_code == 302 and int(client.session["_auth_user_id"]) == approver.pk


def test_required_roles_must_enrol_before_getting_in(client, approver, settings):
    settings.MFA_REQUIRED_ROLES = ["approver"]
    response = password_step(client, "appr-mfa")
    assert response["Location"] == reverse("mfa_enrol")
    assert client.get("/campaigns/queue/")["Location"].startswith(reverse("mfa_verify"))
    assert client.get(reverse("mfa_verify"))["Location"] == reverse("mfa_enrol")
    page = client.get(reverse("mfa_enrol"))
    assert page.status_code == 200 and "<svg" in page.text
    secret = client.session["_mfa_enrol_secret"]
    assert secret in page.text
    done = client.post(reverse("mfa_enrol"), {"action": "confirm", "code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200 and done.text.count("<li><code>") == 10
    assert int(client.session["_auth_user_id"]) == approver.pk
    assert AuditEvent.objects.filter(action="auth.mfa_enrolled", actor="appr-mfa").exists()


def test_setup_page_enrols_regenerates_and_disables(client, approver):
    client.force_login(approver)
    assert 'data-enrolled="0"' in client.get(reverse("mfa_setup")).text
    client.post(reverse("mfa_setup"), {"action": "start"})
    secret = client.session["_mfa_enrol_secret"]
    key = client.session.session_key
    totp = pyotp.TOTP(secret)
    page = client.post(reverse("mfa_setup"), {"action": "confirm", "code": totp.now()})
    assert page.text.count("<li><code>") == 10
    assert client.session.session_key != key
    assert 'data-enrolled="1"' in client.get(reverse("mfa_setup")).text
    later = timezone.now() + timezone.timedelta(seconds=60)
    with time_machine.travel(later, tick=False):
        page = client.post(reverse("mfa_setup"), {"action": "regenerate", "code": totp.at(later)})
    assert page.text.count("<li><code>") == 10
    later = later + timezone.timedelta(seconds=60)
    with time_machine.travel(later, tick=False):
        client.post(reverse("mfa_setup"), {"action": "disable", "code": totp.at(later)})
    assert not TOTPDevice.objects.filter(user=approver).exists()
    actions = set(AuditEvent.objects.filter(actor="appr-mfa").values_list("action", flat=True))
    assert {"auth.mfa_enrolled", "auth.mfa_recovery_codes_regenerated", "auth.mfa_disabled"} <= actions


def test_a_required_authenticator_cannot_be_turned_off(client, approver, settings):
    settings.MFA_REQUIRED_ROLES = ["approver"]
    secret, _ = enrol(approver)
    client.force_login(approver)
    response = client.post(reverse("mfa_setup"), {"action": "disable", "code": pyotp.TOTP(secret).now()})
    assert response.status_code == 403
    assert TOTPDevice.objects.filter(user=approver).exists()


def test_operators_and_auditors_have_no_setup_page(client, make_user):
    for role in ("operator", "auditor"):
        client.force_login(make_user(role))
        assert client.get(reverse("mfa_setup")).status_code == 403


def test_the_admin_login_form_is_not_a_way_around_the_second_factor(client, make_user):
    admin = make_user("admin", username="root-mfa")
    enrol(admin)
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    response = client.post("/admin/login/", {"username": "root-mfa", "password": PASSWORD})
    assert "_auth_user_id" not in client.session


def test_unknown_mfa_required_role_stops_start_up(tmp_path):
    from tests.foundation.test_settings import _manage

    result = _manage("check", env={"DEBUG": "1", "MFA_REQUIRED_ROLES": "approver,operator"}, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "MFA_REQUIRED_ROLES" in result.stderr


def test_a_signed_in_session_cannot_swap_the_authenticator_without_a_code(client, approver):
    """Holding the session is not enough to replace the second factor: start/confirm are refused, and the
    service itself refuses to overwrite a device, so the old secret keeps working."""
    secret, _ = enrol(approver)
    client.force_login(approver)
    assert client.post(reverse("mfa_setup"), {"action": "start"}).status_code == 403
    session = client.session
    session["_mfa_enrol_secret"] = intruder = pyotp.random_base32()
    session.save()
    response = client.post(reverse("mfa_setup"), {"action": "confirm", "code": pyotp.TOTP(intruder).now()})
    assert response.status_code == 403
    with pytest.raises(mfa.MfaError) as refused:
        mfa.mfa_enrol(user=approver, secret=intruder, code=pyotp.TOTP(intruder).now())
    assert refused.value.code == "mfa.already_enrolled"
    device = TOTPDevice.objects.get(user=approver)
    assert mfa._decrypt(device.secret_encrypted) == secret
    assert AuditEvent.objects.filter(action=mfa.MFA_FAILED, details__reason="already_enrolled").exists()
