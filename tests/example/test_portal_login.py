"""The portal's login and logout as an attacker would try them: where ``next`` may send a user
after signing in, whether signing in starts a fresh session, whether the time a refusal takes
tells which usernames exist, and whether a page can log a reader out behind their back."""
from __future__ import annotations

import re
import statistics
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
