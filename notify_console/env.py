"""Reading settings from the environment with errors that name the variable.

django-environ does the parsing; this module turns its (and our own) failures into one
``ImproperlyConfigured`` whose message starts with the variable's name, so a bad value stops start-up
with something an administrator can act on.
"""

from __future__ import annotations

import os
import secrets
import zoneinfo
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

_env = environ.Env()


def _bad(name: str, value: str, expected: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"{name}={value!r} is not valid: expected {expected}.")


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise _bad(name, raw, "one of 1/0, true/false, yes/no, on/off")


def env_int(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise _bad(name, raw, "a whole number")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise _bad(name, raw, f"a whole number from {minimum} to {maximum if maximum is not None else '∞'}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_choice(name: str, default: str, choices: list[str]) -> str:
    raw = os.environ.get(name, default)
    if raw not in choices:
        raise _bad(name, raw, "one of " + ", ".join(choices))
    return raw


def load_time_zone() -> str:
    raw = os.environ.get("TIME_ZONE", "Asia/Tokyo")
    try:
        zoneinfo.ZoneInfo(raw)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise _bad("TIME_ZONE", raw, "an IANA time zone such as Asia/Tokyo")
    return raw


def load_secret_key(*, debug: bool, var_dir: Path) -> str:
    """``SECRET_KEY`` from the environment; in debug (embedded) mode generated once into ``var/``."""
    raw = os.environ.get("SECRET_KEY", "")
    if raw:
        if not debug and (len(raw) < 50 or len(set(raw)) < 5):
            raise _bad("SECRET_KEY", "…", "at least 50 random characters when DEBUG is off")
        return raw
    if not debug:
        raise ImproperlyConfigured("SECRET_KEY is required when DEBUG is off (set SECRET_KEY or DEBUG=1).")
    path = var_dir / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(64), encoding="ascii")
        path.chmod(0o600)
    return path.read_text(encoding="ascii").strip()


def load_database(var_dir: Path) -> dict:
    raw = os.environ.get("DATABASE_URL", "")
    if not raw:
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(var_dir / "notify.sqlite3"),
            "OPTIONS": _sqlite_options(),
            "TEST": {"NAME": str(var_dir / "test.sqlite3")},
        }
    try:
        config = _env.db_url_config(raw)
    except Exception as exc:  # django-environ raises several kinds here
        raise _bad("DATABASE_URL", raw, f"postgres://user:pass@host:5432/name or sqlite:///path ({exc})")
    engine = config.get("ENGINE", "")
    if engine in {"django.db.backends.postgresql", "django.db.backends.postgresql_psycopg2"}:
        config["ENGINE"] = "django.db.backends.postgresql"
        config.setdefault("CONN_MAX_AGE", 60)
        config["CONN_HEALTH_CHECKS"] = True
    elif engine == "django.db.backends.sqlite3":
        config["OPTIONS"] = {**_sqlite_options(), **config.get("OPTIONS", {})}
    else:
        raise _bad("DATABASE_URL", raw, "a postgres:// or sqlite:// URL")
    return config


def _sqlite_options() -> dict:
    # WAL lets the web process read while a worker writes; IMMEDIATE avoids deadlocks between two
    # writers that both started as readers.
    return {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }


def load_email_url(raw: str) -> dict:
    """Parse ``EMAIL_URL`` (``smtp://user:pass@host:587?tls=1``, ``smtps://…``); empty = dev outbox."""
    if not raw:
        return {"backend": "outbox"}
    parts = urlsplit(raw)
    if parts.scheme not in {"smtp", "smtps", "outbox", "memory"}:
        raise _bad("EMAIL_URL", raw, "smtp://user:pass@host:port[?tls=1], smtps://…, outbox:// or memory://")
    if parts.scheme in {"outbox", "memory"}:
        return {"backend": parts.scheme}
    if not parts.hostname:
        raise _bad("EMAIL_URL", raw, "a host name after smtp://")
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    try:
        port = parts.port or (465 if parts.scheme == "smtps" else 25)
    except ValueError:
        raise _bad("EMAIL_URL", raw, "a numeric port")
    return {
        "backend": "smtp",
        "host": parts.hostname,
        "port": port,
        "username": unquote(parts.username or ""),
        "password": unquote(parts.password or ""),
        "ssl": parts.scheme == "smtps",
        "starttls": query.get("tls", "0").lower() in {"1", "true", "yes"},
        "timeout": float(query.get("timeout", "10")),
    }
