"""The compare page: two or more versions of a model side by side (metrics, parameters, metadata,
lineage), and the small form that remembers, per metric, whether higher or lower is better.

The Versions tab sends its ticked versions as ``versions=3,1`` (with its script) or as
``versions=3&versions=1`` (a plain form); both mean the same here. What cannot be compared (too
few, too many, unknown ids, another model's versions) answers a page that says why and lets the
user pick again, never an error without a way back.
"""
from __future__ import annotations

import dataclasses
import re

from flask import Blueprint, flash, redirect, request, url_for
from wtforms import HiddenField, SelectField, SubmitField
from wtforms.validators import DataRequired, Length

from ..errors import Invalid, RegistryError
from ..services import compare as compare_service
from ..services import registered_models as model_service
from ..services import read_models
from .context import access, actor, render_page
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from .forms import PageForm, choices, submitted_and_valid
from .messages import translate_message

M = "/projects/<string:project>/models/<int:model_id>"
#: how many of the model's versions the picker offers (newest first)
PICKER_VERSIONS = 50
GOAL_CHOICES = {"max": _l("Higher is better"), "min": _l("Lower is better"), "": _l("No goal")}
#: the most goals the Performance tab's form saves at once (it charts at most 12 metrics)
MAX_GOALS_AT_ONCE = 50
#: what a ``versions`` value handed back through the goal form may look like: ids and semantic versions
_VERSION_LIST = re.compile(r"^[0-9A-Za-z.,+\-]{1,2000}$")


class MetricGoalForm(PageForm):
    """Whether higher or lower is better for one metric of a model; ``versions`` is the comparison
    to return to (empty: the model's Performance tab)."""

    metric = HiddenField(validators=[DataRequired(), Length(max=250)])
    goal = SelectField(_l("Goal"), choices=choices(GOAL_CHOICES), default="")
    versions = HiddenField(validators=[Length(max=2000)])
    submit = SubmitField(_l("Save"))


def goal_form(metric: str, goal: str | None, versions: str = "") -> MetricGoalForm:
    """The goal form of one metric, filled with its current goal."""
    return MetricGoalForm(formdata=None, metric=metric, goal=goal or "", versions=versions)


@dataclasses.dataclass(frozen=True)
class BestSummary:
    """Which compared versions hold the best values, for the sentence above the tables."""

    #: metrics with a goal and at least one value among the compared versions
    judged: list[str]
    #: version id -> the metrics it has the best value of
    wins: dict[int, list[str]]
    #: the versions with the most best values (several on a tie); empty when nothing is judged
    leaders: list[int]
    #: version id -> its semantic version, to name the versions above
    names: dict[int, str]

    @property
    def leader_names(self) -> list[str]:
        return [self.names[vid] for vid in self.leaders]


def best_summary(comparison: compare_service.Comparison) -> BestSummary:
    judged = [row.key for row in comparison.metrics if row.best_version_ids]
    wins: dict[int, list[str]] = {col.version.id: [] for col in comparison.versions}
    for row in comparison.metrics:
        for version_id in row.best_version_ids:
            wins[version_id].append(row.key)
    most = max((len(keys) for keys in wins.values()), default=0)
    leaders = [vid for vid, keys in wins.items() if most and len(keys) == most]
    return BestSummary(judged=judged, wins=wins, leaders=leaders,
                       names={col.version.id: col.version.version for col in comparison.versions})


def requested_versions() -> str | None:
    """The ``versions`` argument, from either form, as one comma-separated list; None when absent."""
    values = request.args.getlist("versions")
    return ",".join(values) if values else None


def compare(project: str, model_id: int):
    project_access = access(project)
    who = actor()
    registered = model_service.get_model(project, who, model_id)
    model = read_models.model_ref(registered)
    wanted = requested_versions()
    problem = None
    if wanted is not None:
        try:
            comparison = compare_service.compare_versions(project, who, registered, wanted)
        except Invalid as exc:
            problem = translate_message(exc.fields.get("versions") or exc.message)
        else:
            canonical = ",".join(str(col.version.id) for col in comparison.versions)
            only_differences = request.args.get("differences") == "only"
            return render_page(
                "model_registry/compare.html", project, project_access, model=model, comparison=comparison,
                best=best_summary(comparison), versions_param=canonical, only_differences=only_differences,
                goal_forms={row.key: goal_form(row.key, row.goal, canonical) for row in comparison.metrics}
                if project_access.can_write else {})
    picker = read_models.list_versions(project, who, registered, per_page=PICKER_VERSIONS)
    ticked = {ref.strip() for ref in (wanted or "").split(",")}
    return render_page("model_registry/compare_pick.html", project, project_access,
                       status=422 if problem else 200, model=model, problem=problem, picker=picker,
                       ticked=ticked, max_compared=compare_service.MAX_COMPARED)


def set_metric_goal(project: str, model_id: int):
    access(project, "write")
    who = actor()
    registered = model_service.get_model(project, who, model_id)
    form = MetricGoalForm()
    pairs = list(zip(request.form.getlist("metric"), request.form.getlist("goal")))
    if len(pairs) > 1:
        # the Performance tab's one form: a goal for each charted metric, saved at once
        submitted_and_valid(form)  # the CSRF token; the pairs are checked by the service, one by one
        problems = []
        for metric, goal in pairs[:MAX_GOALS_AT_ONCE]:
            try:
                compare_service.set_metric_goal(project, who, registered, metric.strip(), goal or None)
            except RegistryError as exc:
                problems.append(f"{metric}: " + translate_message(exc.fields.get("goal") or exc.fields.get("metric")
                                                                  or exc.message))
        for problem in problems:
            flash(problem, "error")
        if not problems:
            flash(_("Metric goals saved."), "info")
        return redirect(url_for(".model", project=project, model_id=model_id, tab="performance"))
    if not submitted_and_valid(form):
        flash(_("Choose whether higher or lower is better for the metric."), "error")
    else:
        metric, goal = form.metric.data.strip(), form.goal.data or None
        try:
            compare_service.set_metric_goal(project, who, registered, metric, goal)
        except RegistryError as exc:
            flash(translate_message(exc.fields.get("goal") or exc.fields.get("metric") or exc.message), "error")
        else:
            flash(_("%(metric)s: higher is better.", metric=metric) if goal == "max"
                  else _("%(metric)s: lower is better.", metric=metric) if goal == "min"
                  else _("%(metric)s: no goal; no best value is marked.", metric=metric), "info")
    versions = form.versions.data or ""
    if _VERSION_LIST.match(versions):
        return redirect(url_for(".compare", project=project, model_id=model_id, versions=versions,
                                _anchor="mr-compare-metrics"))
    return redirect(url_for(".model", project=project, model_id=model_id, tab="performance"))


def register(bp: Blueprint) -> None:
    bp.add_url_rule(M + "/compare", "compare", compare)
    bp.add_url_rule(M + "/metric-goals", "set_metric_goal", set_metric_goal, methods=["POST"])
