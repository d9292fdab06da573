"""Who is calling: tokens in three header forms, scopes, expiry, revocation, sessions with CSRF."""
from __future__ import annotations

import base64
import datetime as dt
import re

import sqlalchemy as sa

from tests.support import login

P = "/api/v1/projects/proj"


def test_three_ways_to_present_a_token(client, rita):
    basic = base64.b64encode(f"rita:{rita.token}".encode()).decode()
    for i, headers in enumerate(({"Authorization": f"Bearer {rita.token}"}, {"Authorization": f"Basic {basic}"},
                                 {"PRIVATE-TOKEN": rita.token}, {"Authorization": f"bearer {rita.token}"})):
        r = client.post(f"{P}/models", json={"name": f"m{i}"}, headers=headers)
        assert r.status_code == 201, headers
        assert r.json["created_by"] == "rita"


def test_bad_credentials_are_401(client, rita):
    for headers in ({"Authorization": "Bearer nope"}, {"Authorization": "Basic !!!"},
                    {"Authorization": "Basic " + base64.b64encode(b"rita").decode()},
                    {"Authorization": "Digest x"}, {"PRIVATE-TOKEN": "x" * 5000},
                    {"Authorization": f"Bearer {rita.token}x"}):
        r = client.get(f"{P}/models", headers=headers)
        assert r.status_code == 401, headers
        assert r.json["error"]["code"] == "unauthenticated"


def test_read_api_scope_reads_but_cannot_write(client, rita):
    assert client.get(f"{P}/models", headers=rita.read_headers).status_code == 200
    r = client.post(f"{P}/models", json={"name": "x"}, headers=rita.read_headers)
    assert r.status_code == 403 and "read_api" in r.json["error"]["message"]


def test_expired_and_revoked_tokens_stop_working(app, client, rita):
    from example_app.models import db
    from flask_modelregistry.models import AccessToken
    from flask_modelregistry.services.tokens import create_token, hash_token, revoke_token

    with app.app_context():
        token, secret = create_token(str(rita.user_id), scope="api", expires_in_days=1)
        token_id = token.id  # the request ends the session, which detaches the row
        assert client.get(f"{P}/models", headers={"PRIVATE-TOKEN": secret}).status_code == 200
        row = db.session.get(AccessToken, token_id)
        row.expires_at = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)
        db.session.commit()
        assert client.get(f"{P}/models", headers={"PRIVATE-TOKEN": secret}).status_code == 401
        token2, secret2 = create_token(str(rita.user_id))
        assert revoke_token(str(rita.user_id), token2.id)
        assert client.get(f"{P}/models", headers={"PRIVATE-TOKEN": secret2}).status_code == 401
        # only the hash is stored
        stored = db.session.scalars(sa.select(AccessToken.token_hash)).all()
        assert secret not in stored and hash_token(secret) in stored


def test_inactive_users_tokens_are_refused(app, client, rita):
    from example_app.models import User, db

    with app.app_context():
        db.session.get(User, rita.user_id).active = False
        db.session.commit()
    assert client.get(f"{P}/models", headers=rita.headers).status_code == 401


def test_session_writes_need_the_csrf_header(client, people):
    login(client, "rita")
    assert client.get(f"{P}/models").status_code == 200
    r = client.post(f"{P}/models", json={"name": "no-csrf"})
    assert r.status_code == 403 and "CSRF" in r.json["error"]["message"]
    page = client.get("/login")
    token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page.data).group(1).decode()
    r = client.post(f"{P}/models", json={"name": "with-csrf"}, headers={"X-CSRFToken": token})
    assert r.status_code == 201


def test_a_bad_token_is_not_rescued_by_a_session(client, people):
    login(client, "rita")
    assert client.get(f"{P}/models", headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_cli_token_commands(app, people):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["model-registry", "tokens", "create", "gus", "--scope", "read_api",
                                 "--expires-in-days", "7"])
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    assert secret.startswith("mrt_")
    client = app.test_client()
    assert client.get(f"{P}/models", headers={"PRIVATE-TOKEN": secret}).status_code == 200
    assert client.post(f"{P}/models", json={"name": "x"}, headers={"PRIVATE-TOKEN": secret}).status_code == 403
    bad = runner.invoke(args=["model-registry", "tokens", "create", "nobody"])
    assert bad.exit_code != 0 and "no user named" in bad.output
    bad = runner.invoke(args=["model-registry", "tokens", "create", "gus", "--scope", "admin"])
    assert bad.exit_code != 0
