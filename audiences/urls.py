from django.urls import path

from .views import unsubscribe

app_name = "audiences"
urlpatterns = [
    path("u/<str:token>/", unsubscribe.unsubscribe, name="unsubscribe"),
]
