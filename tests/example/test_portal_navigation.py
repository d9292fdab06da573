"""The portal's project sidebar: it shows the project's entries, and nothing at all where the user
has none (an unknown project, or one they may not see), rather than an empty "Deploy" heading."""
from __future__ import annotations

from ..support import PROJECT, login


def test_no_empty_sidebar_where_the_user_has_no_entry(client, people):
    login(client, "otto")  # signed in, no member of proj
    for url in (f"/projects/{PROJECT}/models", "/projects/no-such-project/models"):
        page = client.get(url)
        assert page.status_code == 404
        assert b'class="portal-side"' not in page.data and b"<h2>Deploy</h2>" not in page.data


def test_members_see_the_sidebar_entry(client, people):
    login(client, "gus")
    page = client.get(f"/projects/{PROJECT}/models").data.decode()
    assert '<nav class="portal-side" aria-label="Project">' in page and "<h2>Deploy</h2>" in page
    assert f'<a href="/projects/{PROJECT}/models" aria-current="page">Model registry</a>' in page
