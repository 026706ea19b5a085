"""Settings for the django-post-office side of ``bench/send_bench.py`` (never used by the product).

Notify Console's settings plus the ``post_office`` app, with Django's SMTP backend pointed at the same
``smtp-sink`` the pipeline sends to. post-office's own defaults otherwise, except a batch of 10,000
emails per ``send_queued`` round (its default of 100 would make the run a loop of tiny rounds).
"""

from notify_console.settings import *  # noqa: F403
from notify_console.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "post_office"]
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST, EMAIL_PORT = "127.0.0.1", 2525
POST_OFFICE = {"BATCH_SIZE": 10_000, "THREADS_PER_PROCESS": 5}
