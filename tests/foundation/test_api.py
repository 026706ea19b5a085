from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_me_returns_the_user_and_roles(client, make_user, token_for):
    user = make_user("operator", "approver", username="dual")
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token_for(user)}"})
    assert response.status_code == 200
    assert response.json() == {"id": user.id, "username": "dual", "roles": ["approver", "operator"]}


def test_api_refuses_missing_and_wrong_tokens(client):
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer nc_nope"}).status_code == 401


def test_api_refuses_tokens_of_inactive_users(client, make_user, token_for):
    user = make_user("operator")
    token = token_for(user)
    user.is_active = False
    user.save()
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_api_refuses_a_user_without_a_role(client, make_user, token_for):
    token = token_for(make_user())
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 403


def test_openapi_schema_describes_the_api(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["info"]["title"] == "Notify Console API"
    assert "/api/v1/me" in schema["paths"]
    assert schema["components"]["securitySchemes"]["RoleBearer"] == {"type": "http", "scheme": "bearer"}
    assert schema["paths"]["/api/v1/me"]["get"]["security"] == [{"RoleBearer": []}]


def test_the_docs_page_uses_ninjas_own_files_and_apps_load_without_ninja(client):
    """Swagger UI comes from ninja's template and static files (never a CDN), although ninja is not
    imported when the apps load: a command that never serves the API does not pay for it."""
    import os
    import subprocess
    import sys

    from django.conf import settings
    from django.contrib.staticfiles import finders

    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html and "cdn" not in html.lower()
    assert '"url": "/api/v1/openapi.json"' in html
    assert finders.find("ninja/swagger-ui-bundle.js")
    loaded = subprocess.run(
        [sys.executable, "-c", "import django, sys; django.setup(); print('ninja' in sys.modules)"],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE},
        capture_output=True, text=True, check=True,
    )
    assert loaded.stdout.strip() == "False", loaded.stderr
