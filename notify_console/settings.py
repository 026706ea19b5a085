"""Settings, every one from the environment (django-environ).

The defaults are the *embedded* mode: a SQLite file and a file-system Celery broker under ``var/``,
the dev outbox instead of real providers. Production sets ``DATABASE_URL``, ``REDIS_URL``,
``SECRET_KEY`` and ``DEBUG=0``. A value that cannot be parsed stops start-up with a message that
names the variable (see ``notify_console.env``).
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from .env import (
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_str,
    load_database,
    load_email_url,
    load_secret_key,
    load_time_zone,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("NOTIFY_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = load_secret_key(debug=DEBUG, var_dir=VAR_DIR)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
PORT = env_int("PORT", 8000, minimum=1, maximum=65535)
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", f"http://127.0.0.1:{PORT}")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "notify_console",
    "audit",
    "audiences",
    "campaigns",
    "channels",
    "accounts",
    # django-ninja's template and static files, by path, without importing ninja at start-up: /api/v1/docs
    # then loads Swagger UI from here, not from a CDN the CSP refuses (see notify_console/ninja_assets.py).
    "notify_console.ninja_assets.NinjaAssetsConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before anything reads the body (CSRF parses whole uploads): size by declared length, bad multipart.
    "notify_console.request_limits.RequestLimitsMiddleware",
    # No redirect of ours leaves the site, whatever built its Location; unsafe ?next= values are logged.
    "notify_console.redirects.OffsiteRedirectMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A half-authenticated session (second factor owed) reaches only the second-factor pages.
    "accounts.middleware.SecondFactorMiddleware",
    "accounts.middleware.SessionAgeMiddleware",
    "notify_console.middleware.CurrentRequestMiddleware",
    # After authentication: records every state-changing request by a person (the 操作ログ).
    "audit.oplog.OperationLogMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "notify_console.middleware.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "notify_console.urls"
WSGI_APPLICATION = "notify_console.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "notify_console.roles.navigation",
            ],
        },
    },
]

DATABASES = {"default": load_database(VAR_DIR)}
# Production runs two PostgreSQL roles (README, "Database roles"): DATABASE_URL is the application's, with
# only SELECT and INSERT on the audit tables; DATABASE_OWNER_URL owns the tables, and migrate and
# setup_db_roles connect as it (the "owner" alias). Unset: one role, as on SQLite and in CI.
# (Not kept as a setting of its own: the URL holds the owner's password.)
if _owner_url := env_str("DATABASE_OWNER_URL", ""):
    from audit.db_roles import owner_database

    DATABASES["owner"] = owner_database(DATABASES["default"], _owner_url)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Celery -------------------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    # Longer than the longest countdown plus run time of any task, so an unacked task is not
    # redelivered while it is still running (acks_late); notify.E010 checks it at start-up.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT_S", 7200, minimum=60)}
else:
    # Embedded mode: a broker that needs no server (kombu's file-system transport).
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    (VAR_DIR / "celery-results").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        # Exchange tables; kombu's default is a "control" folder in the current directory.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = f"file://{VAR_DIR / 'celery-results'}"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Poison-message guard: a delivery whose worker died this many times while sending it is parked
# (failed, send.poison) instead of being handed out again (campaigns.dispatch.reconcile).
SEND_POISON_DEATHS = env_int("SEND_POISON_DEATHS", 3, minimum=1, maximum=100)
CELERY_TASK_TIME_LIMIT = 600
CELERY_TASK_SOFT_TIME_LIMIT = 540
CELERY_RESULT_EXPIRES = 3600
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    "audit-seal": {"task": "audit.tasks.seal_audit", "schedule": env_int("AUDIT_SEAL_EVERY_S", 60, minimum=5)},
    # Re-sends imports whose worker was lost mid-run (their transaction never committed).
    "audiences-requeue-stale-imports": {"task": "audiences.requeue_stale_imports", "schedule": 600},
    # Recomputes the whole seal chain (about a minute per ten million events); the integrity page shows it.
    "audit-verify": {
        "task": "audit.tasks.verify_audit", "schedule": env_int("AUDIT_VERIFY_EVERY_S", 86400, minimum=60),
    },
    # Starts due campaigns, materialises released pilots, re-fans out stalled work, finishes campaigns.
    # A tick that waited in the queue longer than its period is dropped (expires): the next one does its work.
    # Forgets old replay-defence keys of provider callbacks (channels.inbound.replay).
    "channels-prune-seen-callbacks": {"task": "channels.prune_seen_callbacks", "schedule": 86400},
    "dispatch-tick": {"task": "campaigns.tasks.dispatch_tick", "schedule": env_int("DISPATCH_TICK_S", 2, minimum=1),
                      "options": {"expires": env_int("DISPATCH_TICK_S", 2, minimum=1) * 5}},
    # Rows left in "sending" past their lease (a worker died) go back to pending under the same delivery id.
    "dispatch-reconcile": {"task": "campaigns.tasks.reconcile_deliveries",
                           "schedule": env_int("SEND_RECONCILE_EVERY_S", 10, minimum=1),
                           "options": {"expires": env_int("SEND_RECONCILE_EVERY_S", 10, minimum=1) * 3}},
}
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)

# --- Auth and sessions --------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": env_int("PASSWORD_MIN_LENGTH", 12, minimum=8)}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
LOGIN_MAX_FAILURES = env_int("LOGIN_MAX_FAILURES", 5, minimum=1)
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1)
# Idle expiry: the cookie's age is renewed on every request, so a session dies after this much idleness.
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_MINUTES", 30, minimum=1) * 60
SESSION_SAVE_EVERY_REQUEST = True
# Absolute limit from sign-in, however busy the session (accounts.middleware.SessionAgeMiddleware).
SESSION_MAX_AGE_MINUTES = env_int("SESSION_MAX_AGE_MINUTES", 12 * 60, minimum=5)
# TOTP second factor (accounts/): roles that must enrol (empty = optional for approvers and admins),
# the name shown in authenticator apps, and how long the step between password and code may take.
MFA_REQUIRED_ROLES = env_list("MFA_REQUIRED_ROLES", [])
if set(MFA_REQUIRED_ROLES) - {"approver", "admin"}:
    raise ImproperlyConfigured(f"MFA_REQUIRED_ROLES={','.join(MFA_REQUIRED_ROLES)!r} is not valid: "
                               "expected a comma-separated list of approver, admin (or nothing).")
MFA_ISSUER = env_str("MFA_ISSUER", "Notify Console")
MFA_PENDING_MINUTES = env_int("MFA_PENDING_MINUTES", 5, minimum=1, maximum=60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

SECURE_TLS = env_bool("SECURE_TLS", not DEBUG)
SESSION_COOKIE_SECURE = SECURE_TLS
CSRF_COOKIE_SECURE = SECURE_TLS
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", SECURE_TLS)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if SECURE_TLS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (notify_console.middleware): scripts only from our static files (plus a per-response
# nonce for the few inline blocks that still carry server-rendered labels), no inline styles, no framing.
CSP_REPORT_ONLY = env_bool("CSP_REPORT_ONLY", False)
CSP_REPORT_URI = env_str("CSP_REPORT_URI", "")
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# --- i18n and time ------------------------------------------------------------------------------
LANGUAGE_CODE = env_choice("LANGUAGE_CODE", "ja", ["ja", "en"])
LANGUAGES = [("ja", "日本語"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = load_time_zone()
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "media"

# --- Channels -----------------------------------------------------------------------------------
EMAIL_URL = env_str("EMAIL_URL", "")
EMAIL_SETTINGS = load_email_url(EMAIL_URL)
# Japanese carriers cap a long SMS at 660 characters; preflight warns above this.
SMS_MAX_CHARS = env_int("SMS_MAX_CHARS", 660, minimum=1, maximum=1600)
DEFAULT_FROM_EMAIL = env_str("EMAIL_FROM", "Notify Console <notify@localhost>")
# VERP base for the envelope sender: bounces@mail.example.jp → bounces+<delivery id>@mail.example.jp.
EMAIL_BOUNCE_ADDRESS = env_str("EMAIL_BOUNCE_ADDRESS", "")
# DKIM signing: all three or none; RSA keys under 2048 bits stop start-up.
DKIM_DOMAIN = env_str("DKIM_DOMAIN", "")
DKIM_SELECTOR = env_str("DKIM_SELECTOR", "")
DKIM_PRIVATE_KEY_FILE = env_str("DKIM_PRIVATE_KEY_FILE", "")
# outbox (dev default), memory (tests) or twilio; a new provider adds a line to channels/adapters/__init__.py.
SMS_BACKEND = env_str("SMS_BACKEND", "outbox")
TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN", "")
TWILIO_FROM = env_str("TWILIO_FROM", "")
TWILIO_API_BASE = env_str("TWILIO_API_BASE", "https://api.twilio.com").rstrip("/")
TWILIO_TIMEOUT_S = env_int("TWILIO_TIMEOUT_S", 10, minimum=1, maximum=120)
# Shared send throttle per channel (messages/second over all workers; 0 = unlimited).
EMAIL_RATE_PER_S = env_int("EMAIL_RATE_PER_S", 0, minimum=0)
SMS_RATE_PER_S = env_int("SMS_RATE_PER_S", 0, minimum=0)
# Signed email-event webhook (bounces, complaints): HMAC-SHA256 key, accepted clock skew, body limit.
WEBHOOK_SECRET = env_str("WEBHOOK_SECRET", "")
WEBHOOK_MAX_AGE_S = env_int("WEBHOOK_MAX_AGE_S", 300, minimum=1)
WEBHOOK_MAX_BYTES = env_int("WEBHOOK_MAX_BYTES", 256 * 1024, minimum=1024)
# Keys of applied status callbacks and email events are kept this long to refuse replays (inbound SMS: for good).
WEBHOOK_REPLAY_DAYS = env_int("WEBHOOK_REPLAY_DAYS", 90, minimum=1)

# --- Audiences ----------------------------------------------------------------------------------
# Region for phone numbers written without a country code (E.164 through phonenumbers).
PHONE_DEFAULT_REGION = env_str("PHONE_DEFAULT_REGION", "JP").upper()
# Uploads larger than this are refused before any work (bytes; 1 GiB by default).
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 1024 * 1024 * 1024, minimum=1)
# Every other request body (suppression CSVs, forms, API JSON); the import and the webhooks have their own.
REQUEST_MAX_BYTES = env_int("REQUEST_MAX_BYTES", 64 * 1024 * 1024, minimum=64 * 1024)
# A line longer than this (bytes) refuses the upload: no CSV export has one; a binary file does.
IMPORT_MAX_LINE_BYTES = env_int("IMPORT_MAX_LINE_BYTES", 1024 * 1024, minimum=1024)
# PostgreSQL: an import of at least this many records, into a table holding no more rows than that,
# drops the recipients' secondary indexes and builds them at the end (0: never); it holds an exclusive
# lock on recipients until it commits, and waits at most IMPORT_BULK_LOCK_TIMEOUT_MS for it.
IMPORT_BULK_MIN_ROWS = env_int("IMPORT_BULK_MIN_ROWS", 100_000, minimum=0)
IMPORT_BULK_LOCK_TIMEOUT_MS = env_int("IMPORT_BULK_LOCK_TIMEOUT_MS", 5000, minimum=1)
# Where uploaded CSV files wait for their import task.
IMPORT_DIR = VAR_DIR / "imports"

# --- Campaigns ----------------------------------------------------------------------------------
# Approvals a campaign needs from people other than its authors (2 = dual control / 二重承認).
APPROVALS_REQUIRED = env_int("APPROVALS_REQUIRED", 1, minimum=1, maximum=5)
# Links in messages must point here (subdomains included); PUBLIC_BASE_URL's host is always allowed.
ALLOWED_LINK_DOMAINS = env_list("ALLOWED_LINK_DOMAINS", [])
# Some banks send SMS without any link so that a link "from the bank" is itself a sign of phishing.
SMS_LINKS_FORBIDDEN = env_bool("SMS_LINKS_FORBIDDEN", False)
SMS_COST_PER_SEGMENT_YEN = env_int("SMS_COST_PER_SEGMENT_YEN", 8, minimum=0)
# The highest throttle (messages/second) a campaign may ask for, per channel.
CAMPAIGN_MAX_EMAIL_PER_S = env_int("CAMPAIGN_MAX_EMAIL_PER_S", 1000, minimum=1)
CAMPAIGN_MAX_SMS_PER_S = env_int("CAMPAIGN_MAX_SMS_PER_S", 100, minimum=1)
# A message template that renders more than this (or takes longer) fails instead of hanging a worker.
RENDER_MAX_OUTPUT_CHARS = env_int("RENDER_MAX_OUTPUT_CHARS", 200_000, minimum=1000)
RENDER_TIMEOUT_MS = env_int("RENDER_TIMEOUT_MS", 1000, minimum=10)
# A template part longer than this is refused when it is saved (and never compiled): a source bomb.
TEMPLATE_MAX_SOURCE_CHARS = env_int("TEMPLATE_MAX_SOURCE_CHARS", 200_000, minimum=1000)

# --- Delivery (campaigns.dispatch) --------------------------------------------------------------
# Rows per send_batch task, and per adapter call inside it (state, window and suppression are checked
# again before every chunk, so pause/cancel and 21:00 take effect within one chunk).
SEND_BATCH_SIZE = env_int("SEND_BATCH_SIZE", 200, minimum=1, maximum=10_000)
SEND_CHUNK_SIZE = env_int("SEND_CHUNK_SIZE", 50, minimum=1, maximum=10_000)
# A claimed row left in "sending" longer than this is reconciled (its worker died). Must exceed the
# longest chunk: SEND_CHUNK_SIZE × the provider timeout in the worst case. Batches stop claiming new
# chunks after half of it.
SEND_LEASE_S = env_int("SEND_LEASE_S", 300, minimum=2)
# Transient failures retry with exponential backoff and jitter (base × 2^attempt, capped) up to a limit.
SEND_MAX_ATTEMPTS = env_int("SEND_MAX_ATTEMPTS", 5, minimum=1, maximum=50)
SEND_RETRY_BASE_S = env_int("SEND_RETRY_BASE_S", 10, minimum=0)
SEND_RETRY_MAX_S = env_int("SEND_RETRY_MAX_S", 300, minimum=1)
# Longest a batch waits in the shared throttle for one grant before giving the worker back.
SEND_THROTTLE_WAIT_S = env_int("SEND_THROTTLE_WAIT_S", 2, minimum=0)
# A sending campaign with due pending rows and no progress for this long is fanned out again
# (a lost task, a broker restart, the send window opening): duplicate tasks are harmless.
SEND_STALL_S = env_int("SEND_STALL_S", 30, minimum=1)
# Soft bounces (RFC 3463 4.x.x) to one address within 30 days before it is suppressed.
SOFT_BOUNCE_SUPPRESS_AFTER = env_int("SOFT_BOUNCE_SUPPRESS_AFTER", 3, minimum=1)
# Complaint rate guard, in basis points of delivered (10 = 0.1 %): warn, then pause the campaign,
# once at least COMPLAINT_MIN_SAMPLE messages were delivered.
COMPLAINT_WARN_BP = env_int("COMPLAINT_WARN_BP", 10, minimum=1)
COMPLAINT_PAUSE_BP = env_int("COMPLAINT_PAUSE_BP", 30, minimum=1)
COMPLAINT_MIN_SAMPLE = env_int("COMPLAINT_MIN_SAMPLE", 1000, minimum=1)
# Optional mailto: for List-Unsubscribe next to the https link (e.g. unsubscribe@mail.example.jp);
# the delivery id goes in the subject.
EMAIL_UNSUBSCRIBE_MAILTO = env_str("EMAIL_UNSUBSCRIBE_MAILTO", "")

# --- Audit --------------------------------------------------------------------------------------
# Events younger than this are left out of a seal: a transaction that allocated a lower id may
# still be committing.
AUDIT_SEAL_DELAY_S = env_int("AUDIT_SEAL_DELAY_S", 30, minimum=0)
# URL names whose GET shows a recipient's personal data; each view is recorded in the operation log.
AUDIT_PERSONAL_DATA_VIEWS = env_list("AUDIT_PERSONAL_DATA_VIEWS", ["audiences:recipient"])
# Retention policy, shown to auditors. The application never deletes audit events (the database refuses
# it); removing events older than this is a DBA's archive job (see README, "Retention").
AUDIT_RETENTION_DAYS = env_int("AUDIT_RETENTION_DAYS", 3650, minimum=365)
# How long a recipient's personal data (name, addresses, attributes) is kept after their last delivery,
# import or consent change; the audit table keeps only ids and the address as sent.
RECIPIENT_DATA_RETENTION_DAYS = env_int("RECIPIENT_DATA_RETENTION_DAYS", 1825, minimum=1)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO").upper()},
}
