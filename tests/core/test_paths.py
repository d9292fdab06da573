"""Artifact paths are checked after decoding: nothing can climb out of a version's folder."""
from __future__ import annotations

import pytest

from flask_modelregistry.errors import BadRequest
from flask_modelregistry.paths import join_artifact_path, validate_artifact_path

HOSTILE = ["../x", "a/../../x", "..", ".", "./x", "a/./b", "/etc/passwd", "//server/share", "C:/Windows",
           "c:x", "a\\b", "..\\x", "a\x00b", "a/\x00", "a//b", "a/", "", "x" * 1000, "a/" + "b" * 256,
           "a\nb", "a\rb", "a\u202eb", " a", "a/ b", "a /b"]


@pytest.mark.parametrize("path", HOSTILE)
def test_hostile_paths_are_refused(path):
    with pytest.raises(BadRequest):
        validate_artifact_path(path)


@pytest.mark.parametrize("path", ["model.pkl", "config/params.yaml", "a/b/c/d.bin", "モデル/重み.bin",
                                  "weights-00001-of-00004.safetensors", "x" * 255, "with space.txt",
                                  "%2e%2e/x", "a..b", "...", ".hidden"])
def test_ordinary_paths_pass_unchanged(path):
    assert validate_artifact_path(path) == path


def test_join_subfolder_and_name():
    assert join_artifact_path("config", "a.yaml") == "config/a.yaml"
    assert join_artifact_path("", "a.yaml") == "a.yaml"
    assert join_artifact_path("/config/sub/", "a.yaml") == "config/sub/a.yaml"
    for folder, name in [("..", "a"), ("a", "../b"), ("a\\b", "c"), ("a", "")]:
        with pytest.raises(BadRequest):
            join_artifact_path(folder, name)
