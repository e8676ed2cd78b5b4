"""What creating and editing a shift both ask and read: the questions about a day, times,
venue, places and descriptions, and reading the answers against the limits of
bot.services.shift_rules (defined there once; descriptions counted in UTF-16 units as
Telegram counts them, so a long emoji description is refused at its own question).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from telegram import InlineKeyboardButton

from bot.i18n import Translator
from bot.parsing.dates import DateError
from bot.parsing.moments import DayAndTimes, local_to_utc, parse_day_and_times
from bot.parsing.times import parse_time, parse_time_range
from bot.services.shift_rules import (
    ADDRESS_MAX_CHARS,
    CAPACITY_MAX,
    CAPACITY_MIN,
    DESCRIPTION_MAX_CHARS,
    REPEAT_WEEKS_MAX,
    REPEAT_WEEKS_MIN,
    SHIFT_MAX_DURATION,
    VENUE_MAX_CHARS,
    telegram_length,
)
from handlers.base import MemberTurn
from handlers.callback_data import CallbackData
from handlers.widgets import button, keyboard, whole_number
from handlers.wording import date_problem, times_problem


@dataclass(frozen=True)
class CancelShiftDialogue(CallbackData, prefix="nsh-cancel"):
    """Leaves creating or editing a shift."""


def _cancel_row(turn: MemberTurn) -> list[InlineKeyboardButton]:
    return [button(turn.t.gettext("Cancel"), CancelShiftDialogue())]


async def ask(turn: MemberTurn, text: str, *rows: Sequence[InlineKeyboardButton]) -> None:
    """A question with its buttons and Cancel, in place of the pressed message if any."""
    await turn.show(text, keyboard(*rows, _cancel_row(turn)))


async def ask_venue(turn: MemberTurn) -> None:
    await ask(turn, turn.t.gettext("What is the venue called? (for example: Ely Hub, Grand Avenue)"))


async def ask_date(turn: MemberTurn) -> None:
    await ask(turn, turn.t.gettext("Which day? For example: 12/12, 12 Dec, Saturday, or dydd Sadwrn. "
                                   "You can add the times too: Sat 12 Dec 10:00-12:30."))


async def ask_end(turn: MemberTurn) -> None:
    await ask(turn, turn.t.gettext("Until what time? For example 12:30, 4pm or 4yp."))


async def ask_times(turn: MemberTurn) -> None:
    await ask(turn, turn.t.gettext("From what time to what time? For example: 10:00-12:30, 2pm-4pm or 10yb-1yp."))


async def ask_capacity(turn: MemberTurn) -> None:
    t = turn.t
    await ask(turn, t.gettext("How many volunteers are needed at most? ({low} to {high})",
                              low=t.number(CAPACITY_MIN), high=t.number(CAPACITY_MAX)))


def too_long(t: Translator, **_params: object) -> str:
    return t.ngettext("That is too long for a shift card: please keep it under {n} character.",
                      "That is too long for a shift card: please keep it under {n} characters.",
                      DESCRIPTION_MAX_CHARS)


# The problems below take (and ignore) a refusal table's parameters, so the tables of
# handlers/shift_refusals.py can say them too.


def venue_problem(t: Translator, **_params: object) -> str:
    return t.ngettext("Please type the venue's name (up to {n} character).",
                      "Please type the venue's name (up to {n} characters).", VENUE_MAX_CHARS)


def address_problem(t: Translator, **_params: object) -> str:
    return t.ngettext("Please keep the address under {n} character.",
                      "Please keep the address under {n} characters.", ADDRESS_MAX_CHARS)


def capacity_problem(t: Translator, **_params: object) -> str:
    return t.gettext("Please type a whole number from {low} to {high}.", low=t.number(CAPACITY_MIN),
                     high=t.number(CAPACITY_MAX))


def repeat_problem(t: Translator, **_params: object) -> str:
    return t.gettext("Please type a number of weeks from {low} to {high}.", low=t.number(REPEAT_WEEKS_MIN),
                     high=t.number(REPEAT_WEEKS_MAX))


def shift_length_problem(t: Translator, **_params: object) -> str:
    hours = SHIFT_MAX_DURATION // timedelta(hours=1)
    return t.ngettext("A shift can be at most {n} hour long.", "A shift can be at most {n} hours long.", hours)


def read_venue(text: str) -> str | None:
    venue = " ".join(text.split())
    return venue if venue and len(venue) <= VENUE_MAX_CHARS else None


def read_address(text: str) -> str | None:
    address = " ".join(text.split())
    return address if len(address) <= ADDRESS_MAX_CHARS else None


def read_capacity(text: str) -> int | None:
    return whole_number(text, CAPACITY_MIN, CAPACITY_MAX)


def read_description(text: str) -> str | None:
    """The description as typed (trimmed), or None if Telegram would count it too long."""
    description = text.strip()
    return description if telegram_length(description) <= DESCRIPTION_MAX_CHARS else None


@dataclass(frozen=True)
class TypedAnswer:
    """How the answer to a question of one typed value is read, and what is said when it cannot be."""

    read: Callable[[str], object | None]
    problem: Callable[[Translator], str]


TYPED_ANSWERS: dict[str, TypedAnswer] = {
    "venue": TypedAnswer(read_venue, venue_problem),
    "address": TypedAnswer(read_address, address_problem),
    "capacity": TypedAnswer(read_capacity, capacity_problem),
    "description_en": TypedAnswer(read_description, too_long),
    "description_cy": TypedAnswer(read_description, too_long),
}

AnswerUse = Callable[[MemberTurn, str, object], Awaitable[None]]  # (turn, question, the value read)


def typed_answer_step(question: str, use: AnswerUse) -> Callable[[MemberTurn, str], Awaitable[None]]:
    """The step handler for `question` of TYPED_ANSWERS: the value read goes to `use`; text
    it cannot read gets the question's problem, and the dialogue stays where it is."""
    answer = TYPED_ANSWERS[question]

    async def typed(turn: MemberTurn, text: str) -> None:
        value = answer.read(text)
        if value is None:
            await turn.reply(answer.problem(turn.t))
            return
        await use(turn, question, value)
    typed.__name__ = f"typed_{question}"
    return typed


async def read_when(turn: MemberTurn, text: str) -> DayAndTimes | None:
    """The day (and any times) typed; None after explaining what is wrong."""
    when = parse_day_and_times(text, today=turn.services.hours.today(), prefer="future")
    if isinstance(when, DateError):
        await turn.reply(times_problem(turn.t, when) if when is DateError.END_BEFORE_START
                         else date_problem(turn.t, when))
        return None
    if when.day < turn.services.hours.today():
        await turn.reply(turn.t.gettext("That day has passed. Please give a day from today on."))
        return None
    return when


def utc_span(turn: MemberTurn, day: date, text: str) -> tuple[datetime, datetime] | str:
    """A typed time range on a local day, as UTC instants, or the reason it can't be."""
    times = parse_time_range(text)
    if isinstance(times, DateError):
        return times_problem(turn.t, times)
    tz = turn.services.config.tz
    starts_at = local_to_utc(datetime.combine(day, times[0]), tz)
    ends_at = local_to_utc(datetime.combine(day, times[1]), tz)
    if isinstance(starts_at, DateError):
        return times_problem(turn.t, starts_at)
    if isinstance(ends_at, DateError):
        return times_problem(turn.t, ends_at)
    if starts_at <= turn.services.clock.now():
        return turn.t.gettext("That time has already passed. Please choose a later one.")
    return starts_at, ends_at


SpanUse = Callable[[MemberTurn, datetime, datetime], Awaitable[None]]  # (turn, starts at, ends at), UTC
StepHandler = Callable[[MemberTurn, str], Awaitable[None]]


def times_steps(use: SpanUse) -> tuple[StepHandler, StepHandler]:
    """The step handlers for the end time typed alone and for both times typed, on the day the
    dialogue holds: the span read goes to `use`; what cannot be read is answered there."""
    async def typed_times(turn: MemberTurn, text: str) -> None:
        span = utc_span(turn, date.fromisoformat(turn.state.data["day"]), text)
        if isinstance(span, str):
            await turn.reply(span)
            return
        await use(turn, *span)

    async def typed_end(turn: MemberTurn, text: str) -> None:
        end = parse_time(text)
        if isinstance(end, DateError):
            await turn.reply(times_problem(turn.t, end))
            return
        await typed_times(turn, f"{turn.state.data['start']}-{end:%H:%M}")
    return typed_end, typed_times
