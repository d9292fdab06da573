"""Versions are ordered by Semantic Versioning rules in SQL, on SQLite and PostgreSQL, and a list
page costs the same number of queries whatever its size."""
from __future__ import annotations

import contextlib
import functools
import random
import uuid

import semver
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flask_modelregistry.services import registered_models, versions
from flask_modelregistry.services.identity import Actor

SYSTEM = Actor.system()
MIXED = ["1.0.0", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
         "1.0.0-beta.11", "1.0.0-rc.1", "2.0.0", "2.0.1-alpha1", "2.0.1-rc2", "2.0.1", "2.10.0", "10.0.0",
         "1.0.0-0.3.7", "1.0.0-x.7.z.92", "1.0.0-x-y-z.--", "1.9.0", "1.10.0", "0.0.1"]


@contextlib.contextmanager
def count_queries(engine):
    statements: list[str] = []

    def listener(conn, cursor, statement, params, context, executemany):
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)


def _semver_sorted(texts, reverse=True):
    return sorted(texts, key=functools.cmp_to_key(lambda a, b: semver.Version.parse(a).compare(b)), reverse=reverse)


def test_sql_order_matches_semver_and_latest_is_highest_release(app_ctx):
    model = registered_models.create_model("proj", SYSTEM, name="ordered")
    shuffled = MIXED[:]
    random.Random(7).shuffle(shuffled)
    for text in shuffled:
        versions.create_version("proj", SYSTEM, model, version=text)
    page = versions.list_versions("proj", SYSTEM, model, per_page=100)
    assert [d.version.version for d in page.items] == _semver_sorted(MIXED)
    ascending = versions.list_versions("proj", SYSTEM, model, order="asc", per_page=100)
    assert [d.version.version for d in ascending.items] == _semver_sorted(MIXED, reverse=False)
    summary = registered_models.summarize(model)
    assert summary.latest_version == "10.0.0" and summary.version_count == len(MIXED)


def test_latest_version_falls_back_to_prerelease_only_when_no_release(app_ctx):
    model = registered_models.create_model("proj", SYSTEM, name="pre-only")
    versions.create_version("proj", SYSTEM, model, version="1.0.0-rc.1")
    versions.create_version("proj", SYSTEM, model, version="1.0.0-rc.2")
    assert registered_models.summarize(model).latest_version == "1.0.0-rc.2"
    versions.create_version("proj", SYSTEM, model, version="0.9.0")
    assert registered_models.summarize(model).latest_version == "0.9.0"


def test_build_metadata_does_not_make_a_second_version(app_ctx):
    from flask_modelregistry.errors import AlreadyExists
    import pytest

    model = registered_models.create_model("proj", SYSTEM, name="builds")
    versions.create_version("proj", SYSTEM, model, version="1.0.0+build.1")
    with pytest.raises(AlreadyExists) as info:
        versions.create_version("proj", SYSTEM, model, version="1.0.0+build.2")
    assert "1.0.0+build.1" in info.value.message


def test_page_query_count_does_not_grow_with_page_size(app_ctx, app):
    from example_app.models import db

    model = registered_models.create_model("proj", SYSTEM, name="counted")
    for i in range(30):
        versions.create_version("proj", SYSTEM, model, version=f"1.{i}.0", params={"i": str(i)},
                                     metrics=[{"key": "acc", "value": i / 100, "step": 0}], metadata={"k": "v"})
    counts = []
    for per_page in (5, 30):
        db.session.expire_all()
        with count_queries(db.engine) as statements:
            page = versions.list_versions("proj", SYSTEM, model, per_page=per_page)
            assert len(page.items) == per_page
            assert all(d.metrics and d.params and d.metadata for d in page.items)
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
    model_counts = []
    for i in range(25):
        registered_models.create_model("proj", SYSTEM, name=f"m{i:02d}")
    for per_page in (3, 25):
        db.session.expire_all()
        with count_queries(db.engine) as statements:
            page = registered_models.list_models("proj", SYSTEM, per_page=per_page)
            assert len(page.items) == per_page
        model_counts.append(len(statements))
    assert model_counts[0] == model_counts[1], model_counts


prerelease_texts = st.lists(
    st.builds(lambda a, b, pre: f"{a}.{b}.0" + (f"-{pre}" if pre else ""),
              st.integers(0, 3), st.integers(0, 12),
              st.one_of(st.none(), st.from_regex(r"\A(alpha|beta|rc|0|7|11)(\.(1|2|10|x))?\Z", fullmatch=True))),
    min_size=2, max_size=12, unique_by=lambda t: semver.Version.parse(t).finalize_version().__str__() + (semver.Version.parse(t).prerelease or "~"))


@given(prerelease_texts)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_generated_versions_come_back_in_semver_order(app, texts):
    with app.app_context():
        name = f"gen-{uuid.uuid4().hex[:10]}"  # the app is shared by every generated example
        model = registered_models.create_model("proj", SYSTEM, name=name)
        for text in texts:
            versions.create_version("proj", SYSTEM, model, version=text)
        got = [d.version.version for d in versions.list_versions("proj", SYSTEM, model, per_page=100).items]
        assert got == _semver_sorted(texts)
        registered_models.delete_model("proj", SYSTEM, model)
