"""Every form carries a CSRF token, and a post without one is refused: by the host's CSRFProtect,
and by the forms themselves on a host that does not run it. The pages' scripts reach the JSON API
with the session cookie only together with the token in ``X-CSRFToken``."""
from __future__ import annotations

import io

import pytest

from ..support import PROJECT
from .conftest import csrf_from

P = f"/projects/{PROJECT}"


def posts(s) -> list[tuple[str, dict]]:
    return [
        (f"{P}/models/new", {"name": "sneaky"}),
        (f"{s.model_url}/edit", {"name": "churn", "description": "sneaky"}),
        (f"{s.model_url}/versions/new", {"version": "7.0.0"}),
        (s.version_url(s.v1) + "/edit", {"description": "sneaky"}),
        (s.version_url(s.v1) + "/artifacts/upload", {"files": (io.BytesIO(b"x"), "sneaky.bin")}),
        (s.version_url(s.v1) + "/artifacts/delete", {"paths": "README.md"}),
        (s.version_url(s.v1) + "/delete", {}),
        (f"{s.model_url}/delete", {}),
        (f"{P}/model-registry/settings", {"visibility": "public"}),
    ]


def assert_nothing_changed(client, s) -> None:
    listing = client.get(f"{P}/models").data
    assert b"sneaky" not in listing and b"churn" in listing
    version = client.get(s.version_url(s.v1) + "?tab=artifacts").data
    assert b"README.md" in version and b"sneaky" not in version
    assert client.get(s.version_url(s.v1)).status_code == 200
    assert b"7.0.0" not in client.get(f"{s.model_url}?tab=versions").data
    assert b"and <strong>private</strong>" in client.get(f"{P}/model-registry/settings").data


@pytest.fixture(params=["csrf-protect", "forms-only"])
def app_config(request):
    """The example app runs CSRFProtect; a host may not, and the forms must still check."""
    return {} if request.param == "csrf-protect" else {"WTF_CSRF_CHECK_DEFAULT": False}


def test_every_form_page_carries_a_token(seeded, signed_in):
    owner = signed_in("olga")
    for url in (f"{P}/models/new", f"{seeded.model_url}/edit", f"{seeded.model_url}/versions/new",
                seeded.version_url(seeded.v1) + "/edit", seeded.version_url(seeded.v1),
                seeded.version_url(seeded.v1) + "/delete", f"{seeded.model_url}/delete", f"{P}/model-registry/settings"):
        assert csrf_from(owner.get(url).data), url


def test_a_post_without_a_token_is_refused(seeded, signed_in):
    owner = signed_in("olga")
    for url, data in posts(seeded):
        response = owner.post(url, data=data, content_type="multipart/form-data")
        assert response.status_code == 400, url
        assert b"security token" in response.data, url
    assert_nothing_changed(owner, seeded)


def test_a_post_with_a_forged_token_is_refused(seeded, signed_in):
    owner = signed_in("olga")
    for url, data in posts(seeded):
        response = owner.post(url, data={**data, "csrf_token": "forged.token.value"}, content_type="multipart/form-data")
        assert response.status_code == 400, url
    assert_nothing_changed(owner, seeded)


def test_the_upload_api_takes_the_session_only_with_the_header(seeded, signed_in):
    rita = signed_in("rita")
    token = csrf_from(rita.get(seeded.version_url(seeded.v2)).data)
    url = f"/api/v1/projects/{PROJECT}/models/{seeded.model_id}/versions/{seeded.v2}/artifacts/page.bin"
    refused = rita.put(url, data=b"payload")
    assert refused.status_code == 403 and refused.json["error"]["code"] == "forbidden"
    accepted = rita.put(url, data=b"payload", headers={"X-CSRFToken": token})
    assert accepted.status_code == 201 and accepted.json["size"] == 7
    assert b"page.bin" in rita.get(seeded.version_url(seeded.v2) + "?tab=artifacts").data
