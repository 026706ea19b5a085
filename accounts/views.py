"""Sign-in in two steps, and the page where approvers and admins manage their authenticator.

1. ``LoginView``: user name and password (with lockout). Users with an authenticator, or whose role is in
   ``MFA_REQUIRED_ROLES``, are not logged in yet: the session becomes half-authenticated.
2. ``verify``: a code from the authenticator or a recovery code; then ``login()`` (a new session key).
   ``enrol``: the same second step for someone who must have an authenticator and has none yet.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import login, password_validation
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from audit.services import client_ip, record
from notify_console.auth import LockoutAuthenticationForm, is_locked_out, record_locked
from notify_console.roles import ADMIN, ANY_ROLE, APPROVER, role_required

from . import session as pending
from .mfa import (
    MfaError,
    device_for,
    mfa_allowed_for,
    mfa_disable,
    mfa_enrol,
    mfa_required_for,
    mfa_verify,
    new_secret,
    provisioning_uri,
    qr_svg,
    recovery_codes_left,
    recovery_codes_regenerate,
)


class CodeForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Code"), max_length=40, strip=True)


class LoginView(auth_views.LoginView):
    authentication_form = LockoutAuthenticationForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        user = form.get_user()
        if device_for(user) is None and not mfa_required_for(user):
            return super().form_valid(form)
        pending.start_pending(self.request, user, self.get_redirect_url())
        record(action="auth.mfa_challenged", actor=user.get_username(), request=self.request, obj=user,
               outcome="pending")
        return redirect("mfa_verify" if device_for(user) else "mfa_enrol")


class PasswordChangeView(auth_views.PasswordChangeView):
    """Everyone changes their own password here (the rules of AUTH_PASSWORD_VALIDATORS apply); Django keeps
    this session signed in with a new key and ends the others, whose stored hash no longer matches."""

    template_name = "registration/password_change.html"

    def get_success_url(self):
        return reverse("home")

    def get_context_data(self, **kwargs):
        lengths = [getattr(v, "min_length", 0) for v in password_validation.get_default_password_validators()]
        return {**super().get_context_data(**kwargs), "min_length": max(lengths, default=0)}

    def form_valid(self, form):
        response = super().form_valid(form)
        record(action="auth.password_changed", request=self.request, obj=self.request.user, outcome="ok")
        messages.success(self.request, _("Your password has been changed."))
        return response


password_change = role_required(*ANY_ROLE)(PasswordChangeView.as_view())


def admin_login_redirect(request, extra_context=None):
    """Replaces the admin's own login view: one sign-in door, with lockout and the second factor."""
    if request.user.is_authenticated:
        raise PermissionDenied  # signed in, but not staff: the admin is not for them
    return redirect_to_login(request.GET.get("next") or reverse("admin:index"))


def _finish(request, user, next_url: str = ""):
    """The second factor is passed: log in for real (login() gives the session a new key)."""
    target = next_url or pending.pending_next(request)
    login(request, user, backend=user.backend)
    return target if pending.safe_next(request, target) else reverse("home")


def _locked(request, user):
    record_locked(user.get_username(), request)
    pending.clear_pending(request)
    messages.error(request, _("Too many failed sign-ins. Signing in is paused for a while; try again later."))
    return redirect("login")


@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def verify(request):
    user = pending.pending_user(request)
    if user is None:
        return redirect_to_login(request.GET.get("next") or reverse("home"))
    if device_for(user) is None:
        return redirect("mfa_enrol")
    next_url = request.POST.get("next") or request.GET.get("next", "")
    form = CodeForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        if is_locked_out(user.get_username(), client_ip(request)):
            return _locked(request, user)
        try:
            method = mfa_verify(user=user, code=form.cleaned_data["code"], request=request)
        except MfaError as exc:
            if is_locked_out(user.get_username(), client_ip(request)):
                return _locked(request, user)
            error = exc
        else:
            target = _finish(request, user, next_url)
            if method == "recovery":
                messages.warning(request, _("You used a recovery code. %(left)s codes are left.") % {
                    "left": recovery_codes_left(device_for(user))})
            return HttpResponseRedirect(target)
    return render(request, "registration/mfa_verify.html", {
        "form": form, "error": error, "next": next_url if pending.safe_next(request, next_url) else "",
    }, status=200)


@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def enrol(request):
    """Compulsory enrolment (``MFA_REQUIRED_ROLES``) while half-authenticated; ends logged in."""
    user = pending.pending_user(request)
    if user is None:
        return redirect_to_login(reverse("home"))
    if device_for(user) is not None:
        return redirect("mfa_verify")
    secret = request.session.get(pending.ENROL_SECRET) or new_secret()
    request.session[pending.ENROL_SECRET] = secret
    form = CodeForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        if is_locked_out(user.get_username(), client_ip(request)):
            return _locked(request, user)
        try:
            codes = mfa_enrol(user=user, secret=secret, code=form.cleaned_data["code"], request=request)
        except MfaError as exc:
            error = exc
        else:
            target = _finish(request, user)
            return render(request, "registration/mfa_codes.html", {"codes": codes, "continue_url": target})
    return render(request, "registration/mfa_setup.html", {
        "form": form, "error": error, "enrolling": True, "required": True, "form_action": reverse("mfa_enrol"),
        **_enrolment_context(user, secret),
    })


def _enrolment_context(user, secret: str) -> dict:
    uri = provisioning_uri(user, secret)
    return {"secret": secret, "otpauth_uri": uri, "qr_svg": qr_svg(uri)}


@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
@role_required(APPROVER, ADMIN)
def setup(request):
    """Set up, replace or remove one's own authenticator; new recovery codes."""
    user = request.user
    if not mfa_allowed_for(user):
        raise PermissionDenied
    action = request.POST.get("action", "")
    form = CodeForm(request.POST or None) if action != "start" else CodeForm()
    context = {"form": form, "error": None, "device": device_for(user), "required": mfa_required_for(user),
               "form_action": reverse("mfa_setup")}
    if action in {"start", "confirm"} and context["device"] is not None:
        raise PermissionDenied  # the page offers no way to replace a device; disable it first (needs a code)
    if action == "start":
        secret = new_secret()
        request.session[pending.ENROL_SECRET] = secret
        context.update(enrolling=True, **_enrolment_context(user, secret))
    elif action == "confirm" and request.session.get(pending.ENROL_SECRET):
        secret = request.session[pending.ENROL_SECRET]
        if form.is_valid():
            try:
                codes = mfa_enrol(user=user, secret=secret, code=form.cleaned_data["code"], request=request)
            except MfaError as exc:
                context["error"] = exc
            else:
                request.session.pop(pending.ENROL_SECRET, None)
                request.session.cycle_key()  # the session now stands for a second factor too
                return render(request, "registration/mfa_codes.html",
                              {"codes": codes, "continue_url": reverse("mfa_setup")})
        context.update(enrolling=True, **_enrolment_context(user, secret))
    elif action in {"disable", "regenerate"} and form.is_valid() and context["device"] is not None:
        if action == "disable" and context["required"]:
            raise PermissionDenied
        try:
            if action == "disable":
                mfa_disable(user=user, code=form.cleaned_data["code"], request=request)
                messages.success(request, _("Two-step verification is off."))
                return redirect("mfa_setup")
            codes = recovery_codes_regenerate(user=user, code=form.cleaned_data["code"], request=request)
            return render(request, "registration/mfa_codes.html",
                          {"codes": codes, "continue_url": reverse("mfa_setup")})
        except MfaError as exc:
            context["error"] = exc
    if context["device"] is not None:
        context["codes_left"] = recovery_codes_left(context["device"])
    return render(request, "registration/mfa_setup.html", context)
