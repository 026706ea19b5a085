from django.apps import AppConfig
from django.core.exceptions import ImproperlyConfigured


class ChannelsConfig(AppConfig):
    # "channels" is also the name of an unrelated PyPI package; the label keeps ours distinct.
    name = "channels"
    label = "notify_channels"
    verbose_name = "Channels"

    def ready(self) -> None:
        from .checks import startup_errors

        errors = startup_errors()
        if errors:  # a short DKIM key or a missing Twilio setting must stop web, worker and beat alike
            raise ImproperlyConfigured(errors[0])
