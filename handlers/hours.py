"""/log: a member logs hours they gave (or a coordinator, for a member without Telegram).

The dialogue: activity -> organisation -> date -> time given -> note -> confirm. Each
answer is kept in the dialogue row; the confirm button submits with an idempotency key
made when the dialogue began, so a double tap logs once. Approving is handlers/approvals.py.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date

from bot.i18n import N_, Translator
from bot.parsing.durations import DurationError, parse_duration
from bot.services.hour_rules import NOTE_MAX, LogRefusal
from bot.services.hours import LoggedEntry
from handlers.base import MemberTurn
from handlers.callback_data import CallbackData
from handlers.refusals import RefusalTable, Say
from handlers.routing import Router
from handlers.widgets import ShownDay, ask_past_day, button, day_from_button, day_text, keyboard, read_past_day
from handlers.wording import duration_problem

FLOW = "log"

router = Router("hours", expired=N_("That button has expired. Send /log to start again."))
router.menu_item(20, N_("⏱ Log hours"), "log")


@dataclass(frozen=True)
class CancelLog(CallbackData, prefix="log-cancel"):
    pass


@dataclass(frozen=True)
class LogActivity(CallbackData, prefix="log-act"):
    activity_type_id: int


@dataclass(frozen=True)
class LogOrganisation(CallbackData, prefix="log-org"):
    organisation_id: int


@dataclass(frozen=True)
class LogDay(CallbackData, prefix="log-date"):
    day: ShownDay


@dataclass(frozen=True)
class SkipNote(CallbackData, prefix="log-note"):
    pass


@dataclass(frozen=True)
class SendForApproval(CallbackData, prefix="log-send"):
    pass


@router.command("log")
async def start_log(turn: MemberTurn, args: list[str]) -> None:
    await begin_log(turn, turn.member.id)


async def begin_log(turn: MemberTurn, member_id: int, heading: str | None = None, for_name: str | None = None
                    ) -> None:
    """The log dialogue for oneself, or (a coordinator) for a member without Telegram, called `for_name`."""
    _ = turn.t
    await turn.set_dialogue(FLOW, "activity", key=secrets.token_hex(8), member_id=member_id, for_name=for_name)
    rows = [[button(item.name(turn.language), LogActivity(item.id))]
            for item in await turn.services.reference.activity_types()]
    rows.append([button(_.gettext("Cancel"), CancelLog())])
    await turn.reply(heading or _.gettext("<b>Log hours</b>\nWhat did you do?"), keyboard(*rows))


@router.callback(CancelLog)
async def cancel_log(turn: MemberTurn, data: CancelLog) -> None:
    if turn.dialogue is not None and turn.dialogue.flow == FLOW:
        await turn.end_dialogue()
    await turn.show(turn.t.gettext("Cancelled."))


@router.callback(LogActivity, flow=FLOW, steps={"activity"})
async def chose_activity(turn: MemberTurn, data: LogActivity) -> None:
    _ = turn.t
    await turn.set_dialogue(FLOW, "organisation", **{**turn.state.data, "activity_type_id": data.activity_type_id})
    rows = [[button(item.name(turn.language), LogOrganisation(item.id))]
            for item in await turn.services.reference.volunteering_organisations()]
    rows.append([button(_.gettext("Cancel"), CancelLog())])
    await turn.show(_.gettext("Which organisation was it with?"), keyboard(*rows))


@router.callback(LogOrganisation, flow=FLOW, steps={"organisation"})
async def chose_organisation(turn: MemberTurn, data: LogOrganisation) -> None:
    await turn.set_dialogue(FLOW, "date", **{**turn.state.data, "organisation_id": data.organisation_id})
    await _ask_date(turn)


async def _ask_date(turn: MemberTurn) -> None:
    await ask_past_day(turn, LogDay, [button(turn.t.plain("Cancel"), CancelLog())])


@router.callback(LogDay, flow=FLOW, steps={"date"})
async def chose_date(turn: MemberTurn, data: LogDay) -> None:
    await _take_date(turn, day_from_button(data.day))


@router.step(FLOW, "date")
async def typed_date(turn: MemberTurn, text: str) -> None:
    day = await read_past_day(turn, text)
    if day is not None:
        await _take_date(turn, day)


async def _take_date(turn: MemberTurn, worked_on: date) -> None:
    _ = turn.t
    await turn.set_dialogue(FLOW, "minutes", **{**turn.state.data, "worked_on": worked_on.isoformat()})
    if _for_someone_else(turn):
        await turn.show(_.gettext("How much time did they give on {date}? For example 2, 1.5, 1:30 or 90m.",
                                  date=day_text(turn, worked_on)))
        return
    await turn.show(_.gettext("How long did you give on {date}? For example 2, 1.5, 1:30 or 90m.",
                              date=day_text(turn, worked_on)))


def _for_someone_else(turn: MemberTurn) -> bool:
    """A coordinator logging for a member without Telegram (hours they may not approve themselves)."""
    return bool(turn.state.data["member_id"] != turn.member.id)


@router.step(FLOW, "minutes")
async def typed_minutes(turn: MemberTurn, text: str) -> None:
    minutes = parse_duration(text)
    if isinstance(minutes, DurationError):
        await turn.reply(duration_problem(turn.t, minutes))
        return
    _ = turn.t
    await turn.set_dialogue(FLOW, "note", **{**turn.state.data, "minutes": minutes})
    await turn.reply(_.gettext("Anything the coordinator should know? Type a short note, or skip."),
                     keyboard([button(_.gettext("Skip"), SkipNote())]))


@router.callback(SkipNote, flow=FLOW, steps={"note"})
async def skipped_note(turn: MemberTurn, data: SkipNote) -> None:
    await _confirm(turn, None)


@router.step(FLOW, "note")
async def typed_note(turn: MemberTurn, text: str) -> None:
    if len(text) > NOTE_MAX:
        await turn.reply(turn.t.ngettext("Please keep the note under {n} character.",
                                         "Please keep the note under {n} characters.", NOTE_MAX))
        return
    await _confirm(turn, text)


async def _confirm(turn: MemberTurn, note: str | None) -> None:
    _ = turn.t
    data = {**turn.state.data, "note": note}
    await turn.set_dialogue(FLOW, "confirm", **data)
    names = await turn.services.reference.names()
    activity = names.activity_types.get(data["activity_type_id"])
    organisation = names.organisations.get(data["organisation_id"])
    if activity is None or organisation is None:  # a forged or since-removed choice
        await turn.end_dialogue()
        await turn.reply(_.gettext("That button has expired. Send /log to start again."))
        return
    lines = [
        _.gettext("<b>Please check:</b>"),
        _.gettext("Activity: {activity}", activity=activity.name(turn.language)),
        _.gettext("Organisation: {organisation}", organisation=organisation.name(turn.language)),
        _.gettext("Date: {date}", date=day_text(turn, date.fromisoformat(data["worked_on"]))),
        _.gettext("Time given: {duration}", duration=_.duration(data["minutes"])),
    ]
    if note:
        lines.append(_.gettext("Note: {note}", note=note))
    text = "\n".join(lines)
    buttons = keyboard([button(_.gettext("Send for approval"), SendForApproval()),
                        button(_.gettext("Cancel"), CancelLog())])
    await turn.show(text, buttons)


@router.callback(SendForApproval, flow=FLOW, steps={"confirm"})
async def send_for_approval(turn: MemberTurn, data: SendForApproval) -> None:
    _ = turn.t
    state = turn.state.data
    result = await turn.services.hours.log_hours(
        state["member_id"], organisation_id=state["organisation_id"], activity_type_id=state["activity_type_id"],
        worked_on=date.fromisoformat(state["worked_on"]), minutes=state["minutes"], note=state.get("note"),
        submitted_by_member_id=turn.member.id, idempotency_key=f"log:{state['key']}", completion=turn.completion())
    if isinstance(result, LoggedEntry):  # the dialogue ended with it
        someone_else = _for_someone_else(turn)
        if someone_else:  # nobody approves hours they recorded
            await turn.show(_.gettext("Recorded: {duration} for {name}. Another coordinator must approve it, "
                                      "as you recorded it; {name} is credited then.",
                                      duration=_.duration(result.minutes), name=state.get("for_name") or ""))
            return
        await turn.show(_.gettext("Thank you! {duration} sent to the coordinator for approval. "
                                  "You'll hear when it is approved.", duration=_.duration(result.minutes)))
        return
    await _refused(turn, result)


NOT_LOGGED = Say(N_("Sorry, those hours could not be logged. Please send /log to try again."))


def _too_old(t: Translator, *, days: int, **_params: object) -> str:
    return t.ngettext("That is more than {n} day ago: please ask your coordinator to record it.",
                      "That is more than {n} days ago: please ask your coordinator to record it.", days)


LOG_REFUSALS = RefusalTable(LogRefusal, {
    LogRefusal.IN_FUTURE: Say(N_("You can't log hours for a day that hasn't happened yet.")),
    LogRefusal.TOO_OLD: _too_old,
    LogRefusal.TOO_LONG_FOR_ONE_DAY: Say(N_("With what you have already logged that day this comes to more than "
                                            "12 hours. Please type a shorter time.")),
    # Choices the dialogue offered that are gone or were forged, and what its own
    # questions already refuse: nothing to ask again, so the dialogue ends.
    LogRefusal.NOT_REGISTERED: NOT_LOGGED,
    LogRefusal.UNKNOWN_ORGANISATION: NOT_LOGGED,
    LogRefusal.UNKNOWN_ACTIVITY: NOT_LOGGED,
    LogRefusal.NOT_ALLOWED: NOT_LOGGED,
    LogRefusal.ZERO: NOT_LOGGED,
    LogRefusal.NOTE_TOO_LONG: NOT_LOGGED,
})


async def _refused(turn: MemberTurn, refusal: LogRefusal) -> None:
    text = LOG_REFUSALS.say(turn.t, refusal, days=turn.services.config.hours.log_window_days)
    if refusal in (LogRefusal.IN_FUTURE, LogRefusal.TOO_OLD):
        await turn.set_dialogue(FLOW, "date", **turn.state.data)
        await turn.reply(text)  # a message of its own, so asking again does not replace it
        await _ask_date(turn)
        return
    if refusal is LogRefusal.TOO_LONG_FOR_ONE_DAY:
        await turn.set_dialogue(FLOW, "minutes", **turn.state.data)
        await turn.show(text)
        return
    await turn.end_dialogue()
    await turn.show(text)
