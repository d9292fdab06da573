"""The Performance tab's metrics: a table by step and a chart of each metric over steps."""
from __future__ import annotations

import dataclasses
import typing as t

from markupsafe import Markup

from ..charts import Point, Series, format_number, line_chart
from ..i18n import gettext as _
from ..services.versions import MetricValue

MAX_TABLE_STEPS = 100


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


def _by_key_and_step(history: t.Iterable[tuple[str, MetricValue]]) -> dict[str, dict[int, float]]:
    """The last value logged for each (metric, step); the history comes ordered by key, step, time."""
    out: dict[str, dict[int, float]] = {}
    for key, value in history:
        out.setdefault(key, {})[value.step] = value.value
    return out


def metric_table(history: t.Sequence[tuple[str, MetricValue]], max_steps: int = MAX_TABLE_STEPS) -> MetricTable:
    """Rows of steps, a column per metric; beyond ``max_steps`` steps only the last ones are kept."""
    values = _by_key_and_step(history)
    keys = sorted(values)
    steps = sorted({step for per_step in values.values() for step in per_step})
    shown = steps[-max_steps:]
    rows = [(step, [values[key].get(step) for key in keys]) for step in shown]
    return MetricTable(keys=keys, rows=rows, total_steps=len(steps))


def metric_charts(history: t.Sequence[tuple[str, MetricValue]], *, id_prefix: str = "mr-metric") -> list[MetricChart]:
    """One line chart per metric, its value over steps."""
    charts = []
    for index, (key, per_step) in enumerate(sorted(_by_key_and_step(history).items())):
        points = [Point(step, value, _("%(metric)s at step %(step)s: %(value)s", metric=key, step=step,
                                       value=format_number(value)))
                  for step, value in sorted(per_step.items())]
        svg = line_chart([Series(key, points)], title=_("%(metric)s by step", metric=key), x_label=_("step"), y_label=key,
                         chart_id=f"{id_prefix}-{index}")
        charts.append(MetricChart(key=key, svg=svg, points=len(points), last=points[-1].y if points else None))
    return charts
