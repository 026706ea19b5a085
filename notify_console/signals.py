"""Authentication and account changes become audit events.

Accounts are also edited through Django's admin, which has no service layer to call, so signals are the
one place that sees every change to users and their roles.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from audit.services import record

from .auth import LOGIN_FAILED
from .middleware import current_request

User = get_user_model()


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    record(action="auth.login", user=user, request=request, obj=user, outcome="ok")


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        record(action="auth.logout", user=user, request=request, obj=user, outcome="ok")


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    username = (credentials.get("username") or "")[:64].lower()
    record(
        action=LOGIN_FAILED,
        actor="anonymous",
        request=request,
        object_type="auth.user",
        object_id=username,
        outcome="refused",
    )


def _changed_by():
    request = current_request()
    return request, (None if request is None else getattr(request, "user", None))


@receiver(post_save, sender=User)
def _user_saved(sender, instance, created, update_fields=None, **kwargs):
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return  # a login, already recorded as auth.login
    request, by = _changed_by()
    record(
        action="user.created" if created else "user.changed",
        actor=None if by is not None and by.is_authenticated else "system:cli",
        user=by,
        request=request,
        obj=instance,
        details={
            "username": instance.get_username(),
            "is_active": instance.is_active,
            "is_superuser": instance.is_superuser,
            "fields": sorted(update_fields) if update_fields else None,
        },
    )


@receiver(post_delete, sender=User)
def _user_deleted(sender, instance, **kwargs):
    request, by = _changed_by()
    record(
        action="user.deleted",
        actor=None if by is not None and by.is_authenticated else "system:cli",
        user=by,
        request=request,
        obj=instance,
        details={"username": instance.get_username()},
    )


@receiver(m2m_changed, sender=User.groups.through)
def _roles_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action not in {"post_add", "post_remove", "post_clear"}:
        return
    request, by = _changed_by()
    if reverse:  # group.user_set.add(...): instance is the group
        users = list(User.objects.filter(pk__in=pk_set or []))
        groups = [instance.name]
    else:
        users = [instance]
        groups = list(Group.objects.filter(pk__in=pk_set or []).values_list("name", flat=True))
    for user in users:
        record(
            action="user.roles_changed",
            actor=None if by is not None and by.is_authenticated else "system:cli",
            user=by,
            request=request,
            obj=user,
            details={
                "username": user.get_username(),
                "change": action.removeprefix("post_"),
                "groups": sorted(groups),
                "roles_now": sorted(user.groups.values_list("name", flat=True)),
            },
        )
