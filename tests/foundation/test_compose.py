"""No Docker engine runs here, so the production files are checked for structure."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_every_service_with_a_healthcheck():
    services = _compose()["services"]
    assert {"postgres", "redis", "web", "worker", "beat", "mailcatcher"} <= set(services)
    for name in ("postgres", "redis", "web", "worker"):
        assert "healthcheck" in services[name], f"{name} has no healthcheck"
    assert services["postgres"]["image"].startswith("postgres:15")
    assert services["redis"]["image"].startswith("redis:7")


def test_app_services_share_settings_from_the_environment():
    services = _compose()["services"]
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        for variable in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "EMAIL_URL"):
            assert variable in env, f"{name} lacks {variable}"
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "gunicorn" in " ".join(services["web"]["command"])
    assert "worker" in services["worker"]["command"]
    assert "beat" in services["beat"]["command"]


def test_secrets_are_not_written_into_the_compose_file():
    web_env = _compose()["services"]["web"]["environment"]
    assert web_env["SECRET_KEY"].startswith("${SECRET_KEY")


def test_redis_never_evicts_queued_tasks():
    command = " ".join(_compose()["services"]["redis"]["command"])
    assert "--maxmemory-policy noeviction" in command
    assert "--appendonly yes" in command


def test_dockerfile_builds_the_project_on_python_311():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.startswith("FROM python:3.11")
    assert "pip install" in dockerfile
    assert "USER " in dockerfile  # does not run as root
