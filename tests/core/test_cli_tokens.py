"""``flask model-registry tokens``: creating and revoking tokens from the command line, with a
clear message and a non-zero exit for a token that does not exist, whatever its number."""
from __future__ import annotations

import pytest


@pytest.mark.parametrize("token_id", ["999", "99999999999", "0"])
def test_revoking_a_token_that_does_not_exist(app, people, token_id):
    result = app.test_cli_runner().invoke(args=["model-registry", "tokens", "revoke", "rita", token_id])
    assert result.exit_code == 1 and f"rita has no active token #{token_id}" in result.output


def test_a_revoked_token_no_longer_opens_the_api(app, people, client):
    runner = app.test_cli_runner()
    created = runner.invoke(args=["model-registry", "tokens", "create", "rita", "--scope", "read_api"])
    assert created.exit_code == 0
    token = created.output.strip().splitlines()[-1]
    token_id = created.output.split("#", 1)[1].split(" ", 1)[0]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/projects/proj/models", headers=headers).status_code == 200
    revoked = runner.invoke(args=["model-registry", "tokens", "revoke", "rita", token_id])
    assert revoked.exit_code == 0 and f"Revoked token #{token_id} of rita" in revoked.output
    assert client.get("/api/v1/projects/proj/models", headers=headers).status_code == 401
