"""Every page for every role, on a private, a public and a disabled registry: strangers are sent to
the login page, outsiders get a 404 that reveals nothing, readers get 403 on pages that change
things, and only maintainers reach the settings."""
from __future__ import annotations

import pytest

from ..support import PROJECT, set_registry

P = f"/projects/{PROJECT}"


def read_pages(s) -> list[str]:
    return [f"{P}/models", s.model_url, f"{s.model_url}?tab=versions", s.version_url(s.v1),
            s.version_url(s.v1) + "?tab=artifacts", s.version_url(s.v1) + "?tab=performance"]


def write_pages(s) -> list[str]:
    return [f"{P}/models/new", f"{s.model_url}/edit", f"{s.model_url}/delete", f"{s.model_url}/versions/new",
            s.version_url(s.v1) + "/edit", s.version_url(s.v1) + "/delete",
            s.version_url(s.v1) + "/artifacts/delete?paths=README.md"]


SETTINGS = f"{P}/model-registry/settings"

# (registry, who) -> status of (read pages, write pages, settings); 302 is the login page.
EXPECTED = {
    ("private", None): (302, 302, 302),
    ("private", "otto"): (404, 404, 404),
    ("private", "gus"): (200, 403, 403),
    ("private", "rita"): (200, 200, 403),
    ("private", "max"): (200, 200, 200),
    ("public", None): (200, 302, 302),
    ("public", "otto"): (200, 403, 403),
    ("public", "gus"): (200, 403, 403),
    ("public", "rita"): (200, 200, 403),
    ("public", "max"): (200, 200, 200),
    ("disabled", None): (404, 404, 302),
    ("disabled", "otto"): (404, 404, 404),
    ("disabled", "gus"): (404, 404, 403),
    ("disabled", "rita"): (404, 404, 403),
    ("disabled", "max"): (404, 404, 200),
}


def configure(app, registry: str) -> None:
    if registry == "public":
        set_registry(app, visibility="public")
    elif registry == "disabled":
        set_registry(app, enabled=False)


@pytest.mark.parametrize("registry,who", list(EXPECTED))
def test_every_page_answers_as_the_policy_says(app, seeded, signed_in, registry, who):
    configure(app, registry)
    client = signed_in(who)
    read, write, admin = EXPECTED[(registry, who)]
    for urls, expected in ((read_pages(seeded), read), (write_pages(seeded), write), ([SETTINGS], admin)):
        for url in urls:
            response = client.get(url)
            assert response.status_code == expected, f"{who} on a {registry} registry: GET {url}"
            if expected == 302:
                assert "/login" in response.headers["Location"], url
            if expected == 404:
                assert b"does not exist, or you do not have access to it" in response.data
                assert b"churn" not in response.data, f"the 404 page of {url} reveals the model"
            if expected == 403:
                assert b"permission" in response.data


def test_a_404_page_is_the_same_for_missing_and_hidden_things(app, seeded, signed_in):
    outsider = signed_in("otto")
    member = signed_in("gus")
    hidden = outsider.get(seeded.model_url)
    missing = member.get(f"{P}/models/999999")
    assert hidden.status_code == missing.status_code == 404
    assert b"does not exist, or you do not have access to it" in hidden.data
    assert b"does not exist, or you do not have access to it" in missing.data


def test_a_guest_sees_no_controls_that_change_anything(seeded, signed_in):
    guest = signed_in("gus")
    listing = guest.get(f"{P}/models").data
    model_page = guest.get(f"{seeded.model_url}?tab=versions").data
    version_page = guest.get(seeded.version_url(seeded.v1)).data
    for html in (listing, model_page, version_page):
        assert b"Delete model" not in html
        assert b"mr-confirm-dialog" not in html
    assert b"Create/Import" not in listing and b"Create new model" not in listing
    assert b"Create new version" not in model_page and b"/edit" not in model_page
    assert b">Upload<" not in version_page and b'name="paths"' not in version_page
    assert b"Delete model version" not in version_page
    # reading stays possible: the file names, the download links, the compare boxes
    assert b"weights.bin" in version_page and b"/api/v1/projects/proj/models/" in version_page
    assert b'name="versions"' in model_page


def test_a_reporter_sees_every_control(seeded, signed_in):
    writer = signed_in("rita")
    listing = writer.get(f"{P}/models").data
    model_page = writer.get(f"{seeded.model_url}?tab=versions").data
    version_page = writer.get(seeded.version_url(seeded.v1)).data
    assert b"Create/Import" in listing and b"Create new model" in listing and b"Delete model" in listing
    assert b">Settings</a>" not in listing  # for maintainers only
    assert b'href="/projects/proj/model-registry/settings">Settings</a>' in signed_in("max").get(f"{P}/models").data
    assert b"Create new version" in model_page and b"Delete model version" in model_page
    assert b"Upload" in version_page and b'name="paths"' in version_page and b"Delete model version" in version_page
    assert b"mr-confirm-dialog" in version_page


@pytest.mark.parametrize("who", ["gus", "otto", None])
def test_forced_writes_are_refused_and_change_nothing(app, seeded, signed_in, who):
    """A guest (or an outsider, or nobody) who posts the forms anyway, with a valid CSRF token."""
    from .conftest import csrf_from

    set_registry(app, visibility="public")
    client = signed_in(who)
    token = csrf_from(client.get("/login").data)
    expected = {"gus": 403, "otto": 403, None: 302}[who]
    posts = [
        (f"{P}/models/new", {"name": "intruder"}),
        (f"{seeded.model_url}/edit", {"name": "churn", "description": "defaced"}),
        (f"{seeded.model_url}/versions/new", {"version": "9.9.9"}),
        (seeded.version_url(seeded.v1) + "/edit", {"description": "defaced"}),
        (seeded.version_url(seeded.v1) + "/artifacts/delete", {"paths": "README.md"}),
        (seeded.version_url(seeded.v1) + "/delete", {}),
        (f"{seeded.model_url}/delete", {}),
        (SETTINGS, {"enabled": "y", "visibility": "private"}),
    ]
    for url, data in posts:
        response = client.post(url, data={**data, "csrf_token": token})
        assert response.status_code == expected, f"POST {url} by {who}"
    reader = signed_in("rita")
    listing = reader.get(f"{P}/models").data
    assert b"intruder" not in listing and b"churn" in listing
    card = reader.get(seeded.model_url).data
    assert b"defaced" not in card and b"Predicts <strong>churn</strong>" in card
    files = reader.get(seeded.version_url(seeded.v1) + "?tab=artifacts").data
    assert b"README.md" in files
    assert signed_in(None).get(f"{P}/models").status_code == 200  # still public
