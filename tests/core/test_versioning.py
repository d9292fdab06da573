"""Semantic Versioning 2.0.0: validation, and an order that matches the `semver` package."""
from __future__ import annotations

import functools

import pytest
import semver
from hypothesis import given, settings
from hypothesis import strategies as st

from flask_modelregistry.errors import Invalid
from flask_modelregistry.versioning import next_major, parse_version, prerelease_key

numbers = st.integers(min_value=0, max_value=10**12)
alnum_ident = st.from_regex(r"\A[0-9A-Za-z-]*[A-Za-z-][0-9A-Za-z-]*\Z", fullmatch=True).filter(lambda s: 0 < len(s) <= 12)
numeric_ident = st.integers(min_value=0, max_value=10**15).map(str)
identifier = st.one_of(alnum_ident, numeric_ident)
prerelease = st.lists(identifier, min_size=1, max_size=4).map(".".join)
versions = st.builds(
    lambda ma, mi, pa, pre, build: f"{ma}.{mi}.{pa}" + (f"-{pre}" if pre else "") + (f"+{build}" if build else ""),
    numbers, numbers, numbers, st.one_of(st.none(), prerelease),
    st.one_of(st.none(), st.from_regex(r"\A[0-9A-Za-z-]{1,8}\Z", fullmatch=True)),
)


def _key(text: str) -> tuple:
    p = parse_version(text)
    return (p.major, p.minor, p.patch, p.key)


@given(versions)
@settings(max_examples=300, deadline=None)
def test_every_generated_version_is_accepted_like_semver_does(text):
    parsed = parse_version(text)
    reference = semver.Version.parse(text)
    assert (parsed.major, parsed.minor, parsed.patch, parsed.prerelease, parsed.build) == (
        reference.major, reference.minor, reference.patch, reference.prerelease, reference.build)


@given(st.lists(versions, min_size=2, max_size=25))
@settings(max_examples=300, deadline=None)
def test_sort_key_orders_like_semver_precedence(texts):
    ours = sorted(texts, key=_key)
    for a, b in zip(ours, ours[1:]):
        assert semver.Version.parse(a).compare(b) <= 0, (a, b)
    theirs = sorted(texts, key=functools.cmp_to_key(lambda a, b: semver.Version.parse(a).compare(b)))
    assert [_key(t) for t in ours] == [_key(t) for t in theirs]


def test_spec_example_order():
    # The example from section 11 of the specification, shuffled.
    spec = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
            "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0"]
    assert sorted(reversed(spec), key=_key) == spec
    assert sorted(["2.0.1-rc2", "2.0.1", "2.0.1-alpha1", "2.0.0", "10.0.0", "2.10.0"], key=_key) == [
        "2.0.0", "2.0.1-alpha1", "2.0.1-rc2", "2.0.1", "2.10.0", "10.0.0"]


@pytest.mark.parametrize("text", [
    "", "1", "1.2", "v1.2.3", "01.2.3", "1.02.3", "1.2.3-", "1.2.3-01", "1.2.3+", "1.2.3-a..b", " 1.2.3",
    "1.2.3 ", "1.2.3-a b", "1.2.3-ä", "latest", "1.2.3.4", "-1.2.3", "1.2.3-" + "a" * 300,
    "99999999999999999999.0.0",
])
def test_invalid_versions_are_refused_with_a_field_error(text):
    with pytest.raises(Invalid) as info:
        parse_version(text)
    assert "version" in info.value.fields


@pytest.mark.parametrize("value", [None, 3, 1.0, ["1.0.0"]])
def test_non_strings_are_refused(value):
    with pytest.raises(Invalid):
        parse_version(value)


def test_release_sorts_above_its_prereleases_and_keys_are_printable():
    assert prerelease_key(None) > prerelease_key("rc.1") > prerelease_key("alpha")
    assert prerelease_key("alpha") < prerelease_key("alpha.1") < prerelease_key("alpha.beta")
    assert prerelease_key("2") < prerelease_key("11") < prerelease_key("a")


def test_next_major_starts_at_one_and_resets_minor_and_patch():
    assert next_major(None) == "1.0.0"
    assert next_major(parse_version("1.4.2")) == "2.0.0"
    assert next_major(parse_version("3.0.0-rc.1")) == "4.0.0"
