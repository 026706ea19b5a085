from __future__ import annotations

import getpass
import os

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from notify_console.models import ApiToken
from notify_console.roles import ADMIN, ROLES


class Command(BaseCommand):
    help = (
        "Create a user (or update an existing one) with a role. The password comes from NOTIFY_PASSWORD "
        "or a prompt. With --token a new API token is printed on the last line."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=ROLES, action="append",
                            help="operator, approver, auditor or admin; repeat for several")
        parser.add_argument("--email", default="")
        parser.add_argument("--token", action="store_true", help="print a new API token on the last line")

    def handle(self, *args, username: str, role: list[str], email: str, token: bool, **options):
        password = os.environ.get("NOTIFY_PASSWORD")
        if password is None:
            if not os.isatty(0):
                raise CommandError("Set NOTIFY_PASSWORD or run in a terminal to be asked for the password.")
            password = getpass.getpass(f"Password for {username}: ")
            if password != getpass.getpass("Again: "):
                raise CommandError("The passwords do not match.")
        User = get_user_model()
        with transaction.atomic():
            user = User.objects.filter(username=username).first() or User(username=username)
            try:
                password_validation.validate_password(password, user)
            except ValidationError as exc:
                raise CommandError("NOTIFY_PASSWORD: " + " ".join(exc.messages))
            user.email = email or user.email
            user.set_password(password)
            user.is_staff = user.is_superuser = ADMIN in role
            created = user.pk is None
            user.save()
            user.groups.set(Group.objects.filter(name__in=role))
            self.stdout.write(f"{'created' if created else 'updated'} {username} with roles {', '.join(role)}")
            if token:
                _, secret = ApiToken.issue(user)
                self.stdout.write(secret)
