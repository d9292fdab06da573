"""Safe targets: http(s) only; inside addresses refused in every spelling, at creation and update
and again at connection time (DNS rebinding), unless private targets are allowed."""
from __future__ import annotations

import pytest

from flask_modelregistry.webhooks import sender, targets

INSIDE = [
    "http://127.0.0.1/h", "http://127.1/h", "http://2130706433/h", "http://0x7f.1/h", "http://0177.0.0.1/h",
    "http://0x7f000001/h", "http://[::1]/h", "http://[::ffff:127.0.0.1]/h", "http://[::ffff:7f00:1]/h",
    "http://0.0.0.0/h", "http://0/h", "http://10.0.0.1/h", "http://172.16.5.4/h", "http://192.168.1.1/h",
    "http://169.254.169.254/latest/meta-data", "http://[fd00::1]/h", "http://[fd00:ec2::254]/h",
    "http://[fe80::1]/h", "http://100.64.0.1/h", "http://[64:ff9b::a00:1]/h", "http://[2002:7f00:1::]/h",
    "http://localhost/h", "http://LOCALHOST./h", "http://metadata.google.internal/computeMetadata/v1/",
    "http://printer.local/h", "http://intranet/h", "https://224.0.0.1/h", "http://255.255.255.255/h",
]
NOT_HTTP = ["ftp://example.com/x", "file:///etc/passwd", "gopher://example.com", "javascript:alert(1)", "example.com/h",
            "http://user:pw@example.com/h", "http:///nohost", "http://exa mple.com/h", ""]


@pytest.mark.parametrize("url", INSIDE)
def test_inside_addresses_are_refused(url):
    with pytest.raises(targets.UnsafeTarget):
        targets.check_url(url, allow_private=False)


@pytest.mark.parametrize("url", NOT_HTTP)
def test_only_http_urls_are_accepted(url):
    with pytest.raises(targets.UnsafeTarget):
        targets.check_url(url, allow_private=True)


@pytest.mark.parametrize("url", ["https://8.8.8.8/hook", "http://[2606:4700:4700::1111]/x", "https://93.184.216.34:8443/a?b=c"])
def test_public_addresses_are_accepted(url):
    assert targets.check_url(url, allow_private=False).scheme in ("http", "https")


def test_private_targets_can_be_allowed():
    assert targets.check_url("http://127.0.0.1:9/h", allow_private=True).host == "127.0.0.1"


def test_a_name_that_resolves_inside_is_refused_when_connecting(monkeypatch):
    """Rebinding: the name looked public when the webhook was saved and resolves to 127.0.0.1 now;
    the sender resolves, checks and refuses before connecting."""
    monkeypatch.setattr(targets, "resolve", lambda host, port: [targets.ipaddress.ip_address("127.0.0.1")])
    outcome = sender.post("http://hooks.example.com/x", "{}", {}, timeout=1, allow_private=False)
    assert outcome.status is None and outcome.error.startswith("refused")


def test_the_checked_address_is_the_one_connected_to(monkeypatch):
    """The connection goes to the address that was checked, with the name in the Host header."""
    from .receiver import Receiver

    receiver = Receiver().start()
    try:
        monkeypatch.setattr(targets, "resolve", lambda host, port: [targets.ipaddress.ip_address("127.0.0.1")])
        outcome = sender.post(f"http://hooks.example.com:{receiver.port}/hook", "{}", {}, timeout=2,
                              allow_private=True)
        assert outcome.status == 200
    finally:
        receiver.stop()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("app_config", [{"MODEL_REGISTRY_WEBHOOK_ALLOW_PRIVATE_TARGETS": False}])
def test_creation_and_update_refuse_inside_targets(client, people):
    answer = client.post("/api/v1/projects/proj/webhooks", json={
        "name": "x", "url": "http://127.1:8080/h", "events": ["model_version.created"]}, headers=people["max"].headers)
    assert answer.status_code == 422 and "url" in answer.get_json()["error"]["fields"]
    made = client.post("/api/v1/projects/proj/webhooks", json={
        "name": "x", "url": "https://8.8.8.8/h", "events": ["model_version.created"]}, headers=people["max"].headers)
    assert made.status_code == 201
    changed = client.patch(f"/api/v1/projects/proj/webhooks/{made.get_json()['id']}",
                           json={"url": "http://[::ffff:169.254.169.254]/"}, headers=people["max"].headers)
    assert changed.status_code == 422
