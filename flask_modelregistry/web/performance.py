"""The Performance tab's metrics: a table of the last steps and a chart of each metric over steps,
both drawn from the bounded summary of :mod:`..services.metric_summary`."""
from __future__ import annotations

import dataclasses
import typing as t

from markupsafe import Markup

from ..charts import Point, Series, format_number, line_chart
from ..i18n import gettext as _
from ..services.metric_summary import RunMetricsSummary


@dataclasses.dataclass(frozen=True)
class MetricTable:
    keys: list[str]
    #: (step, the value of each key at that step or None), in step order
    rows: list[tuple[int, list[float | None]]]
    total_steps: int

    @property
    def truncated(self) -> bool:
        return self.total_steps > len(self.rows)


@dataclasses.dataclass(frozen=True)
class MetricChart:
    key: str
    svg: Markup
    points: int
    #: the value at the last step (what a metric logged once shows instead of a chart)
    last: float | None = None
    #: values logged, and the lowest and highest of them (None when all are NaN)
    count: int = 0
    minimum: float | None = None
    maximum: float | None = None


def metric_table(summary: RunMetricsSummary) -> MetricTable:
    """Rows of the most recent steps, a column per metric (the last value logged at each step)."""
    keys = [m.key for m in summary.metrics]
    rows = [(step, [summary.recent.get((key, step)) for key in keys]) for step in summary.recent_steps]
    return MetricTable(keys=keys, rows=rows, total_steps=summary.total_steps)


def metric_charts(summary: RunMetricsSummary, *, id_prefix: str = "mr-metric") -> list[MetricChart]:
    """One line chart per metric over steps, drawn from its thinned series (bounded in size)."""
    charts = []
    for index, metric in enumerate(summary.metrics):
        points = [Point(p.step, p.value, _("%(metric)s at step %(step)s: %(value)s", metric=metric.key, step=p.step,
                                           value=format_number(p.value)))
                  for p in metric.series]
        svg = line_chart([Series(metric.key, points)], title=_("%(metric)s by step", metric=metric.key),
                         x_label=_("step"), y_label=metric.key, chart_id=f"{id_prefix}-{index}")
        last = metric.last.value
        charts.append(MetricChart(key=metric.key, svg=svg, points=len(points), last=None if last != last else last,
                                  count=metric.count, minimum=metric.minimum, maximum=metric.maximum))
    return charts
