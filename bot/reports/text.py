"""The weekly summary as text, in the reader's language: the headline figures first (one
screen on a phone), then the details, cut into messages under Telegram's 4,096
characters at section boundaries (a section longer than that at line boundaries)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from markupsafe import Markup, escape

from bot.i18n import Translator
from bot.reports.numbers import average, decimal, percent, share
from bot.services.summary.model import Check, Figure, Label, Minutes, Scope, ScopeKind, Summary, WeekFigures

TELEGRAM_LIMIT = 4096


def label(t: Translator, value: Label) -> Markup:
    return escape(value(t.language))


def scope_name(t: Translator, scope: Scope) -> Markup:
    if scope.kind is ScopeKind.SCHEME:
        return t.gettext("the whole scheme")
    return label(t, scope.label)


def week_name(t: Translator, summary: Summary) -> Markup:
    week = summary.week
    return t.gettext("Week {number}, {monday} to {sunday}", number=t.number(week.week),
                     monday=t.date(week.monday, "d MMMM"), sunday=t.date(week.sunday, "d MMMM yyyy"))


# --------------------------------------------------------------------------- comparisons


def _beside(t: Translator, value: Markup | str, previous: Markup | str, mean: Markup | str) -> Markup:
    return t.gettext("{value} (last week {previous}; 4-week average {average})", value=value, previous=previous,
                     average=mean)


def minutes_beside(t: Translator, summary: Summary, figure: Callable[[WeekFigures], int | None]) -> Markup:
    return _beside(t, t.duration(figure(summary.this) or 0), t.duration(figure(summary.previous) or 0),
                   t.duration(round(average(summary.history, figure))))


def count_beside(t: Translator, summary: Summary, figure: Callable[[WeekFigures], int]) -> Markup:
    return _beside(t, t.number(figure(summary.this)), t.number(figure(summary.previous)),
                   decimal(t, average(summary.history, figure)))


def substitution(week: WeekFigures) -> float | None:
    return share(week.hours.replacing_reduced_service, week.hours.total)


def fill_rate(week: WeekFigures) -> float | None:
    return share(week.shifts.booked, week.shifts.places)


def no_show_rate(week: WeekFigures) -> float | None:
    return share(week.shifts.no_shows, week.shifts.attended + week.shifts.no_shows)


def _rate_beside(t: Translator, summary: Summary, rate: Callable[[WeekFigures], float | None]) -> Markup:
    rates = [value for value in (rate(week) for week in summary.history) if value is not None]
    mean = sum(rates) / len(rates) if rates else None
    return _beside(t, percent(t, rate(summary.this)), percent(t, rate(summary.previous)), percent(t, mean))


# --------------------------------------------------------------------------- sections


def figure_name(t: Translator, figure: Figure) -> Markup:
    return {Figure.EARNED: t.gettext("credits earned"), Figure.SPENT: t.gettext("credits spent"),
            Figure.TRANSFERRED: t.gettext("credits given to members")}[figure]


def _difference(t: Translator, check: Check) -> Markup:
    return t.gettext("{figure}: the summary says {summary}, the ledger {ledger} (a difference of {difference})",
                     figure=figure_name(t, check.figure), summary=t.duration(check.summary),
                     ledger=t.duration(check.ledger), difference=t.duration(check.difference))


def reconciliation_line(t: Translator, summary: Summary) -> Markup:
    checks = summary.reconciliation
    if checks.balanced:
        names = Markup(", ").join(figure_name(t, check.figure) for check in checks.checks)
        return t.gettext("✅ Checked against the ledger: {figures} match its movements for the week.",
                         figures=names)
    return t.gettext("⚠️ <b>Does not match the ledger</b>: {differences}",
                     differences=Markup("; ").join(_difference(t, check) for check in checks.differences))


def headline(t: Translator, summary: Summary) -> Markup:
    this = summary.this
    lines = [t.gettext("<b>Weekly summary: {scope}</b>", scope=scope_name(t, summary.scope)), week_name(t, summary)]
    if summary.so_far:
        lines.append(t.gettext("<i>This week so far: the week has not ended.</i>"))
    lines += [
        t.gettext("⏱ Hours given: {figures}", figures=minutes_beside(t, summary, lambda w: w.hours.total)),
        t.gettext("🙋 {active}, {first_time} for the first time",
                  active=t.ngettext("{n} active volunteer", "{n} active volunteers", this.volunteers.active),
                  first_time=t.number(this.volunteers.first_time)),
        t.gettext("📅 {run}, fill rate {rate}, no-shows {no_shows}",
                  run=t.ngettext("{n} shift run", "{n} shifts run", this.shifts.run),
                  rate=percent(t, fill_rate(this)), no_shows=t.number(this.shifts.no_shows)),
        t.gettext("💳 Credits earned {earned}, spent {spent}", earned=t.duration(this.credits.earned),
                  spent=t.duration(this.credits.spent)),
        t.gettext("🏛 Hours replacing a reduced public service: {share}",
                  share=_rate_beside(t, summary, substitution)),
        reconciliation_line(t, summary),
    ]
    return Markup("\n").join(lines)


def _section(title: Markup, lines: Iterable[Markup]) -> Markup:
    return Markup("\n").join([Markup("<b>{}</b>").format(title), *lines])


def _by_heading(t: Translator, items: Sequence[Minutes], before: Sequence[Minutes]) -> list[Markup]:
    previous = {item.key: item.minutes for item in before}
    lines = [t.gettext("• {name}: {duration} (last week {previous})", name=label(t, item.label),
                       duration=t.duration(item.minutes), previous=t.duration(previous.get(item.key, 0)))
             for item in items]
    return lines or [t.gettext("• none this week")]


def details(t: Translator, summary: Summary) -> list[Markup]:
    this, previous = summary.this, summary.previous
    sections = [
        _section(t.gettext("Hours by activity"), _by_heading(t, this.hours.by_activity, previous.hours.by_activity)),
        _section(t.gettext("Hours by neighbourhood (where volunteers live)"),
                 _by_heading(t, this.hours.by_neighbourhood, previous.hours.by_neighbourhood)),
        _section(t.gettext("Hours by organisation"),
                 _by_heading(t, this.hours.by_organisation, previous.hours.by_organisation)),
        _section(t.gettext("Volunteers"), [
            t.gettext("Active: {figures}", figures=count_beside(t, summary, lambda w: w.volunteers.active)),
            t.gettext("First time ever: {figures}",
                      figures=count_beside(t, summary, lambda w: w.volunteers.first_time)),
            t.gettext("Returning: {figures}", figures=count_beside(t, summary, lambda w: w.volunteers.returning)),
            t.gettext("Lapsed (active in the 4 weeks before, not this week): {figures}",
                      figures=count_beside(t, summary, lambda w: w.volunteers.lapsed)),
        ]),
        _section(t.gettext("Shifts"), [
            t.gettext("Run: {figures}", figures=count_beside(t, summary, lambda w: w.shifts.run)),
            t.gettext("Filled: {filled}; part-filled: {part}; unfilled: {unfilled}; cancelled: {cancelled}",
                      filled=t.number(this.shifts.filled), part=t.number(this.shifts.part_filled),
                      unfilled=t.number(this.shifts.unfilled), cancelled=t.number(this.shifts.cancelled)),
            t.gettext("Fill rate: {figures}", figures=_rate_beside(t, summary, fill_rate)),
            t.gettext("No-shows: {count}, a rate of {rate}", count=t.number(this.shifts.no_shows),
                      rate=percent(t, no_show_rate(this))),
            t.gettext("Next week's shifts still short of volunteers: {count}",
                      count=t.number(summary.next_week_short)),
        ]),
        _section(t.gettext("Credits"), _credits(t, summary)),
    ]
    if summary.partners:
        sections.append(_section(t.gettext("Corporate partners (what they are owed in kind)"), [
            t.gettext("• {partner}: {redeemed} ({redeemed_duration}); {outstanding} ({outstanding_duration})",
                      partner=label(t, partner.label),
                      redeemed=t.ngettext("{n} voucher redeemed", "{n} vouchers redeemed", partner.redeemed),
                      redeemed_duration=t.duration(partner.redeemed_minutes),
                      outstanding=t.ngettext("{n} voucher outstanding", "{n} vouchers outstanding",
                                             partner.outstanding),
                      outstanding_duration=t.duration(partner.outstanding_minutes))
            for partner in summary.partners]))
    sections.append(_section(t.gettext("Co-production"), _coproduction(t, summary)))
    sections.append(_section(t.gettext("Reconciliation"), [reconciliation_line(t, summary), *[
        t.gettext("{figure}: summary {summary}, ledger {ledger}", figure=figure_name(t, check.figure),
                  summary=t.duration(check.summary), ledger=t.duration(check.ledger))
        for check in summary.reconciliation.checks]]))
    return sections


def _credits(t: Translator, summary: Summary) -> list[Markup]:
    this = summary.this.credits
    lines = [t.gettext("Earned: {figures}", figures=minutes_beside(t, summary, lambda w: w.credits.earned)),
             t.gettext("Spent: {figures}", figures=minutes_beside(t, summary, lambda w: w.credits.spent))]
    if this.transferred is not None:
        lines.append(t.gettext("Given to other members: {figures}",
                               figures=minutes_beside(t, summary, lambda w: w.credits.transferred)))
    lines += [
        t.gettext("Expired unused: {vouchers}, {duration}",
                  vouchers=t.ngettext("{n} voucher", "{n} vouchers", this.expired_vouchers),
                  duration=t.duration(this.expired)),
        t.gettext("Spent at corporate partners: {vouchers}, {duration}",
                  vouchers=t.ngettext("{n} voucher", "{n} vouchers", this.corporate_vouchers),
                  duration=t.duration(this.corporate_spent)),
        t.gettext("Spent on community opportunities: {vouchers}, {duration}",
                  vouchers=t.ngettext("{n} voucher", "{n} vouchers", this.community_vouchers),
                  duration=t.duration(this.community_spent)),
        t.gettext("Community share of spending, 12 weeks to this one: {trend}", trend=", ".join(
            percent(t, share(week.community_spent, week.community_spent + week.corporate_spent))
            for week in summary.trend)),
    ]
    return lines


def _coproduction(t: Translator, summary: Summary) -> list[Markup]:
    lines = [
        t.gettext("Share of hours replacing a reduced public service: {figures}",
                  figures=_rate_beside(t, summary, substitution)),
        t.gettext("The same share, 12 weeks to this one: {trend}", trend=", ".join(
            percent(t, share(week.replacing_reduced_service, week.total)) for week in summary.trend)),
        t.gettext("Hours per registered member, by neighbourhood:"),
    ]
    for place in summary.equity:
        per_member = round(place.minutes / place.registered_members) if place.registered_members else 0
        lines.append(t.gettext("• {neighbourhood}: {per_member} ({duration} from {members})",
                               neighbourhood=label(t, place.label), per_member=t.duration(per_member),
                               duration=t.duration(place.minutes),
                               members=t.ngettext("{n} registered member", "{n} registered members",
                                                  place.registered_members)))
    return lines


# --------------------------------------------------------------------------- messages


def split_messages(sections: Sequence[Markup], limit: int = TELEGRAM_LIMIT) -> list[Markup]:
    """Sections packed in order into messages of at most `limit` characters, joined by a
    blank line; a section too long on its own is cut at line boundaries."""
    pieces: list[Markup] = []
    for section in sections:
        if len(section) <= limit:
            pieces.append(section)
            continue
        current: list[str] = []
        for line in section.split("\n"):
            if current and len("\n".join([*current, line])) > limit:
                pieces.append(Markup("\n").join(Markup(part) for part in current))
                current = []
            current.append(line[:limit])
        if current:
            pieces.append(Markup("\n").join(Markup(part) for part in current))
    messages: list[Markup] = []
    for piece in pieces:
        if messages and len(messages[-1]) + 2 + len(piece) <= limit:
            messages[-1] = messages[-1] + Markup("\n\n") + piece
        else:
            messages.append(piece)
    return messages


def summary_messages(t: Translator, summary: Summary, *, note: Markup | None = None,
                     limit: int = TELEGRAM_LIMIT) -> list[Markup]:
    """The whole summary as messages to send in order, the headline figures first."""
    first = headline(t, summary) if note is None else headline(t, summary) + Markup("\n\n") + note
    return split_messages([first, *details(t, summary)], limit)
