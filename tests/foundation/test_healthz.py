from __future__ import annotations

import pytest

from notify_console.celery import app

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_and_broker(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


def test_healthz_is_503_when_the_broker_is_unreachable(client):
    saved = {"broker_url": app.conf.broker_url, "broker_transport_options": app.conf.broker_transport_options}
    app.conf.update(broker_url="redis://127.0.0.1:1/0", broker_transport_options={})
    try:
        response = client.get("/healthz")
    finally:
        app.conf.update(saved)
    assert response.status_code == 503
    assert response.json()["broker"].startswith("error")
    assert response.json()["database"] == "ok"
