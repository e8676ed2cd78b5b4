"""Wording several handler modules share: roles, dates and durations that could not be
read, time spans, and what hour notifications name."""

from __future__ import annotations

from datetime import datetime

from bot.db.models import Role
from bot.i18n import N_, Markup, Translator
from bot.parsing.dates import DateError
from bot.parsing.durations import DurationError
from bot.services.container import Services
from bot.services.members import DISPLAY_NAME_MAX
from bot.services.outbox_payloads import TimeEntryFacts
from handlers.refusals import RefusalTable, Say

# What any part of the bot says of a shift it can no longer act on: one wording wherever
# it is said (signing up, leaving, cover, attendance, the rota, editing, cancelling).
SHIFT_NOT_FOUND = Say(N_("That shift no longer exists."))
SHIFT_CANCELLED = Say(N_("This shift has been cancelled."))
SHIFT_STARTED = Say(N_("This shift has already started."))


def role_label(t: Translator, role: Role) -> str:
    return {Role.COORDINATOR: t.gettext("coordinator"), Role.STAFF: t.gettext("staff"),
            Role.PARTNER: t.gettext("partner"), Role.ADMIN: t.gettext("admin")}[role]


UNREADABLE_DATE = Say(N_("I couldn't read that date. Try “today”, “yesterday”, 3/12 or 3 Dec."))
DATES = RefusalTable(DateError, {
    DateError.EMPTY: UNREADABLE_DATE,
    DateError.UNRECOGNISED: UNREADABLE_DATE,
    DateError.MISSING_TIME: UNREADABLE_DATE,
    DateError.END_BEFORE_START: UNREADABLE_DATE,
    DateError.NONEXISTENT_TIME: UNREADABLE_DATE,
    DateError.IMPOSSIBLE: Say(N_("That date does not exist. Please check the day and month.")),
})

UNREADABLE_TIMES = Say(N_("I couldn't read those times. Try 10:00-12:30, 2pm-4pm or 10yb-1yp."))
TIMES = RefusalTable(DateError, {
    DateError.EMPTY: UNREADABLE_TIMES,
    DateError.UNRECOGNISED: UNREADABLE_TIMES,
    DateError.MISSING_TIME: UNREADABLE_TIMES,
    DateError.END_BEFORE_START: Say(N_("The end must be after the start (a shift can't run past midnight).")),
    DateError.NONEXISTENT_TIME: Say(N_("That time doesn't exist on that day: the clocks go forward. "
                                       "Please choose another time.")),
    DateError.IMPOSSIBLE: Say(N_("That time doesn't exist. Please check it.")),
})

UNREADABLE_DURATION = Say(N_("I couldn't read that. Type hours and minutes, for example 2, 1.5, 1:30 or 90m."))
DURATIONS = RefusalTable(DurationError, {
    DurationError.EMPTY: UNREADABLE_DURATION,
    DurationError.UNRECOGNISED: UNREADABLE_DURATION,
    DurationError.ZERO: Say(N_("That is no time at all: please type how long you gave.")),
    DurationError.NEGATIVE: Say(N_("Time given can't be negative.")),
    DurationError.TOO_LONG: Say(N_("That is more than 12 hours in a day. Please log each day separately.")),
    DurationError.NOT_WHOLE_MINUTES: Say(N_("Please give the time to the nearest minute.")),
})


def date_problem(t: Translator, error: DateError) -> str:
    return DATES.say(t, error)


def times_problem(t: Translator, error: DateError) -> str:
    return TIMES.say(t, error)


def duration_problem(t: Translator, error: DurationError) -> str:
    return DURATIONS.say(t, error)


def name_too_long(t: Translator, **_params: object) -> str:
    return t.ngettext("That name is a little long: please use {n} character or fewer.",
                      "That name is a little long: please use {n} characters or fewer.", DISPLAY_NAME_MAX)


def time_span(t: Translator, starts_at: datetime, ends_at: datetime) -> Markup:
    return t.gettext("{day}, {start}–{end}", day=t.date(t.local_date(starts_at), "EEE d MMM"),
                     start=t.time(starts_at), end=t.time(ends_at))


async def entry_words(services: Services, t: Translator, payload: TimeEntryFacts) -> dict[str, str]:
    """What hour notifications name: the organisation, how long and which day."""
    names = await services.reference.names()
    organisation = names.organisations.get(payload.organisation_id)
    return {"organisation": organisation.name(t.language) if organisation else "",
            "duration": t.duration(payload.minutes), "date": t.date(payload.worked_on)}
