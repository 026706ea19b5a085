"""Sign-in, sign-out and the second factor. No namespace: ``login``/``logout`` are Django's well-known names."""

from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("two-step/", views.verify, name="mfa_verify"),
    path("two-step/enrol/", views.enrol, name="mfa_enrol"),
    path("two-step/settings/", views.setup, name="mfa_setup"),
    path("password/", views.password_change, name="password_change"),
]
