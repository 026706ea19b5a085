from django.urls import path

from . import views

app_name = "audit"
urlpatterns = [
    path("events/", views.events, name="events"),
    path("events/<int:event_id>/", views.event_detail, name="event"),
    path("events/export/", views.export, name="export"),
    path("exports/<int:event_id>/manifest/", views.export_manifest, name="export_manifest"),
    path("deliveries/", views.deliveries, name="deliveries"),
    path("deliveries/<int:delivery_id>/", views.delivery_detail, name="delivery"),
    path("deliveries/export/", views.export, {"kind": "deliveries"}, name="deliveries_export"),
    path("campaigns/<int:campaign_id>/", views.campaign, name="campaign"),
    path("integrity/", views.integrity, name="integrity"),
    path("integrity/verify/", views.integrity_verify, name="integrity_verify"),
]
