from django.urls import path

from .views import hooks, outbox

app_name = "channels"
urlpatterns = [
    path("outbox/", outbox.outbox, name="outbox"),
    path("outbox/<str:name>/", outbox.outbox_message, name="outbox_message"),
    # Provider webhooks: public, protected by signatures (see PUBLIC_VIEWS in notify_console/roles.py).
    path("hooks/twilio/status", hooks.twilio_status, name="hook_twilio_status"),
    path("hooks/twilio/inbound", hooks.twilio_inbound, name="hook_twilio_inbound"),
    path("hooks/email/events", hooks.email_events, name="hook_email_events"),
]
