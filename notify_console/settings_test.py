"""Settings for the test suite: the real settings with test-friendly defaults.

Everything still comes from the environment, so the same suite runs against SQLite (default) and
against PostgreSQL + Redis when ``DATABASE_URL`` / ``REDIS_URL`` are set.
"""

import os
import tempfile

os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "test-only-" + "k" * 20 + "-not-a-secret-" + "abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("NOTIFY_VAR_DIR", os.path.join(tempfile.gettempdir(), f"notify-console-test-{os.getuid()}"))
os.environ.setdefault("SECURE_TLS", "0")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
# Playwright's sync API runs an event loop in the test thread; the ORM is still used synchronously.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from .settings import *  # noqa: E402,F403
from .settings import DATABASES  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["TEST"] = {"NAME": os.path.join(os.environ["NOTIFY_VAR_DIR"], "test.sqlite3")}
