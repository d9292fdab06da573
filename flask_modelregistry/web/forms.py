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

try:  # WTForms 3.3 and later name their choices; older versions take (value, label) pairs
    from wtforms.fields.choices import SelectChoice as _Choice
except ImportError:  # pragma: no cover - depends on the installed WTForms
    def _Choice(value: str, label: str) -> tuple[str, str]:  # type: ignore[no-redef]
        return (value, label)

MODEL_SORTS = {"created_at": "Created", "updated_at": "Updated", "name": "Name"}
ORDERS = {"desc": "Descending", "asc": "Ascending"}
VISIBILITIES = {
    "private": "Private: only project members can see models and versions.",
    "public": "Public: everyone can see models and versions; members with write access change them.",
}


def choices(options: dict[str, str]) -> list[t.Any]:
    return [_Choice(value, label) for value, label in options.items()]
KEY_VALUE_HINT = "One per line: name=value."
METRICS_HINT = "One per line: name=value, or name=v0, v1, v2 for values at steps 0, 1, 2."


def parse_key_values(text: str | None) -> dict[str, str]:
    """``name=value`` lines to a dict; blank lines and lines starting with ``#`` are skipped."""
    out: dict[str, str] = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise ValidationError(f"Line {number}: write name=value.")
        if key.strip() in out:
            raise ValidationError(f"Line {number}: {key.strip()} is given twice.")
        out[key.strip()] = value.strip()
    return out


def parse_metrics(text: str | None) -> list[dict[str, t.Any]]:
    """``name=value`` or ``name=v0, v1, v2`` lines to metric values at steps 0, 1, 2..."""
    metrics: list[dict[str, t.Any]] = []
    for key, values in parse_key_values(text).items():
        for step, raw in enumerate(values.split(",")):
            try:
                value = float(raw.strip())
            except ValueError:
                raise ValidationError(f"{key}: {raw.strip() or 'an empty value'} is not a number.") from None
            if math.isnan(value) and raw.strip().lower() != "nan":  # pragma: no cover - float() is strict
                raise ValidationError(f"{key}: not a number.")
            metrics.append({"key": key, "value": value, "step": step})
    return metrics


class ConfirmForm(FlaskForm):
    """A confirmation: nothing but the CSRF token; what it confirms is in the URL."""


class ModelForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(message="Enter a name."), Length(max=255)],
                       description="Unique in this project. Letters, digits, spaces and . _ - + @.")
    description = TextAreaField("Description", description="Optional. The model card, in Markdown.")
    submit = SubmitField("Create")


class ModelEditForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(message="Enter a name."), Length(max=255)])
    description = TextAreaField("Description", description="The model card, in Markdown: what the model does, "
                                                           "how to use it, its limits.")
    submit = SubmitField("Save changes")


class VersionForm(FlaskForm):
    version = StringField("Version", validators=[DataRequired(message="Enter a version, e.g. 1.0.0.")])
    description = TextAreaField("Description", description="Optional. The version card, in Markdown.")
    files = MultipleFileField("Choose files")
    subfolder = StringField("Subfolder", description="Optional. The folder to put the files in, e.g. config.")
    metrics = TextAreaField("Metrics", description=METRICS_HINT)
    params = TextAreaField("Parameters", description=KEY_VALUE_HINT)
    metadata = TextAreaField("Metadata", description=KEY_VALUE_HINT)
    submit = SubmitField("Create & import")

    def validate_metrics(self, field: t.Any) -> None:
        self.parsed_metrics = parse_metrics(field.data)

    def validate_params(self, field: t.Any) -> None:
        self.parsed_params = parse_key_values(field.data)

    def validate_metadata(self, field: t.Any) -> None:
        self.parsed_metadata = parse_key_values(field.data)


class VersionEditForm(FlaskForm):
    description = TextAreaField("Description", description="The version card, in Markdown.")
    submit = SubmitField("Save changes")


class UploadForm(FlaskForm):
    subfolder = StringField("Subfolder", description="Optional, e.g. config.")
    files = MultipleFileField("select")
    submit = SubmitField("Upload")


class SettingsForm(FlaskForm):
    enabled = BooleanField("Enable the model registry")
    visibility = RadioField("Visibility", choices=choices(VISIBILITIES),
                            validators=[DataRequired(message="Choose a visibility.")])
    submit = SubmitField("Save changes")


class ModelFilterForm(FlaskForm):
    class Meta:
        csrf = False

    search = SearchField("Search models")
    sort = SelectField("Sort by", choices=choices(MODEL_SORTS), default="created_at")
    order = SelectField("Order", choices=choices(ORDERS), default="desc")


class VersionFilterForm(FlaskForm):
    class Meta:
        csrf = False

    search = SearchField("Search versions")
    tab = HiddenField(default="versions")


def submitted_and_valid(form: FlaskForm) -> bool:
    """``validate_on_submit``, except that a missing or wrong CSRF token answers 400 at once: it is
    no mistake of the user's to show next to a field, and nothing may happen."""
    valid = form.validate_on_submit()
    if form.is_submitted() and "csrf_token" in form.errors:
        abort(400, "The form was missing its security token or it has expired. Reload the page and try again.")
    return valid


def show_service_error(form: FlaskForm, exc: RegistryError) -> None:
    """Put a service error next to the field it names (``metrics[2].value`` is the metrics field);
    what names no field of the form goes to ``form.form_errors``."""
    if not exc.fields:
        form.form_errors.append(exc.message[:1].upper() + exc.message[1:])
        return
    for key, message in exc.fields.items():
        name = key.split("[", 1)[0].split(".", 1)[0]
        field = form[name] if name in form else None
        if field is None:
            form.form_errors.append(f"{key}: {message}")
        else:
            field.errors = [*field.errors, message] if isinstance(field.errors, list) else [message]
