"""Reading a project's registry settings and audit trail is for its administrators, whichever
front door asks: the rule is in the service layer, where the pages, the JSON API and the CLI meet."""
from __future__ import annotations

import pytest

from flask_modelregistry.errors import Forbidden, NotFound, Unauthenticated
from flask_modelregistry.services import audit, registered_models, settings
from flask_modelregistry.services.identity import Actor, actor_for_user


def _actor(app, username: str) -> Actor:
    from example_app.models import User, db

    user = db.session.scalar(db.select(User).where(User.username == username))
    return actor_for_user(user, via="session")


@pytest.mark.parametrize("username, error", [("rita", Forbidden), ("gus", Forbidden), ("otto", NotFound)])
def test_below_maintainer_reads_neither(app, people, username, error):
    with app.test_request_context():
        registered_models.create_model("proj", Actor.system(), name="audited")
        who = _actor(app, username)
        with pytest.raises(error):
            audit.list_events("proj", who)
        with pytest.raises(error):
            settings.read_settings("proj", who)
        with pytest.raises(Unauthenticated):
            audit.list_events("proj", Actor.anonymous())


def test_maintainers_read_both_in_pages(app, people):
    with app.test_request_context():
        for name in ("a", "b", "c"):
            registered_models.create_model("proj", Actor.system(), name=name)
        maxi = _actor(app, "max")
        assert settings.read_settings("proj", maxi).visibility == "private"
        first, before = audit.list_events("proj", maxi, limit=2)
        assert [e.target_name for e in first] == ["c", "b"] and before == first[-1].id
        rest, after = audit.list_events("proj", maxi, limit=2, before_id=before)
        assert [e.target_name for e in rest] == ["a"] and after is None
