"""The model page's Performance tab: a chart of each chosen metric across the model's versions,
in semantic version order or by creation date, releases joined by a line and prereleases drawn
apart (hollow marks, their own legend entry)."""
from __future__ import annotations

import dataclasses
import typing as t

from markupsafe import Markup

from ..charts import Point, Series, format_number, line_chart
from ..errors import Invalid
from ..services import evolution as evolution_service
from ..services.identity import Actor
from .messages import translate_message
from ..i18n import format_when as full_datetime
from ..i18n import gettext as _

#: metrics charted when the user has not chosen any
DEFAULT_CHARTS = 8
#: the most charts one page draws
MAX_CHARTS = 12
PRERELEASE_COLOR = "#9e5400"


@dataclasses.dataclass(frozen=True)
class EvolutionChart:
    key: str
    goal: str | None
    svg: Markup
    #: the plotted points, one per version with a value, in the chart's order
    points: list[evolution_service.EvolutionPoint]
    best: evolution_service.EvolutionPoint | None
    nan_versions: list[str]


@dataclasses.dataclass(frozen=True)
class EvolutionPanel:
    order: str
    available: list[str]
    chosen: list[str]
    #: True when the user picked the metrics (else the first ``DEFAULT_CHARTS`` are shown)
    picked: bool
    charts: list[EvolutionChart]
    version_count: int
    has_prereleases: bool
    truncated: bool
    notes: list[str]


def requested_metrics(args: t.Any) -> list[str]:
    """``metrics=a,b`` or ``metrics=a&metrics=b``: distinct non-blank keys, in the order given."""
    keys: list[str] = []
    for value in args.getlist("metrics"):
        for key in value.split(","):
            key = key.strip()
            if key and key not in keys:
                keys.append(key)
    return keys


def _point_title(key: str, p: evolution_service.EvolutionPoint, best_id: int | None) -> str:
    text = _("%(metric)s %(value)s · version %(version)s", metric=key, value=format_number(p.value), version=p.version)
    if p.is_prerelease:
        text += " " + _("(prerelease)")
    text += " · " + _("created %(when)s", when=full_datetime(p.created_at))
    if p.version_id == best_id:
        text += " · " + _("best")
    return text


def evolution_chart(series: evolution_service.MetricSeries, order: str, index: int) -> EvolutionChart:
    """One chart: versions at positions 0, 1, 2... labelled by their version, a point per version."""
    plotted = [p for p in series.points if p.value is not None]
    releases, prereleases = [], []
    for position, p in enumerate(plotted):
        point = Point(position, t.cast(float, p.value), _point_title(series.key, p, series.best_version_id))
        (prereleases if p.is_prerelease else releases).append(point)
    lines = []
    if releases:
        lines.append(Series(_("releases") if prereleases else series.key, releases))
    if prereleases:
        lines.append(Series(_("prereleases"), prereleases, color=PRERELEASE_COLOR, marker="ring", line=False))
    if order == "version":
        title = _("%(metric)s across versions, in semantic version order", metric=series.key)
        x_label = _("version, in semantic version order")
    else:
        title = _("%(metric)s across versions, by creation date", metric=series.key)
        x_label = _("version, by creation date")
    svg = line_chart(lines, title=title, x_label=x_label,
                     y_label=series.key, x_ticks=[(i, p.version) for i, p in enumerate(plotted)],
                     chart_id=f"mr-evolution-{index}")
    best = next((p for p in plotted if p.version_id == series.best_version_id), None)
    return EvolutionChart(key=series.key, goal=series.goal, svg=svg, points=plotted, best=best,
                          nan_versions=[p.version for p in series.points if p.is_nan])


def evolution_panel(project: str, who: Actor, model: t.Any, args: t.Any) -> EvolutionPanel:
    """What the Performance tab shows for the query ``args`` (``metrics``, ``order``) of ``model``
    (the handle ``registered_models.get_model`` returns, passed back to the services unread)."""
    order = args.get("order") if args.get("order") in evolution_service.ORDERS else "version"
    wanted = requested_metrics(args)
    notes: list[str] = []
    if len(wanted) > MAX_CHARTS:
        notes.append(_("At most %(max)s metrics are charted at once; the first %(max)s are shown.", max=MAX_CHARTS))
        wanted = wanted[:MAX_CHARTS]
    try:
        evo = evolution_service.evolution(project, who, model, metrics=wanted or None, order=order)
    except Invalid as exc:
        notes.append(_("Metrics: %(problem)s Showing the default metrics.",
                       problem=translate_message(exc.fields.get("metrics") or exc.message)))
        wanted = []
        evo = evolution_service.evolution(project, who, model, order=order)
    unknown = [key for key in wanted if key not in evo.available_metrics]
    if unknown:
        notes.append(_("No version logged %(metrics)s.", metrics=", ".join(unknown)))
    shown = [s for s in evo.series if s.key in evo.available_metrics]
    if not wanted:
        shown = shown[:DEFAULT_CHARTS]
        if len(evo.available_metrics) > DEFAULT_CHARTS:
            notes.append(_("Showing %(shown)s of %(total)s metrics; choose others below.", shown=DEFAULT_CHARTS,
                           total=len(evo.available_metrics)))
    charts = [evolution_chart(s, order, index) for index, s in enumerate(shown)]
    if evo.truncated:
        notes.append(_("Only the newest %(num)s versions are charted.", num=evolution_service.MAX_EVOLUTION_VERSIONS))
    return EvolutionPanel(order=order, available=evo.available_metrics, chosen=[c.key for c in charts],
                          picked=bool(wanted), charts=charts, version_count=len(evo.versions),
                          has_prereleases=any(v.is_prerelease for v in evo.versions), truncated=evo.truncated,
                          notes=notes)
