"""The portal's login and logout as an attacker would try them: where ``next`` may send a user
after signing in, whether signing in starts a fresh session, whether the time a refusal takes
tells which usernames exist, and whether a page can log a reader out behind their back."""
from __future__ import annotations

import re
import time
from urllib.parse import urljoin, urlsplit

import pytest

from ..support import PROJECT, login

CSRF = re.compile(rb'name="csrf_token" type="hidden" value="([^"]+)"')
HOSTILE_NEXT = ["//evil.example", "/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example",
                "/\\evil.example", "https://evil.example/", "https:evil.example", " //evil.example",
                "/\x00/evil.example", "\t//evil.example", "javascript:alert(1)"]


def csrf_token(client, url: str = "/login") -> str:
    return CSRF.search(client.get(url).data).group(1).decode()


def where_a_browser_goes(location: str) -> str:
    """The host a browser lands on for this Location: browsers drop tabs and newlines first."""
    cleaned = re.sub(r"[\t\n\r]", "", location)
    return urlsplit(urljoin("http://portal.test/login", cleaned)).netloc


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_next_never_leads_off_the_portal(client, people, target):
    token = csrf_token(client)
    response = client.post("/login", query_string={"next": target},
                           data={"username": "rita", "password": "rita", "csrf_token": token})
    assert response.status_code == 302
    assert where_a_browser_goes(response.headers["Location"]) == "portal.test"


def test_next_inside_the_portal_is_followed(client, people):
    token = csrf_token(client)
    target = f"/projects/{PROJECT}/models?tab=versions&page=2"
    response = client.post("/login", query_string={"next": target},
                           data={"username": "rita", "password": "rita", "csrf_token": token})
    assert response.headers["Location"] == target


def test_signing_in_starts_a_fresh_session(client, people):
    """A token planted before sign-in (session fixation) must not be valid after it."""
    planted = csrf_token(client)
    login(client, "rita")
    with client.session_transaction() as session:
        assert session.get("csrf_token") != planted
    fresh = csrf_token(client, f"/projects/{PROJECT}/models")
    assert fresh != planted
    # the planted token no longer passes: the form is refused, nothing is created
    response = client.post(f"/projects/{PROJECT}/models/new", data={"name": "planted", "csrf_token": planted})
    assert response.status_code == 400
    assert b"planted" not in client.get(f"/projects/{PROJECT}/models").data


def test_logging_out_forgets_the_whole_session(client, people):
    login(client, "rita")
    client.post("/logout", data={"csrf_token": csrf_token(client, f"/projects/{PROJECT}/models")})
    with client.session_transaction() as session:
        assert "_user_id" not in session and "csrf_token" not in session
    assert client.get(f"/projects/{PROJECT}/models").status_code == 302  # to the login page


def _refusal_seconds(client, token: str, username: str) -> float:
    started = time.perf_counter()
    response = client.post("/login", data={"username": username, "password": "wrong", "csrf_token": token})
    assert b"Invalid username or password." in response.data
    return time.perf_counter() - started


def test_unknown_usernames_take_as_long_to_refuse_as_wrong_passwords(app, client):
    """Otherwise the time of a refusal tells an attacker which usernames exist. The two kinds take
    turns and the fastest of each is compared: a busy machine only ever makes a refusal slower."""
    runner = app.test_cli_runner()
    assert runner.invoke(args=["users", "create", "vera", "--password", "right-one"]).exit_code == 0
    token = csrf_token(client)
    _refusal_seconds(client, token, "vera")  # warm up
    known, unknown = [], []
    for _ in range(7):
        known.append(_refusal_seconds(client, token, "vera"))
        unknown.append(_refusal_seconds(client, token, "nobody-by-this-name"))
    assert min(unknown) > min(known) / 3, (unknown, known)


def test_logging_out_from_the_header_is_a_form_with_a_token(client, people):
    login(client, "rita")
    home = client.get("/").data.decode()
    form = re.search(r'<form[^>]*action="/logout"[^>]*>(.*?)</form>', home, re.S)
    assert form and 'method="post"' in form.group(0) and 'name="csrf_token"' in form.group(1)
    assert "Log out" in form.group(1)
    assert client.post("/logout").status_code == 400  # no token: still signed in
    assert b"Signed in as" in client.get("/").data


@pytest.mark.parametrize("fetch", [
    {"Sec-Fetch-Dest": "image", "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Site": "same-origin"},
    {"Sec-Fetch-Dest": "document", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Dest": "iframe", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Site": "same-origin"},
])
def test_an_image_or_another_site_cannot_log_a_reader_out(client, people, fetch):
    """``![x](/logout)`` in a model card, or a link on another site, only offers to log out."""
    login(client, "rita")
    response = client.get("/logout", headers=fetch)
    assert response.status_code == 200
    assert b'action="/logout"' in response.data and b"Log out" in response.data
    assert b"Signed in as" in client.get("/").data


def test_typing_the_logout_address_still_logs_out(client, people):
    login(client, "rita")
    response = client.get("/logout", headers={"Sec-Fetch-Dest": "document", "Sec-Fetch-Mode": "navigate",
                                               "Sec-Fetch-Site": "none"})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert b"Signed in as" not in client.get("/").data
    login(client, "rita")
    assert client.get("/logout").status_code == 302  # a client that sends no fetch metadata
    assert b"Signed in as" not in client.get("/").data


def test_portal_pages_refuse_to_be_framed(client, people):
    """A framed login page or logout button could be clicked through a disguise (clickjacking)."""
    for url in ("/login", "/"):
        response = client.get(url)
        assert response.headers.get("X-Frame-Options") == "DENY", url
        assert "frame-ancestors 'none'" in response.headers.get("Content-Security-Policy", ""), url


@pytest.mark.parametrize("username", ["rita\x00", "\x00", "r" * 5000, "rïta\ud800".encode("utf-8", "surrogatepass").decode("utf-8", "replace")])
def test_odd_usernames_are_refused_like_any_wrong_login(client, people, username):
    """A NUL byte is a database error on PostgreSQL; it must be an ordinary refusal, not a 500."""
    token = csrf_token(client)
    response = client.post("/login", data={"username": username, "password": "rita", "csrf_token": token})
    assert response.status_code == 200 and b"Invalid username or password." in response.data
