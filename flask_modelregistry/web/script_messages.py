"""What the page scripts say, in the page's language.

The scripts hold no English of their own: every page carries these strings, translated, as
JSON in ``<script type="application/json" id="mr-i18n">`` (with the page's locale on the registry's
root element), and ``registry.js`` reads them (``ModelRegistryI18n.t(key, {name: value})``).
A string with a count is a pair (one, other), chosen by the count in the script.
"""
from __future__ import annotations

import typing as t

from ..i18n import get_locale, plural_template
from ..i18n import lazy_gettext as _l

MESSAGES: dict[str, t.Any] = {
    # registry.js
    "copied": _l("Copied"),
    "checked_count": _l("%(count)s of %(total)s selected"),
    "tick_files_first": _l("Tick the files to delete first."),
    "delete": _l("Delete"),
    "compare_selected": _l("%(count)s versions selected."),
    "compare_hint": _l("Tick two or more versions to compare them."),
    "write": _l("Write"),
    "preview": _l("Preview"),
    "preview_loading": _l("Loading the preview…"),
    "preview_empty": _l("Nothing to preview."),
    "preview_failed": _l("The preview could not be loaded."),
    "semver_invalid": _l("Must be a semantic version (MAJOR.MINOR.PATCH, e.g. 1.0.0 or 2.0.1-rc2)."),
    "version_required": _l("Enter a version, e.g. 1.0.0."),
    # uploads.js
    "waiting": _l("Waiting"),
    "uploading_percent": _l("Uploading %(percent)s%%"),
    "uploaded": _l("Uploaded"),
    "failed": _l("Failed: %(problem)s"),
    "connection_broke": _l("the connection broke"),
    "connection_failed": _l("the connection failed"),
    "server_answered": _l("the server answered %(status)s"),
    "bucket_answered": _l("the bucket answered %(status)s"),
    "larger_than_limit": _l("the file is larger than the limit"),
    "not_sent_too_large": _l("Not sent: larger than %(size)s"),
    "canceled": _l("Canceled"),
    "cancel": _l("Cancel"),
    "cancel_path": _l("Cancel %(path)s"),
    "progress_of": _l("Progress of %(path)s"),
    "remove_path": _l("Remove %(path)s"),
    "select_first": _l("Select files first, or drop them on the drop area."),
    "uploaded_reload": _l("Uploaded; reload the page to see the files."),
    "subfolder_backslash": _l("Use / between folders, not \\."),
    "subfolder_dots": _l("Folders can't be empty, . or .."),
    "subfolder_spaces": _l("Folder names can't contain spaces."),
    "picked_summary": _l("%(count)s chosen, %(size)s in all. Choose Upload to send them."),
    "uploads_summary": _l("%(done)s uploaded, %(failed)s failed, %(running)s in progress."),
    "too_large_suffix": _l("too large"),
    # create-import.js
    "line_write_name_value": _l("Line %(num)s: write name=value."),
    "line_given_twice": _l("Line %(num)s: %(key)s is given twice."),
    "not_a_number": _l("%(key)s: %(value)s is not a number."),
    "an_empty_value": _l("an empty value"),
    "files_too_large": _l("%(names)s: larger than %(size)s. Split large models into parts."),
    "two_files_named": _l("Two files are named %(name)s."),
    "creating_version": _l("Creating the version…"),
    "version_created": _l("Version %(version)s created."),
    "version_not_created": _l("The version was not created: %(problem)s"),
    "done": _l("Done."),
    "removing_incomplete": _l("Removing the incomplete version…"),
    "removed_with_version": _l("Removed with the version"),
    "failed_file": _l("%(path)s failed (%(problem)s)"),
    "canceled_file": _l("%(path)s was canceled"),
    "not_created_because": _l("The version was not created, because %(reasons)s. Nothing was kept; fix the files and try again."),
    "connection_broke_check": _l("The connection to the server broke. Check the model's versions before trying again."),
}


def _plural_forms() -> dict[str, list[str]]:
    """Strings with a count, as (one, other) templates; the script fills ``%(num)s``."""
    return {
        "uploading_files": [plural_template("Uploading %(num)s file…", "Uploading %(num)s files…", n) for n in (1, 2)],
        "delete_files_message": [plural_template("This file will be deleted. This cannot be undone.",
                                                 "These %(num)s files will be deleted. This cannot be undone.", n)
                                 for n in (1, 2)],
        "size_bytes": [plural_template("%(num)s byte", "%(num)s bytes", n) for n in (1, 2)],
        "tick_two": [plural_template("Tick at least %(num)s version to compare.",
                                     "Tick at least %(num)s versions to compare.", n) for n in (1, 2)],
    }


def script_messages() -> dict[str, t.Any]:
    """The scripts' strings in the page's language, with the locale, ready for ``tojson``."""
    return {"locale": get_locale(), "messages": {key: str(text) for key, text in MESSAGES.items()},
            "plurals": _plural_forms()}
