"""The webhooks page of a project's registry settings, for maintainers: list, create, edit,
disable, delete (after confirmation), "Send test", and each webhook's delivery log with "Redeliver"."""
from __future__ import annotations

import typing as t

from flask import Blueprint, flash, redirect, request, url_for
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField, SubmitField, TextAreaField, URLField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget
from wtforms.fields import SelectMultipleField

from ..errors import RegistryError
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..services import events as event_catalog
from ..services import webhooks as webhook_service
from .context import access, actor, render_page
from .forms import ConfirmForm, choices, show_service_error, submitted_and_valid

P = "/projects/<string:project>/model-registry/webhooks"
H = P + "/<int:webhook_id>"

EVENT_LABELS = {
    "registered_model.created": _l("A model is created"),
    "model_version.created": _l("A version is created"),
    "model_version_tag.set": _l("A version's tag (metadata) is set"),
    "model_version_tag.deleted": _l("A version's tag (metadata) is deleted"),
    "model_version_alias.created": _l("An alias is set on a version"),
    "model_version_alias.deleted": _l("An alias is deleted"),
    "registered_model.deleted": _l("A model is deleted"),
    "model_version.deleted": _l("A version is deleted"),
    "model_version.published": _l("A version publishes its semantic version"),
    "model_version_file.created": _l("A file is added to a version"),
    "model_version_file.deleted": _l("A file is deleted from a version"),
}


class EventsField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class WebhookForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(message=_l("Enter a name.")), Length(max=63)],
                       description=_l("1 to 63 letters, digits, . _ and -, starting and ending with a letter or digit."))
    url = URLField(_l("URL"), validators=[DataRequired(message=_l("Enter the receiver's URL."))],
                   description=_l("An http:// or https:// URL of a public address."))
    events = EventsField(_l("Events"), choices=choices({e: EVENT_LABELS[e] for e in event_catalog.EVENTS}))
    secret = PasswordField(_l("Secret"), description=_l("Optional. Signs every delivery (X-MLflow-Signature). "
                                                        "It is never shown again."))
    remove_secret = BooleanField(_l("Remove the secret (deliveries are then unsigned)"))
    description = TextAreaField(_l("Description"), description=_l("Optional."))
    submit = SubmitField(_l("Save webhook"))

    def validate_events(self, field: t.Any) -> None:
        from wtforms.validators import ValidationError

        if not field.data:
            raise ValidationError(_("Pick at least one event."))


def webhooks(project: str):
    project_access = access(project, "admin")
    result = webhook_service.list_webhooks(project, actor(), page=request.args.get("page", type=int))
    return render_page("model_registry/webhooks/list.html", project, project_access, result=result,
                       labels=EVENT_LABELS, action_form=ConfirmForm())


def new_webhook(project: str):
    project_access = access(project, "admin")
    form = WebhookForm()
    del form.remove_secret
    if request.method == "GET":
        form.events.data = ["model_version.created"]
    failure = 422
    if submitted_and_valid(form):
        try:
            hook = webhook_service.create_webhook(project, actor(), name=form.name.data, url=form.url.data,
                                                  events=form.events.data, secret=form.secret.data or None,
                                                  description=form.description.data or "")
        except RegistryError as exc:
            show_service_error(form, exc)
            failure = exc.status
        else:
            flash(_("Webhook %(name)s created.", name=hook.name), "info")
            return redirect(url_for(".webhook", project=project, webhook_id=hook.id))
    status = failure if form.is_submitted() else 200
    return render_page("model_registry/webhooks/form.html", project, project_access, status=status, form=form,
                       hook=None)


def edit_webhook(project: str, webhook_id: int):
    project_access = access(project, "admin")
    handle = webhook_service.get_webhook(project, actor(), webhook_id)
    hook = webhook_service.webhook_view(handle)
    form = WebhookForm(obj=hook)
    failure = 422
    if submitted_and_valid(form):
        changes: dict[str, t.Any] = {}
        if form.remove_secret.data:
            changes["secret"] = ""
        elif form.secret.data:
            changes["secret"] = form.secret.data
        try:
            saved = webhook_service.update_webhook(
                project, actor(), handle, name=form.name.data, url=form.url.data, events=form.events.data,
                description=form.description.data or "", **changes)
        except RegistryError as exc:
            show_service_error(form, exc)
            failure = exc.status
        else:
            flash(_("Webhook %(name)s saved.", name=saved.name), "info")
            return redirect(url_for(".webhook", project=project, webhook_id=hook.id))
    status = failure if form.is_submitted() else 200
    return render_page("model_registry/webhooks/form.html", project, project_access, status=status, form=form,
                       hook=hook)


def webhook(project: str, webhook_id: int):
    """A webhook and its delivery log: each delivery with every attempt."""
    project_access = access(project, "admin")
    handle = webhook_service.get_webhook(project, actor(), webhook_id)
    log = webhook_service.list_deliveries(project, actor(), handle, page=request.args.get("page", type=int))
    return render_page("model_registry/webhooks/show.html", project, project_access,
                       hook=webhook_service.webhook_view(handle), log=log,
                       labels=EVENT_LABELS, action_form=ConfirmForm())


def _post_only(form: FlaskForm) -> None:
    submitted_and_valid(form)  # a missing or wrong CSRF token is a 400 here


def set_status(project: str, webhook_id: int):
    access(project, "admin")
    handle = webhook_service.get_webhook(project, actor(), webhook_id)
    _post_only(ConfirmForm())
    hook = webhook_service.webhook_view(handle)
    status = "DISABLED" if hook.status == "ACTIVE" else "ACTIVE"
    webhook_service.update_webhook(project, actor(), handle, status=status)
    if status == "DISABLED":
        flash(_("Webhook %(name)s disabled: deliveries wait until it is enabled.", name=hook.name), "info")
    else:
        flash(_("Webhook %(name)s enabled.", name=hook.name), "info")
    return redirect(request.form.get("next") == "list" and url_for(".webhooks", project=project)
                    or url_for(".webhook", project=project, webhook_id=hook.id))


def send_test(project: str, webhook_id: int):
    access(project, "admin")
    handle = webhook_service.get_webhook(project, actor(), webhook_id)
    _post_only(ConfirmForm())
    result = webhook_service.test_webhook(project, actor(), handle)
    if result.success:
        flash(_("Test delivered: the receiver answered %(status)s in %(ms)s ms.", status=result.status, ms=result.duration_ms), "info")
    elif result.status is not None:
        flash(_("Test not accepted: the receiver answered %(status)s.", status=result.status), "error")
    else:
        flash(_("Test failed: %(error)s", error=result.error), "error")
    return redirect(url_for(".webhook", project=project, webhook_id=webhook_id))


def redeliver(project: str, webhook_id: int, delivery: int):
    access(project, "admin")
    hook = webhook_service.get_webhook(project, actor(), webhook_id)
    _post_only(ConfirmForm())
    found = webhook_service.get_delivery(project, actor(), hook, delivery)
    queued = webhook_service.redeliver(project, actor(), hook, found)
    flash(_("Delivery %(id)s queued again; it is sent within seconds.", id=queued.delivery_id), "info")
    return redirect(url_for(".webhook", project=project, webhook_id=webhook_id))


def delete_webhook(project: str, webhook_id: int):
    project_access = access(project, "admin")
    handle = webhook_service.get_webhook(project, actor(), webhook_id)
    hook = webhook_service.webhook_view(handle)
    form = ConfirmForm()
    if request.method == "POST":
        _post_only(form)
        webhook_service.delete_webhook(project, actor(), handle)
        flash(_("Webhook %(name)s and its delivery log were deleted.", name=hook.name), "info")
        return redirect(url_for(".webhooks", project=project))
    return render_page(
        "model_registry/confirm.html", project, project_access, form=form, heading=_("Delete webhook %(name)s?", name=hook.name),
        message=_("Deliveries to %(url)s stop, and the webhook's delivery log is deleted. It cannot be undone.",
                  url=hook.url),
        items=[], confirm_label=_("Delete webhook"),
        action=url_for(".delete_webhook", project=project, webhook_id=hook.id),
        cancel_url=url_for(".webhook", project=project, webhook_id=hook.id))


def register(bp: Blueprint) -> None:
    bp.add_url_rule(P, "webhooks", webhooks)
    bp.add_url_rule(P + "/new", "new_webhook", new_webhook, methods=["GET", "POST"])
    bp.add_url_rule(H, "webhook", webhook)
    bp.add_url_rule(H + "/edit", "edit_webhook", edit_webhook, methods=["GET", "POST"])
    bp.add_url_rule(H + "/status", "webhook_status", set_status, methods=["POST"])
    bp.add_url_rule(H + "/test", "test_webhook", send_test, methods=["POST"])
    bp.add_url_rule(H + "/deliveries/<int:delivery>/redeliver", "redeliver_webhook", redeliver, methods=["POST"])
    bp.add_url_rule(H + "/delete", "delete_webhook", delete_webhook, methods=["GET", "POST"])
