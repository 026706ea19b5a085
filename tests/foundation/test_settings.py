"""A bad setting stops start-up with a message naming the variable; production settings pass
``check --deploy``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "prod-" + "x9Kq2mZ7" * 8,
    "ALLOWED_HOSTS": "notify.example.jp",
    "DATABASE_URL": "postgres://notify:secret@db.example.jp:5432/notify",
    "REDIS_URL": "redis://redis.example.jp:6379/0",
}

_SET_BY_TEST_SETTINGS = {
    "DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG", "SECURE_TLS", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE",
    "NOTIFY_VAR_DIR", "DJANGO_SETTINGS_MODULE",
}


def _manage(*args: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in _SET_BY_TEST_SETTINGS}
    clean.update({"DJANGO_SETTINGS_MODULE": "notify_console.settings", "NOTIFY_VAR_DIR": str(tmp_path), **env})
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DEBUG", "maybe"),
        ("PORT", "eighty"),
        ("TIME_ZONE", "Mars/Olympus_Mons"),
        ("LANGUAGE_CODE", "fr"),
        ("DATABASE_URL", "mysql://u:p@h/db"),
        ("EMAIL_URL", "ftp://mail.example.jp"),
        ("LOGIN_MAX_FAILURES", "0"),
    ],
)
def test_a_bad_value_stops_start_up_naming_the_variable(variable, value, tmp_path):
    result = _manage("check", env={"DEBUG": "1", variable: value}, tmp_path=tmp_path)
    assert result.returncode != 0
    assert f"{variable}=" in result.stderr
    assert "is not valid" in result.stderr


def test_secret_key_is_required_when_debug_is_off(tmp_path):
    result = _manage("check", env={"DEBUG": "0"}, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY is required when DEBUG is off" in result.stderr


def test_embedded_mode_generates_the_secret_key_once(tmp_path):
    assert _manage("check", env={"DEBUG": "1"}, tmp_path=tmp_path).returncode == 0
    first = (tmp_path / "secret_key").read_text()
    assert _manage("check", env={"DEBUG": "1"}, tmp_path=tmp_path).returncode == 0
    assert (tmp_path / "secret_key").read_text() == first
    assert len(first) >= 50


def test_check_deploy_with_production_settings_reports_nothing(tmp_path):
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues" in result.stdout


def test_check_deploy_warns_when_production_runs_on_embedded_defaults(tmp_path):
    env = {k: v for k, v in PRODUCTION.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    result = _manage("check", "--deploy", env=env, tmp_path=tmp_path)
    assert "notify.W001" in result.stderr + result.stdout
    assert "notify.W002" in result.stderr + result.stdout
