"""Lazy access to the campaigns models (no import of ``campaigns`` at module level, or at all)."""

from __future__ import annotations

from django.apps import apps
from django.http import Http404


def campaigns_model(name: str):
    """``campaigns.<name>`` from the app registry; Http404 where the campaigns app is not installed."""
    try:
        return apps.get_model("campaigns", name)
    except LookupError:
        raise Http404("The send log needs the campaigns app.")


def delivery_model():
    return campaigns_model("Delivery")
