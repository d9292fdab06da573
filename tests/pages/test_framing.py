"""Clickjacking: no other site may show the registry's pages in a frame, where a disguised click
would land on "Delete model" or "Save changes"."""
from __future__ import annotations

from ..support import PROJECT

P = f"/projects/{PROJECT}"


def assert_only_same_origin_frames(response) -> None:
    assert response.headers.get("X-Frame-Options") == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in response.headers.get("Content-Security-Policy", "")


def test_pages_forms_and_confirmations_refuse_foreign_frames(seeded, signed_in):
    rita = signed_in("rita")
    for url in (f"{P}/models", f"{P}/models/new", seeded.model_url, f"{seeded.model_url}/delete",
                seeded.version_url(seeded.v1) + "?tab=artifacts", f"{seeded.model_url}/versions/new",
                f"{seeded.model_url}/compare?versions={seeded.v1},{seeded.v2}"):
        response = rita.get(url)
        assert response.status_code == 200, url
        assert_only_same_origin_frames(response)


def test_error_pages_refuse_foreign_frames_too(seeded, signed_in):
    response = signed_in("gus").get(f"{P}/models/new")
    assert response.status_code == 403
    assert_only_same_origin_frames(response)
    response = signed_in("rita").get(f"{P}/models/999999")
    assert response.status_code == 404
    assert_only_same_origin_frames(response)


def test_a_host_policy_is_kept(app, seeded, signed_in):
    """A host that sets its own Content-Security-Policy keeps it; the registry adds no second one."""
    @app.after_request
    def host_policy(response):
        response.headers["Content-Security-Policy"] = "default-src 'self'; frame-ancestors 'none'"
        response.headers["X-Frame-Options"] = "DENY"
        return response

    response = signed_in("rita").get(f"{P}/models")
    assert response.headers.getlist("Content-Security-Policy") == ["default-src 'self'; frame-ancestors 'none'"]
    assert response.headers.getlist("X-Frame-Options") == ["DENY"]
