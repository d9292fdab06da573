"""The session-signing key the portal keeps in its instance folder when SECRET_KEY is not set."""
from __future__ import annotations

import stat


def test_the_kept_key_is_readable_by_its_owner_only(tmp_path, monkeypatch):
    """Whoever reads the key can sign a session cookie as any user."""
    from example_app import _secret_key

    monkeypatch.delenv("SECRET_KEY", raising=False)
    key = _secret_key(tmp_path / "instance")
    path = tmp_path / "instance" / "secret_key"
    assert len(key) == 64 and path.read_text().strip() == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert _secret_key(tmp_path / "instance") == key  # every worker reads the same key
    assert [p.name for p in (tmp_path / "instance").iterdir()] == ["secret_key"]  # no temporary file left
