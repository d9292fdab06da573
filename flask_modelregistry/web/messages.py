"""The service layer's messages in the page's language.

Services raise English messages (the JSON and MLflow APIs answer them as they are). The pages
translate them at the door: each message a page may show is matched here by a pattern and
rewritten from the catalogue, with the parts that vary (a name, a number) carried over.
A message no pattern knows is shown as it came, in English.
"""
from __future__ import annotations

import re
import typing as t

from ..i18n import gettext, lazy_gettext as _l

#: (pattern of the English message, its translation with the pattern's named groups)
PATTERNS: list[tuple[re.Pattern[str], t.Any]] = [(re.compile(f"^{pattern}$", re.S), text) for pattern, text in [
    # fields
    (r"Can't be blank\.", _l("Can't be blank.")),
    (r"Must be a string\.", _l("Must be a string.")),
    (r"Must be at most (?P<num>\d+) characters\.", _l("Must be at most %(num)s characters.")),
    (r"Must not contain control characters\.", _l("Must not contain control characters.")),
    (r"Must not contain NUL characters\.", _l("Must not contain NUL characters.")),
    (r"Must not contain invisible characters\.", _l("Must not contain invisible characters.")),
    (r"Has already been taken\.", _l("Has already been taken.")),
    (r"Use letters, digits, spaces and \. _ - \+ @; start with a letter or digit\.",
     _l("Use letters, digits, spaces and . _ - + @; start with a letter or digit.")),
    (r"Must be a semantic version, e\.g\. 1\.0\.0\.", _l("Must be a semantic version, e.g. 1.0.0.")),
    (r"Must be a semantic version \(MAJOR\.MINOR\.PATCH, e\.g\. 1\.0\.0 or 2\.0\.1-rc2\)\.",
     _l("Must be a semantic version (MAJOR.MINOR.PATCH, e.g. 1.0.0 or 2.0.1-rc2).")),
    (r"Each number must fit in 63 bits\.", _l("Each number must fit in 63 bits.")),
    (r"Prerelease number too long\.", _l("Prerelease number too long.")),
    (r"Use fewer prerelease identifiers \(e\.g\. 1\.0\.0-rc\.1\)\.", _l("Use fewer prerelease identifiers (e.g. 1.0.0-rc.1).")),
    (r"Version (?P<version>.+) already exists\.", _l("Version %(version)s already exists.")),
    (r"A file with this path already exists\.", _l("A file with this path already exists.")),
    (r"Two files are named (?P<path>.+)\.", _l("Two files are named %(path)s.")),
    (r"Folder names can't contain spaces\.", _l("Folder names can't contain spaces.")),
    (r"Must be an object of string keys and values\.", _l("Must be an object of string keys and values.")),
    (r"At most (?P<num>\d+) entries\.", _l("At most %(num)s entries.")),
    (r"Keys must be non-empty strings of at most (?P<num>\d+) characters\.",
     _l("Keys must be non-empty strings of at most %(num)s characters.")),
    (r"The value of (?P<key>.+) must be a string\.", _l("The value of %(key)s must be a string.")),
    (r"The value of (?P<key>.+) must be at most (?P<num>\d+) characters\.",
     _l("The value of %(key)s must be at most %(num)s characters.")),
    (r"Must be public or private\.", _l("Must be public or private.")),
    (r"Must be max \(higher is better\) or min\.", _l("Must be max (higher is better) or min.")),
    (r"Pick at least two versions\.", _l("Pick at least two versions.")),
    (r"Pick at most (?P<num>\d+) versions\.", _l("Pick at most %(num)s versions.")),
    (r"No version (?P<version>.+) in this model\.", _l("No version %(version)s in this model.")),
    (r"Give version ids \(or semantic versions\) separated by commas\.",
     _l("Give version ids (or semantic versions) separated by commas.")),
    (r"Give version ids separated by commas\.", _l("Give version ids separated by commas.")),
    (r"Give metric keys separated by commas\.", _l("Give metric keys separated by commas.")),
    (r"At most (?P<num>\d+) metrics at once\.", _l("At most %(num)s metrics at once.")),
    (r"Must be one of (?P<values>.+)\.", _l("Must be one of %(values)s.")),
    # webhooks (services/webhooks.py, webhooks/targets.py)
    (r"Give an http:// or https:// URL\.", _l("Give an http:// or https:// URL.")),
    (r"Only http:// and https:// URLs are allowed\.", _l("Only http:// and https:// URLs are allowed.")),
    (r"The URL must be at most (?P<num>\d+) characters\.", _l("The URL must be at most %(num)s characters.")),
    (r"The URL must not contain spaces or control characters\.",
     _l("The URL must not contain spaces or control characters.")),
    (r"The URL is not valid\.", _l("The URL is not valid.")),
    (r"The URL must name a host\.", _l("The URL must name a host.")),
    (r"The URL must not contain a user name or password; use the secret to authenticate\.",
     _l("The URL must not contain a user name or password; use the secret to authenticate.")),
    (r"The URL's host name is not valid\.", _l("The URL's host name is not valid.")),
    (r"The URL points to (?P<address>.+), a loopback, private, link-local or reserved address; webhooks may only "
     r"go to public addresses\.", _l("The URL points to %(address)s, a loopback, private, link-local or reserved "
                                    "address; webhooks may only go to public addresses.")),
    (r"The URL names a host of the local network; webhooks may only go to public addresses\.",
     _l("The URL names a host of the local network; webhooks may only go to public addresses.")),
    (r"Use 1-63 letters, digits, \. _ -; start and end with a letter or digit\.",
     _l("Use 1-63 letters, digits, . _ -; start and end with a letter or digit.")),
    (r"Pick at least one event\.", _l("Pick at least one event.")),
    (r"Unknown event: (?P<event>.+)\.", _l("Unknown event: %(event)s.")),
    (r"At most (?P<num>\d+) characters\.", _l("At most %(num)s characters.")),
    # "<file name>: <what paths.py says>" (uploads.py)
    (r"(?P<name>.+): (?P<problem>(?:path|file name|subfolder) .+?)\.?", None),
    # whole messages
    (r"[Tt]he (?P<role>\w+) role or above is needed to make changes", _l("The %(role)s role or above is needed to make changes.")),
    (r"[Tt]his token has the read_api scope and cannot make changes", _l("This token has the read_api scope and cannot make changes.")),
    (r"[Oo]nly maintainers may change the registry's settings", _l("Only maintainers may change the registry's settings.")),
    (r"[Aa] model named (?P<name>.+) already exists", _l("A model named %(name)s already exists.")),
    (r"[Vv]ersion (?P<version>\S+) of (?P<model>.+) already exists(?P<detail>.*)", _l("Version %(version)s of %(model)s already exists.")),
    (r"[Tt]he database is busy; try again", _l("The database is busy; try again.")),
    (r"[Tt]he database cannot be reached; try again( later)?\.?", _l("The database cannot be reached; try again later.")),
    (r"[Ff]ile is larger than the limit of (?P<num>\d+) bytes", _l("The file is larger than the limit of %(num)s bytes.")),
    (r"(?P<path>.+) already exists", _l("%(path)s already exists.")),
    (r"[Tt]he upload ended before the declared Content-Length", _l("The upload ended before it was complete.")),
    (r"(?P<path>.+) is being replaced by other uploads at the same time; try again",
     _l("%(path)s is being replaced by other uploads at the same time; try again.")),
    (r"[Nn]o such artifact: '(?P<path>.+)'", _l("No such file: %(path)s.")),
    (r"[Pp]ick at least two versions to compare", _l("Pick at least two versions to compare.")),
    (r"[Aa]t most (?P<num>\d+) versions can be compared at once", _l("At most %(num)s versions can be compared at once.")),
    (r"[Tt]he version could not be created because of concurrent changes; try again",
     _l("The version could not be created because of concurrent changes; try again.")),
    # the semver guard (services/semver_guard.py)
    (r"No earlier release to compare with\.", _l("No earlier release to compare with.")),
    (r"Version (?P<version>.+) has no model signature \(an MLmodel file with one\) to compare\.",
     _l("Version %(version)s has no model signature (an MLmodel file with one) to compare.")),
    (r"Breaking changes since (?P<version>.+) call for a (?P<needed>\w+) version, but this is a (?P<bump>\w+) bump\.",
     _l("Breaking changes since %(version)s call for a %(needed)s version, but this is a %(bump)s bump.")),
    (r"New features since (?P<version>.+) call for a minor version, but this is a (?P<bump>\w+) bump\.",
     _l("New features since %(version)s call for a minor version, but this is a %(bump)s bump.")),
    (r"The signature is the same as (?P<version>.+)'s\.", _l("The signature is the same as %(version)s's.")),
    (r"The (?P<bump>\w+) bump matches the changes since (?P<version>.+)\.",
     _l("The %(bump)s bump matches the changes since %(version)s.")),
    (r"new (?P<kind>required|optional) input (?P<name>.+)", _l("new %(kind)s input %(name)s")),
    (r"input (?P<name>.+) changed type from (?P<before>\S+) to (?P<after>\S+)",
     _l("input %(name)s changed type from %(before)s to %(after)s")),
    (r"input (?P<name>.+) became required", _l("input %(name)s became required")),
    (r"output (?P<name>.+) was removed", _l("output %(name)s was removed")),
    (r"output (?P<name>.+) changed type from (?P<before>\S+) to (?P<after>\S+)",
     _l("output %(name)s changed type from %(before)s to %(after)s")),
    (r"new output (?P<name>.+)", _l("new output %(name)s")),
    (r"[Tt]he store is full.*|[Nn]ot enough space.*|[Ii]nsufficient storage.*", _l("There is not enough storage space left for this file.")),
]]

#: words inside messages (the kind of a version bump, of an input), by the group that holds them
WORDS = {
    "major": _l("major"), "minor": _l("minor"), "patch": _l("patch"), "none": _l("no"),
    "required": _l("required"), "optional": _l("optional"),
    "guest": _l("Guest"), "reporter": _l("Reporter"), "developer": _l("Developer"), "maintainer": _l("Maintainer"),
    "owner": _l("Owner"),
}
WORD_GROUPS = ("bump", "needed", "kind", "role")


def _fill(template: t.Any, groups: dict[str, str]) -> str:
    values = {key: str(WORDS[value]) if key in WORD_GROUPS and value in WORDS else value
              for key, value in groups.items()}
    return str(template) % values if values else str(template)


#: what :func:`validate_artifact_path` says about a subfolder or a file name (``what`` is first)
PATH_PROBLEMS: list[tuple[re.Pattern[str], t.Any]] = [(re.compile(f"^{pattern}$"), text) for pattern, text in [
    (r"must be a string", _l("must be a string")),
    (r"is empty", _l("is empty")),
    (r"is longer than (?P<num>\d+) characters", _l("is longer than %(num)s characters")),
    (r"must be relative", _l("must be relative")),
    (r"must not contain a backslash", _l("must not contain a backslash")),
    (r"must not contain control characters", _l("must not contain control characters")),
    (r"must not contain empty segments", _l("must not contain empty segments")),
    (r"must not contain '\.' or '\.\.' segments", _l("must not contain '.' or '..' segments")),
    (r"is not normalised", _l("is not normalised")),
    (r"must not contain spaces", _l("must not contain spaces")),
]]
_SEGMENT = re.compile(r"^(?:each segment of|segments of) (?P<what>\w+) (?P<rest>must .+)$")
_SEGMENT_TEXTS = {
    "must be at most": _l("Each folder or file name must be at most %(num)s characters."),
    "must not start or end with spaces": _l("Folder and file names must not start or end with spaces."),
}


def _path_problem(rest: str) -> str | None:
    for pattern, text in PATH_PROBLEMS:
        match = pattern.match(rest)
        if match:
            return str(text) % match.groupdict() if match.groupdict() else str(text)
    return None


def _path_message(message: str) -> str | None:
    """``subfolder must be relative`` -> "Subfolder: must be relative." in the page's language."""
    body = message.rstrip(".")
    segment = _SEGMENT.match(body[:1].lower() + body[1:])
    if segment:
        rest = segment.group("rest")
        number = re.search(r"\d+", rest)
        for start, text in _SEGMENT_TEXTS.items():
            if rest.startswith(start):
                return str(text) % {"num": number.group(0)} if number else str(text)
        return None
    for what, label in (("subfolder", _l("Subfolder")), ("path", _l("Path")), ("file name", _l("File name"))):
        if body.lower().startswith(what + " "):
            problem = _path_problem(body[len(what) + 1:])
            if problem:
                return gettext("%(what)s: %(problem)s.", what=str(label), problem=problem)
    return None


def translate_message(message: t.Any, *, sentence: bool = True) -> str:
    """``message`` from the services in the page's language (as it came when no pattern knows it;
    with ``sentence``, starting with a capital letter)."""
    if message is None:
        return ""
    text = str(message).strip()
    translated = _path_message(text)
    if translated:
        return translated
    for pattern, template in PATTERNS:
        match = pattern.match(text)
        if not match:
            continue
        if template is None:
            groups = match.groupdict()
            if "problem" in groups:  # "<file name>: <path problem>"
                problem = _path_message(groups["problem"])
                if problem:
                    return f"{groups['name']}: {problem}"
            continue
        return _fill(template, match.groupdict())
    return text[:1].upper() + text[1:] if sentence else text
