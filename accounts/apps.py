from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and second factor"

    def ready(self) -> None:
        from django.contrib import admin

        from . import signals  # noqa: F401  (session start time on every login)
        from .views import admin_login_redirect

        # The admin has its own password-only login form; sending it to ours keeps one door with lockout and
        # the second factor in front of it.
        admin.site.login = admin_login_redirect
