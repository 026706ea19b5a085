from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "campaigns"

    def ready(self) -> None:
        # Provider webhooks are verified and parsed by channels; campaigns applies the events.
        from channels.inbound import register_handler

        from .receipts import apply_inbound_event

        register_handler(apply_inbound_event)
