from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    # "channels" is also the name of an unrelated PyPI package; the label keeps ours distinct.
    name = "channels"
    label = "notify_channels"
    verbose_name = "Channels"
