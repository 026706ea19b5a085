from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

from notify_console.roles import ADMIN

USERNAME = "admin"


class Command(BaseCommand):
    help = "Embedded mode: make sure a demo admin exists and print its credentials (idempotent)."

    def handle(self, *args, **options):
        path = settings.VAR_DIR / "demo_admin_password"
        User = get_user_model()
        user = User.objects.filter(username=USERNAME).first()
        password = path.read_text(encoding="utf-8").strip() if path.exists() else ""
        if user is None or not password or not user.check_password(password):
            password = password or secrets.token_urlsafe(12)
            path.write_text(password, encoding="utf-8")
            path.chmod(0o600)
            user = user or User(username=USERNAME)
            user.is_staff = user.is_superuser = user.is_active = True
            user.set_password(password)
            user.save()
            user.groups.add(Group.objects.get(name=ADMIN))
        self.stdout.write(f"Demo admin → user: {USERNAME}  password: {password}")
