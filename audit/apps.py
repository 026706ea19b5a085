from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers audit.W001–W003: the application's database role)
