"""The summary's chart: the last twelve weeks of hours by activity type, corporate vs
community spending, and the share of hours replacing a reduced public service. Drawn
with matplotlib's Agg canvas (no display, no pyplot state shared between threads)."""

from __future__ import annotations

import io

from bot.i18n import Translator
from bot.reports.numbers import share
from bot.services.summary.model import Label, Summary


def summary_png(t: Translator, summary: Summary) -> bytes:
    # Imported here, not at the top: matplotlib (and numpy) cost every bot process about
    # 1.5 s of start-up and tens of MB for a chart drawn once a week (bench/bench_startup.py).
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    weeks = [str(week.week.week) for week in summary.trend]
    positions = list(range(len(weeks)))
    figure = Figure(figsize=(8, 9), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    hours, spending, substitution = figure.subplots(3, 1, sharex=True)
    figure.suptitle(t.plain("{scope}: the last 12 weeks to {week}", scope=summary.scope.label(t.language)
                            if summary.scope.id is not None else t.plain("The whole scheme"),
                            week=str(summary.week)))

    labels: dict[str, Label] = {}
    for week in summary.trend:
        labels.update({item.key: item.label for item in week.by_activity})
    bottom = [0.0] * len(weeks)
    for key, name in sorted(labels.items()):
        values = [next((item.minutes / 60 for item in week.by_activity if item.key == key), 0.0)
                  for week in summary.trend]
        hours.bar(positions, values, bottom=bottom, label=name(t.language))
        bottom = [below + value for below, value in zip(bottom, values, strict=True)]
    hours.set_title(t.plain("Hours by activity type"))
    hours.set_ylabel(t.plain("hours"))
    if labels:
        hours.legend(fontsize="small")

    spending.plot(positions, [week.corporate_spent / 60 for week in summary.trend], marker="o",
                  label=t.plain("Corporate partners"))
    spending.plot(positions, [week.community_spent / 60 for week in summary.trend], marker="o",
                  label=t.plain("Community opportunities"))
    spending.set_title(t.plain("Credits spent"))
    spending.set_ylabel(t.plain("credits"))
    spending.legend(fontsize="small")

    shares = [100 * (share(week.replacing_reduced_service, week.total) or 0.0) for week in summary.trend]
    substitution.plot(positions, shares, marker="o", color="tab:red")
    substitution.set_ylim(0, 100)
    substitution.set_title(t.plain("Share of hours replacing a reduced public service"))
    substitution.set_ylabel("%")
    substitution.set_xticks(positions, weeks)
    substitution.set_xlabel(t.plain("Week"))

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
