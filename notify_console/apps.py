from django.apps import AppConfig


class NotifyConsoleConfig(AppConfig):
    name = "notify_console"
    verbose_name = "Notify Console"

    def ready(self) -> None:
        from . import checks, signals  # noqa: F401  (registers system checks and audit signals)
