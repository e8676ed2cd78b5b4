"""/settings: a member's own preferences, each change confirmed on the screen it was made.

Reminders (none, or one or two offsets before a shift), quiet hours, broadcasts on or off,
the activity types they want to hear about, their neighbourhood and language. The rules
are bot/services/member_settings.py; this module only words them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Annotated

from telegram import InlineKeyboardButton

from bot.db.enums import ReminderOffset
from bot.i18n import N_, Markup, Translator
from bot.services.member_settings import MemberPreferences, SettingsRefusal
from bot.services.reminder_rules import QuietHours
from handlers.account import ChooseLanguage
from handlers.base import MemberTurn
from handlers.callback_data import Between, CallbackData
from handlers.refusals import RefusalTable, Say
from handlers.routing import Router
from handlers.widgets import ask_neighbourhood, button, keyboard, language_keyboard

router = Router("settings")
router.menu_item(90, N_("⚙️ Settings"), "settings")

QUIET_STARTS = (time(20), time(21), time(22), time(23))
QUIET_ENDS = (time(7), time(8), time(9), time(10))


class Section(enum.StrEnum):
    HOME = "home"
    REMINDERS = "rem"
    QUIET = "quiet"
    INTERESTS = "int"
    NEIGHBOURHOOD = "hood"
    LANGUAGE = "lang"


@dataclass(frozen=True)
class OpenSettings(CallbackData, prefix="set"):
    section: Section


@dataclass(frozen=True)
class ToggleReminder(CallbackData, prefix="set-r"):
    offset: ReminderOffset


@dataclass(frozen=True)
class NoReminders(CallbackData, prefix="set-r0"):
    pass


@dataclass(frozen=True)
class SetQuiet(CallbackData, prefix="set-q"):
    start: Annotated[int, Between(0, 23)]
    end: Annotated[int, Between(0, 23)]  # equal to start: no quiet hours


@dataclass(frozen=True)
class SetBroadcasts(CallbackData, prefix="set-b"):
    on: bool


@dataclass(frozen=True)
class ToggleInterest(CallbackData, prefix="set-i"):
    activity_type_id: int


@dataclass(frozen=True)
class SettingsNeighbourhood(CallbackData, prefix="set-h"):
    neighbourhood_id: int  # 0: somewhere else / not given


REFUSALS = RefusalTable(SettingsRefusal, {
    SettingsRefusal.TOO_MANY_REMINDERS: Say(N_("You can choose at most two reminders: take one away first.")),
    SettingsRefusal.UNKNOWN_ACTIVITY: Say(N_("That button has expired.")),
    SettingsRefusal.NOT_A_MEMBER: Say(N_("Send /start to register first.")),
})


# --------------------------------------------------------------------------- words


def offset_label(t: Translator, offset: ReminderOffset) -> str:
    """"1 week", "2 days", "24 hours", "2 hours", counted in each language's own way."""
    if offset is ReminderOffset.WEEK:
        return t.ngettext("{n} week", "{n} weeks", 1)
    if offset is ReminderOffset.TWO_DAYS:
        return t.ngettext("{n} day", "{n} days", 2)
    return t.ngettext("{n} hour", "{n} hours", offset.minutes // 60)


def wall(t: Translator, at: time) -> str:
    """A local wall time as the member's language writes it."""
    return t.time(datetime.combine(date(2026, 1, 15), at, tzinfo=t.timezone))


def reminders_line(t: Translator, offsets: tuple[ReminderOffset, ...]) -> str:
    if not offsets:
        return t.gettext("⏰ Reminders: off")
    labels = [offset_label(t, offset) for offset in offsets]
    said = labels[0] if len(labels) == 1 else t.gettext("{first} and {second}", first=labels[0], second=labels[1])
    return t.gettext("⏰ Reminders: {offsets} before each shift", offsets=said)


def quiet_line(t: Translator, quiet: QuietHours) -> str:
    if quiet.none:
        return t.gettext("🌙 Quiet hours: none")
    return t.gettext("🌙 Quiet hours: {start}–{end}", start=wall(t, quiet.start), end=wall(t, quiet.end))


def broadcasts_line(t: Translator, on: bool) -> str:
    return t.gettext("📣 Broadcasts: on") if on else t.gettext("📣 Broadcasts: off")


async def interests_line(turn: MemberTurn, interests: frozenset[int]) -> str:
    _ = turn.t
    chosen = [item.name(turn.language) for item in await turn.services.reference.activity_types()
              if item.id in interests]
    return _.gettext("🎯 Activities you want to hear about: {activities}",
                     activities=", ".join(chosen) if chosen else _.gettext("none chosen"))


async def neighbourhood_line(turn: MemberTurn, neighbourhood_id: int | None) -> str:
    names = await turn.services.reference.names()
    hood = names.neighbourhoods.get(neighbourhood_id) if neighbourhood_id else None
    return turn.t.gettext("📍 Neighbourhood: {neighbourhood}",
                          neighbourhood=hood.name(turn.language) if hood else turn.t.gettext("not given"))


def back_button(t: Translator) -> InlineKeyboardButton:
    return button(t.plain("◀ Back to settings"), OpenSettings(Section.HOME))


def saved(t: Translator, line: str) -> str:
    """The confirmation above a screen: what was just changed, as it now stands."""
    return t.gettext("✅ Saved.") + "\n" + line + "\n\n"


# --------------------------------------------------------------------------- screens


@router.command("settings")
async def settings(turn: MemberTurn, args: list[str]) -> None:
    await show_home(turn, await turn.services.member_settings.preferences(turn.member.id))


@router.callback(OpenSettings)
async def open_section(turn: MemberTurn, data: OpenSettings) -> None:
    _ = turn.t
    preferences = await turn.services.member_settings.preferences(turn.member.id)
    await turn.answer()
    if data.section is Section.REMINDERS:
        await show_reminders(turn, preferences)
    elif data.section is Section.QUIET:
        await show_quiet(turn, preferences)
    elif data.section is Section.INTERESTS:
        await show_interests(turn, preferences)
    elif data.section is Section.NEIGHBOURHOOD:
        await ask_neighbourhood(turn, SettingsNeighbourhood, _.gettext("Which neighbourhood do you live in?"))
    elif data.section is Section.LANGUAGE:
        await turn.show(_.gettext("Which language would you like to use?"),
                        language_keyboard(turn.language, ChooseLanguage))
    else:
        await show_home(turn, preferences)


async def show_home(turn: MemberTurn, preferences: MemberPreferences, above: str = "") -> None:
    _ = turn.t
    lines = [
        _.gettext("<b>Your settings</b>"),
        reminders_line(_, preferences.reminder_offsets),
        quiet_line(_, preferences.quiet),
        broadcasts_line(_, preferences.broadcasts),
        await interests_line(turn, preferences.interests),
        await neighbourhood_line(turn, preferences.neighbourhood_id),
        _.gettext("🗣 Language: {language}", language="Cymraeg" if turn.language == "cy" else "English"),
    ]
    broadcasts = (button(_.plain("📣 Turn broadcasts off"), SetBroadcasts(False)) if preferences.broadcasts
                  else button(_.plain("📣 Turn broadcasts on"), SetBroadcasts(True)))
    await turn.show(Markup(above) + Markup("\n").join(lines), keyboard(
        [button(_.plain("⏰ Reminders"), OpenSettings(Section.REMINDERS)),
         button(_.plain("🌙 Quiet hours"), OpenSettings(Section.QUIET))],
        [broadcasts, button(_.plain("🎯 Activities"), OpenSettings(Section.INTERESTS))],
        [button(_.plain("📍 Neighbourhood"), OpenSettings(Section.NEIGHBOURHOOD)),
         button(_.plain("🗣 Language"), OpenSettings(Section.LANGUAGE))]))


async def show_reminders(turn: MemberTurn, preferences: MemberPreferences, above: str = "") -> None:
    _ = turn.t
    chosen = set(preferences.reminder_offsets)
    toggles = [button(("✅ " if offset in chosen else "") + offset_label(_, offset), ToggleReminder(offset))
               for offset in ReminderOffset]
    await turn.show(
        Markup(above) + reminders_line(_, preferences.reminder_offsets) + "\n\n"
        + _.gettext("When would you like a reminder before each shift? Choose one or two; "
                    "press again to take one away."),
        keyboard(toggles[:2], toggles[2:],
                 [button(("✅ " if not chosen else "") + _.plain("🔕 No reminders"), NoReminders())],
                 [back_button(_)]))


async def show_quiet(turn: MemberTurn, preferences: MemberPreferences, above: str = "") -> None:
    _ = turn.t
    quiet = preferences.quiet
    # When there are none, a start button opens them until the usual end, an end button from the usual start.
    start, end = (QUIET_STARTS[1], QUIET_ENDS[1]) if quiet.none else (quiet.start, quiet.end)

    def mark(chosen: bool) -> str:
        return "✅ " if chosen and not quiet.none else ""

    await turn.show(
        Markup(above) + quiet_line(_, quiet) + "\n\n"
        + _.gettext("No reminder arrives in your quiet hours: it waits until they end, unless the shift "
                    "is within 12 hours. 🌙 is when they start, ☀️ when they end."),
        keyboard([button(mark(at == quiet.start) + "🌙 " + wall(_, at), SetQuiet(at.hour, end.hour))
                  for at in QUIET_STARTS],
                 [button(mark(at == quiet.end) + "☀️ " + wall(_, at), SetQuiet(start.hour, at.hour))
                  for at in QUIET_ENDS],
                 [button(("✅ " if quiet.none else "") + _.plain("No quiet hours"), SetQuiet(0, 0))],
                 [back_button(_)]))


async def show_interests(turn: MemberTurn, preferences: MemberPreferences, above: str = "") -> None:
    _ = turn.t
    rows = [[button(("✅ " if item.id in preferences.interests else "") + item.name(turn.language),
                    ToggleInterest(item.id))] for item in await turn.services.reference.activity_types()]
    await turn.show(
        Markup(above) + await interests_line(turn, preferences.interests) + "\n\n"
        + _.gettext("Which activities would you like to hear about? Coordinators looking for volunteers "
                    "reach those who chose the activity, and those who live in the shift's neighbourhood. "
                    "Press to choose, or again to take it away."),
        keyboard(*rows, [back_button(_)]))


# --------------------------------------------------------------------------- changes


async def changed(turn: MemberTurn, result: MemberPreferences | SettingsRefusal) -> MemberPreferences | None:
    """The press answered: the preferences as the change left them, or None when it was
    refused (said as an alert over the button, the section left as it was)."""
    if isinstance(result, SettingsRefusal):
        await turn.answer(REFUSALS.say(turn.t, result), alert=True)
        return None
    await turn.answer()
    return result


@router.callback(ToggleReminder)
async def toggle_reminder(turn: MemberTurn, data: ToggleReminder) -> None:
    result = await turn.services.member_settings.toggle_reminder(turn.member.id, data.offset)
    if (preferences := await changed(turn, result)) is not None:
        await show_reminders(turn, preferences, saved(turn.t, reminders_line(turn.t, preferences.reminder_offsets)))


@router.callback(NoReminders)
async def no_reminders(turn: MemberTurn, data: NoReminders) -> None:
    result = await turn.services.member_settings.reminders_off(turn.member.id)
    if (preferences := await changed(turn, result)) is not None:
        await show_reminders(turn, preferences, saved(turn.t, reminders_line(turn.t, preferences.reminder_offsets)))


@router.callback(SetQuiet)
async def set_quiet(turn: MemberTurn, data: SetQuiet) -> None:
    result = await turn.services.member_settings.set_quiet_hours(turn.member.id, time(data.start), time(data.end))
    if (preferences := await changed(turn, result)) is not None:
        await show_quiet(turn, preferences, saved(turn.t, quiet_line(turn.t, preferences.quiet)))


@router.callback(SetBroadcasts)
async def set_broadcasts(turn: MemberTurn, data: SetBroadcasts) -> None:
    result = await turn.services.member_settings.set_broadcasts(turn.member.id, data.on)
    if (preferences := await changed(turn, result)) is not None:
        await show_home(turn, preferences, saved(turn.t, broadcasts_line(turn.t, preferences.broadcasts)))


@router.callback(ToggleInterest)
async def toggle_interest(turn: MemberTurn, data: ToggleInterest) -> None:
    result = await turn.services.member_settings.toggle_interest(turn.member.id, data.activity_type_id)
    if (preferences := await changed(turn, result)) is not None:
        await show_interests(turn, preferences, saved(turn.t, await interests_line(turn, preferences.interests)))


@router.callback(SettingsNeighbourhood)
async def chose_neighbourhood(turn: MemberTurn, data: SettingsNeighbourhood) -> None:
    await turn.services.members.set_neighbourhood(turn.member.id, data.neighbourhood_id or None)
    preferences = await turn.services.member_settings.preferences(turn.member.id)
    await turn.answer()
    await show_home(turn, preferences, saved(turn.t, await neighbourhood_line(turn, preferences.neighbourhood_id)))
