from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from . import views
from .api import api

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    # Sign-in (password, then the TOTP second factor where enrolled), sign-out: accounts/urls.py.
    path("accounts/", include("accounts.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("audiences/", include("audiences.urls")),
    path("campaigns/", include("campaigns.urls")),
    path("channels/", include("channels.urls")),
    path("audit/", include("audit.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]
