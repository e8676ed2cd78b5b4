"""Rates, shares and averages as the summary shows them, in the reader's locale."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from babel.numbers import format_percent

from bot.i18n import Translator
from bot.services.summary.model import WeekFigures


def share(part: int, whole: int) -> float | None:
    """part / whole, or None when there is nothing to divide (no hours, no places)."""
    return part / whole if whole else None


def percent(t: Translator, value: float | None) -> str:
    return "–" if value is None else format_percent(value, locale=t.language)


def average(history: Sequence[WeekFigures], figure: Callable[[WeekFigures], int | None]) -> float:
    values = [figure(week) or 0 for week in history]
    return sum(values) / len(values) if values else 0.0


def decimal(t: Translator, value: float) -> str:
    """An average count: one decimal place at most ("9.5", "9,5" nowhere: both locales use a point)."""
    return t.number(round(value, 1))
