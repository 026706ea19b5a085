"""django-ninja's templates and static files, installed as an app without importing ninja.

Swagger UI at ``/api/v1/docs`` is served from ninja's own template and static files, never from a
CDN (the CSP refuses it, and a closed network cannot reach one). Listing ``"ninja"`` itself in
INSTALLED_APPS made every process import the whole package while the apps load (ninja's views,
pydantic, django.test: ~12 MB and 0.3-0.5 s), including every ``manage.py`` command, such as
``import_recipients``, that never serves the API. This app points Django's template and static-file
finders at ninja's folder by path; ``notify_console.api.LocalSwagger`` renders the page from it.
"""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

from django.apps import AppConfig


class NinjaAssetsConfig(AppConfig):
    name = "notify_console.ninja_assets"
    label = "ninja_assets"
    verbose_name = "django-ninja templates and static files"
    path = str(Path(find_spec("ninja").origin).parent)  # finds the package without running it
