"""Keyboards and the small pieces several handler modules use: buttons from typed data,
pages of long lists, whole numbers typed, the language and neighbourhood choices."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Annotated, TypeVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import LANGUAGES, Language
from bot.parsing.dates import DateError, parse_date
from bot.services.hour_rules import LogRefusal, past_day_refusal
from handlers.base import Turn
from handlers.callback_data import Between, CallbackData
from handlers.wording import date_problem

T = TypeVar("T")
PAGE_SIZE = 8


def button(label: str, data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=data.pack())


def keyboard(*rows: Sequence[InlineKeyboardButton]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([list(row) for row in rows if row])


def number(text: str | None) -> int | None:
    """A whole number typed: ASCII digits only, at most nine, so "²", "٣" or twenty digits
    are refused here rather than failing in int() or the database."""
    if text is None:
        return None
    text = text.strip()
    if not text or len(text) > 9 or not text.isascii() or not text.isdigit():
        return None
    return int(text)


def whole_number(text: str, low: int, high: int) -> int | None:
    value = number(text)
    return value if value is not None and low <= value <= high else None


def paged(items: Sequence[T], page: int, page_button: Callable[[int], CallbackData]
          ) -> tuple[list[T], list[InlineKeyboardButton], int]:
    """One page of a long list, ◀ ▶ buttons made by `page_button(page)`, and the page
    shown (clamped), so no keyboard passes Telegram's 100 buttons however many items."""
    pages = max((len(items) + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    page = min(max(page, 0), pages - 1)
    navigation = []
    if page > 0:
        navigation.append(button("◀", page_button(page - 1)))
    if page < pages - 1:
        navigation.append(button("▶", page_button(page + 1)))
    return list(items[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]), navigation, page


def language_keyboard(suggested: str, choose: Callable[[Language], CallbackData]) -> InlineKeyboardMarkup:
    labels = {"cy": "Cymraeg", "en": "English"}  # each language's own name, never translated
    return keyboard([button(("✅ " if code == suggested else "") + labels[code], choose(code))
                     for code in LANGUAGES])


async def ask_neighbourhood(turn: Turn, choose: Callable[[int], CallbackData], question: str) -> None:
    """The neighbourhoods as buttons, and "somewhere else" (carried as 0)."""
    rows = [[button(item.name(turn.language), choose(item.id))]
            for item in await turn.services.reference.neighbourhoods()]
    rows.append([button(turn.t.gettext("Somewhere else / prefer not to say"), choose(0))])
    await turn.show(question, keyboard(*rows))


# A day carried in a button, as its ordinal (date.toordinal): "Today" and "Yesterday"
# mean the days they were when the buttons were shown, not when one is pressed (after
# midnight, "Yesterday" would otherwise log the day before the one on screen).
ShownDay = Annotated[int, Between(date(2000, 1, 1).toordinal(), date(2100, 12, 31).toordinal())]


async def ask_past_day(turn: Turn, choose: Callable[[int], CallbackData], *extra_rows: Sequence[InlineKeyboardButton]
                       ) -> None:
    """"When was it?" with Today and Yesterday buttons, each carrying its date."""
    _ = turn.t
    today = turn.services.hours.today()
    yesterday = today - timedelta(days=1)
    await turn.show(_.gettext("When was it? Choose, or type a date (for example 3/12 or 3 Dec)."),
                    keyboard([button(_.plain("Today"), choose(today.toordinal())),
                              button(_.plain("Yesterday"), choose(yesterday.toordinal()))], *extra_rows))


def day_from_button(shown_day: int) -> date:
    return date.fromordinal(shown_day)


async def read_past_day(turn: Turn, text: str) -> date | None:
    """A typed day in the past (or today) within the logging window; None after explaining
    what could not be read, or (with its year, never silently last year's) why not that day."""
    _ = turn.t
    today = turn.services.hours.today()
    parsed = parse_date(text, today=today, prefer="past")
    if isinstance(parsed, DateError):
        await turn.reply(date_problem(_, parsed))
        return None
    window = turn.services.config.hours.log_window_days
    refusal = past_day_refusal(parsed, today=today, window_days=window)
    if refusal is LogRefusal.TOO_OLD:
        await turn.reply(_.ngettext("{date} is more than {n} day ago: please ask your coordinator to record it.",
                                    "{date} is more than {n} days ago: please ask your coordinator to record it.",
                                    window, date=_.date(parsed, "EEEE d MMMM y")))
        return None
    if refusal is LogRefusal.IN_FUTURE:
        await turn.reply(_.gettext("You can't log hours for a day that hasn't happened yet."))
        return None
    return parsed


def day_text(turn: Turn, day: date) -> str:
    """A day in a sentence, with its year when it is not this year's."""
    same_year = day.year == turn.services.hours.today().year
    return turn.t.date(day, "EEEE d MMMM" if same_year else "EEEE d MMMM y")
