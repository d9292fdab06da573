"""The pages' forms. Every form that changes something carries a CSRF token (Flask-WTF); the
filter forms are GET forms without one. Forms only parse what the user typed; the rules
(semantic versions, unique names, limits) are the service layer's, and its errors are shown
next to the field they concern."""
from __future__ import annotations

import math
import typing as t

from flask import abort
from flask_wtf import FlaskForm
from wtforms import (BooleanField, HiddenField, MultipleFileField, RadioField, SearchField, SelectField, StringField,
                     SubmitField, TextAreaField)
from wtforms.validators import DataRequired, Length, ValidationError

from ..errors import RegistryError
from ..i18n import get_locale, gettext
from ..i18n import lazy_gettext as _l
from .messages import translate_message
from ..text import as_double

try:  # WTForms 3.3 and later name their choices; older versions take (value, label) pairs
    from wtforms.fields.choices import SelectChoice as _Choice
except ImportError:  # pragma: no cover - depends on the installed WTForms
    def _Choice(value: str, label: str) -> tuple[str, str]:  # type: ignore[no-redef]
        return (value, label)

MODEL_SORTS = {"created_at": _l("Created"), "updated_at": _l("Updated"), "name": _l("Name")}
VERSION_SORTS = {"version": _l("Version"), "created_at": _l("Created")}
ORDERS = {"desc": _l("Descending"), "asc": _l("Ascending")}
ROLE_LABELS = {"guest": _l("Guest"), "reporter": _l("Reporter"), "developer": _l("Developer"),
               "maintainer": _l("Maintainer"), "owner": _l("Owner")}
VISIBILITIES = {
    "private": _l("Private: only project members can see models and versions."),
    "public": _l("Public: everyone can see models and versions; members with write access change them."),
}


def choices(options: dict[str, str]) -> list[t.Any]:
    return [_Choice(value, label) for value, label in options.items()]
KEY_VALUE_HINT = _l("One per line: name=value.")
METRICS_HINT = _l("One per line: name=value, or name=v0, v1, v2 for values at steps 0, 1, 2.")


def parse_key_values(text: str | None) -> dict[str, str]:
    """``name=value`` lines to a dict; blank lines and lines starting with ``#`` are skipped."""
    out: dict[str, str] = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise ValidationError(gettext("Line %(num)s: write name=value.", num=number))
        if key.strip() in out:
            raise ValidationError(gettext("Line %(num)s: %(key)s is given twice.", num=number, key=key.strip()))
        out[key.strip()] = value.strip()
    return out


def parse_metrics(text: str | None) -> list[dict[str, t.Any]]:
    """``name=value`` or ``name=v0, v1, v2`` lines to metric values at steps 0, 1, 2..."""
    metrics: list[dict[str, t.Any]] = []
    for key, values in parse_key_values(text).items():
        for step, raw in enumerate(values.split(",")):
            try:
                value = as_double(raw.strip())
            except OverflowError:
                raise ValidationError(gettext("%(key)s: %(value)s is outside a double's range (about ±1.8e308).",
                                              key=key, value=raw.strip())) from None
            except ValueError:
                raise ValidationError(gettext("%(key)s: %(value)s is not a number.", key=key,
                                              value=raw.strip() or gettext("an empty value"))) from None
            if math.isnan(value) and raw.strip().lower() != "nan":  # pragma: no cover - float() is strict
                raise ValidationError(gettext("%(key)s: not a number.", key=key))
            metrics.append({"key": key, "value": value, "step": step})
    return metrics


class PageForm(FlaskForm):
    """A form of the pages: WTForms' own messages in the page's language."""

    class Meta:
        def get_translations(self, form: t.Any) -> t.Any:
            from wtforms.i18n import get_translations

            return get_translations([get_locale()])


class ConfirmForm(PageForm):
    """A confirmation: nothing but the CSRF token; what it confirms is in the URL."""


class ModelForm(PageForm):
    name = StringField(_l("Name"), validators=[DataRequired(message=_l("Enter a name.")), Length(max=255)],
                       description=_l("Unique in this project. Letters, digits, spaces and . _ - + @."))
    description = TextAreaField(_l("Description"), description=_l("Optional. The model card, in Markdown."))
    submit = SubmitField(_l("Create"))


class ModelEditForm(PageForm):
    name = StringField(_l("Name"), validators=[DataRequired(message=_l("Enter a name.")), Length(max=255)])
    description = TextAreaField(_l("Description"), description=_l("The model card, in Markdown: what the model does, "
                                                                  "how to use it, its limits."))
    submit = SubmitField(_l("Save changes"))


class VersionForm(PageForm):
    version = StringField(_l("Version"), validators=[DataRequired(message=_l("Enter a version, e.g. 1.0.0."))])
    description = TextAreaField(_l("Description"), description=_l("Optional. The version card, in Markdown."))
    files = MultipleFileField(_l("Choose files"))
    subfolder = StringField(_l("Subfolder"), description=_l("Optional. The folder to put the files in, e.g. config."))
    metrics = TextAreaField(_l("Metrics"), description=METRICS_HINT)
    params = TextAreaField(_l("Parameters"), description=KEY_VALUE_HINT)
    metadata = TextAreaField(_l("Metadata"), description=KEY_VALUE_HINT)
    submit = SubmitField(_l("Create & import"))

    def validate_metrics(self, field: t.Any) -> None:
        self.parsed_metrics = parse_metrics(field.data)

    def validate_params(self, field: t.Any) -> None:
        self.parsed_params = parse_key_values(field.data)

    def validate_metadata(self, field: t.Any) -> None:
        self.parsed_metadata = parse_key_values(field.data)


class VersionEditForm(PageForm):
    description = TextAreaField(_l("Description"), description=_l("The version card, in Markdown."))
    submit = SubmitField(_l("Save changes"))


class UploadForm(PageForm):
    subfolder = StringField(_l("Subfolder"), description=_l("Optional, e.g. config. No spaces."))
    files = MultipleFileField(_l("select"))
    submit = SubmitField(_l("Upload"))


class SettingsForm(PageForm):
    enabled = BooleanField(_l("Enable the model registry"))
    visibility = RadioField(_l("Visibility"), choices=choices(VISIBILITIES),
                            validators=[DataRequired(message=_l("Choose a visibility."))])
    submit = SubmitField(_l("Save changes"))


class ModelFilterForm(PageForm):
    class Meta:
        csrf = False

    search = SearchField(_l("Search models"))
    sort = SelectField(_l("Sort by"), choices=choices(MODEL_SORTS), default="created_at")
    order = SelectField(_l("Order"), choices=choices(ORDERS), default="desc")


class VersionFilterForm(PageForm):
    class Meta:
        csrf = False

    search = SearchField(_l("Search versions"))
    sort = SelectField(_l("Sort by"), choices=choices(VERSION_SORTS), default="version")
    order = SelectField(_l("Order"), choices=choices(ORDERS), default="desc")
    tab = HiddenField(default="versions")


def submitted_and_valid(form: FlaskForm) -> bool:
    """``validate_on_submit``, except that a missing or wrong CSRF token answers 400 at once: it is
    no mistake of the user's to show next to a field, and nothing may happen."""
    valid = form.validate_on_submit()
    if form.is_submitted() and "csrf_token" in form.errors:
        abort(400, gettext("The form was missing its security token or it has expired. Reload the page and try again."))
    return valid


def show_service_error(form: FlaskForm, exc: RegistryError) -> None:
    """Put a service error next to the field it names (``metrics[2].value`` is the metrics field);
    what names no field of the form goes to ``form.form_errors``."""
    if not exc.fields:
        form.form_errors.append(translate_message(exc.message))
        return
    for key, message in exc.fields.items():
        name = key.split("[", 1)[0].split(".", 1)[0]
        field = form[name] if name in form else None
        if field is None:
            form.form_errors.append(f"{key}: {translate_message(message)}")
        else:
            message = translate_message(message, sentence=False)
            field.errors = [*field.errors, message] if isinstance(field.errors, list) else [message]
