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
