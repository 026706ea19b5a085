"""Roles (Django groups created by a migration) and the server-side checks that use them.

Every view says who may use it with ``@role_required(...)``; the decorator records the roles on the
view so that a test can walk the URLconf and prove each role gets 403 wherever it has no business.
Views that must be reachable without a role are listed in ``PUBLIC_VIEWS`` by name.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

OPERATOR, APPROVER, AUDITOR, ADMIN = "operator", "approver", "auditor", "admin"
ROLES = (OPERATOR, APPROVER, AUDITOR, ADMIN)
ANY_ROLE = ROLES

# url names reachable without any role (authentication, health, signed public links).
PUBLIC_VIEWS = {
    "login", "logout", "healthz", "set_language", "home", "unsubscribe",
    # The second sign-in step: only for a session whose password was right (accounts.session).
    "mfa_verify", "mfa_enrol",
    # Provider webhooks (channels): protected by X-Twilio-Signature / the HMAC webhook signature.
    "hook_twilio_status", "hook_twilio_inbound", "hook_email_events",
}


def user_roles(user) -> set[str]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    cached = getattr(user, "_notify_roles", None)
    if cached is None:
        cached = set(user.groups.filter(name__in=ROLES).values_list("name", flat=True))
        if user.is_superuser:
            cached.add(ADMIN)
        user._notify_roles = cached
    return cached


def has_role(user, *roles: str) -> bool:
    return bool(user_roles(user) & set(roles))


def role_required(*roles: str) -> Callable:
    """Let a view run only for users holding one of ``roles``; 403 for the rest, login for anonymous."""
    unknown = set(roles) - set(ROLES)
    if unknown or not roles:
        raise ValueError(f"unknown roles {unknown or '(none)'}")

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_role(request.user, *roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapper.allowed_roles = frozenset(roles)
        return wrapper

    return decorator


# Navigation: (url name, label, roles that see it). The base layout shows only what the user may use.
# Entries whose URL does not exist (yet) are left out, so apps add pages without touching this list.
NAVIGATION = [
    ("home", _("Dashboard"), ANY_ROLE),
    ("audiences:recipients", _("Recipients"), (OPERATOR, ADMIN)),
    ("audiences:imports", _("Imports"), (OPERATOR, ADMIN)),
    ("audiences:segments", _("Segments"), (OPERATOR, ADMIN)),
    ("audiences:suppressions", _("Suppressions"), (OPERATOR, ADMIN)),
    ("audiences:exclusions", _("Exclusion lists"), (OPERATOR, ADMIN)),
    ("campaigns:templates", _("Templates"), (OPERATOR, ADMIN)),
    ("campaigns:list", _("Campaigns"), (OPERATOR, APPROVER, AUDITOR, ADMIN)),
    ("campaigns:queue", _("Approval queue"), (APPROVER, ADMIN)),
    ("channels:outbox", _("Dev outbox"), (OPERATOR, APPROVER, ADMIN)),
    ("audit:events", _("Audit log"), (AUDITOR, ADMIN)),
    ("audit:deliveries", _("Send log"), (AUDITOR, ADMIN)),
    ("audit:integrity", _("Integrity"), (AUDITOR, ADMIN)),
    ("admin:index", _("Users and settings"), (ADMIN,)),
    ("mfa_setup", _("Two-step verification"), (APPROVER, ADMIN)),
    ("password_change", _("Change password"), ANY_ROLE),
]


def navigation(request) -> dict:
    roles = user_roles(getattr(request, "user", None))
    items = []
    for name, label, allowed in NAVIGATION:
        if roles & set(allowed):
            try:
                items.append({"name": name, "url": reverse(name), "label": label})
            except NoReverseMatch:
                continue
    return {"nav_items": items, "user_roles": sorted(roles)}
