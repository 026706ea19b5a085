from django.urls import path

from . import views

app_name = "audit"
urlpatterns = [
    path("events/", views.events, name="events"),
    path("events/<int:event_id>/", views.event_detail, name="event"),
    path("events/export/", views.export, name="export"),
    path("exports/<int:event_id>/manifest/", views.export_manifest, name="export_manifest"),
    path("integrity/", views.integrity, name="integrity"),
    path("integrity/verify/", views.integrity_verify, name="integrity_verify"),
]
