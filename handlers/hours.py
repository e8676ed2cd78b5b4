"""/log (a member logs hours they gave) and /approvals (a coordinator decides them).

The log dialogue: activity -> organisation -> date -> time given -> note -> confirm.
Each answer is kept in the dialogue row; the confirm button submits with an
idempotency key made when the dialogue began, so a double tap logs once.
"""

from __future__ import annotations

import secrets
from datetime import date, timedelta

from bot.db.models import Role
from bot.i18n import N_, Safe, Translator
from bot.parsing.dates import DateError, parse_date
from bot.parsing.durations import DurationError, parse_duration
from bot.services import reference
from bot.services.hours import DecisionOutcome, LoggedEntry, LogRefusal
from handlers.base import Turn, button, callback, command, keyboard, number, step
from handlers.menu import menu_item, send_main_menu
from handlers.notifications import Rendered, renders

FLOW = "log"
REJECT_FLOW = "reject"
APPROVALS_SHOWN = 10

menu_item(20, N_("⏱ Log hours"), "log")
menu_item(60, N_("✅ Approvals"), "approvals", Role.COORDINATOR)


# --------------------------------------------------------------------------- logging


@command("log")
async def start_log(turn: Turn, args: list[str]) -> None:
    await begin_log(turn, turn.member.id)


async def begin_log(turn: Turn, member_id: int, heading: str | None = None) -> None:
    """The log dialogue for oneself, or (a coordinator) for a member without Telegram."""
    _ = turn.t
    await turn.set_dialogue(FLOW, "activity", key=secrets.token_hex(8), member_id=member_id)
    rows = [[button(item.name(turn.language), "log-act", item.id)]
            for item in await reference.activity_types(turn.services.db)]
    rows.append([button(_.gettext("Cancel"), "log-cancel")])
    await turn.reply(heading or _.gettext("<b>Log hours</b>\nWhat did you do?"), keyboard(*rows))


def _in_flow(turn: Turn, *steps: str) -> bool:
    return turn.dialogue is not None and turn.dialogue.flow == FLOW and turn.dialogue.step in steps


async def _expired(turn: Turn) -> None:
    await turn.answer(turn.t.gettext("That button has expired. Send /log to start again."), alert=True)


@callback("log-cancel")
async def cancel_log(turn: Turn, args: list[str]) -> None:
    if turn.dialogue is not None and turn.dialogue.flow == FLOW:
        await turn.end_dialogue()
    await turn.show(turn.t.gettext("Cancelled."))


@callback("log-act")
async def chose_activity(turn: Turn, args: list[str]) -> None:
    if not _in_flow(turn, "activity") or not args or number(args[0]) is None:
        await _expired(turn)
        return
    _ = turn.t
    await turn.set_dialogue(FLOW, "organisation", **{**turn.dialogue.data, "activity_type_id": number(args[0])})
    rows = [[button(item.name(turn.language), "log-org", item.id)]
            for item in await reference.volunteering_organisations(turn.services.db)]
    rows.append([button(_.gettext("Cancel"), "log-cancel")])
    await turn.show(_.gettext("Which organisation was it with?"), keyboard(*rows))


@callback("log-org")
async def chose_organisation(turn: Turn, args: list[str]) -> None:
    if not _in_flow(turn, "organisation") or not args or number(args[0]) is None:
        await _expired(turn)
        return
    await turn.set_dialogue(FLOW, "date", **{**turn.dialogue.data, "organisation_id": number(args[0])})
    await _ask_date(turn)


async def ask_past_day(turn: Turn, prefix: str, *extra_rows: list) -> None:  # noqa: ANN001
    """"When was it?" with Today and Yesterday buttons ("<prefix>:0", "<prefix>:1")."""
    _ = turn.t
    await turn.show(_.gettext("When was it? Choose, or type a date (for example 3/12 or 3 Dec)."),
                    keyboard([button(_.plain("Today"), prefix, 0), button(_.plain("Yesterday"), prefix, 1)],
                             *extra_rows))


def day_from_button(turn: Turn, args: list[str]) -> date | None:
    """Today or yesterday from a "<prefix>:0|1" button; None for anything else."""
    if args not in (["0"], ["1"]):
        return None
    return turn.services.hours.today() - timedelta(days=int(args[0]))


async def read_past_day(turn: Turn, text: str) -> date | None:
    """A typed day in the past (or today); None after explaining what could not be read."""
    parsed = parse_date(text, today=turn.services.hours.today(), prefer="past")
    if isinstance(parsed, DateError):
        await turn.reply(date_problem(turn, parsed))
        return None
    return parsed


async def _ask_date(turn: Turn) -> None:
    await ask_past_day(turn, "log-date", [button(turn.t.plain("Cancel"), "log-cancel")])


@callback("log-date")
async def chose_date(turn: Turn, args: list[str]) -> None:
    day = day_from_button(turn, args)
    if not _in_flow(turn, "date") or day is None:
        await _expired(turn)
        return
    await _take_date(turn, day)


@step(FLOW, "date")
async def typed_date(turn: Turn, text: str) -> None:
    day = await read_past_day(turn, text)
    if day is not None:
        await _take_date(turn, day)


def date_problem(turn: Turn, error: DateError) -> str:
    _ = turn.t
    if error is DateError.IMPOSSIBLE:
        return _.gettext("That date does not exist. Please check the day and month.")
    return _.gettext("I couldn't read that date. Try “today”, “yesterday”, 3/12 or 3 Dec.")


async def _take_date(turn: Turn, worked_on: date) -> None:
    _ = turn.t
    await turn.set_dialogue(FLOW, "minutes", **{**turn.dialogue.data, "worked_on": worked_on.isoformat()})
    await turn.show(_.gettext("How long did you give on {date}? For example 2, 1.5, 1:30 or 90m.",
                              date=_.date(worked_on)))


@step(FLOW, "minutes")
async def typed_minutes(turn: Turn, text: str) -> None:
    minutes = parse_duration(text)
    if isinstance(minutes, DurationError):
        await turn.reply(duration_problem(turn, minutes))
        return
    _ = turn.t
    await turn.set_dialogue(FLOW, "note", **{**turn.dialogue.data, "minutes": minutes})
    await turn.reply(_.gettext("Anything the coordinator should know? Type a short note, or skip."),
                     keyboard([button(_.gettext("Skip"), "log-note")]))


def duration_problem(turn: Turn, error: DurationError) -> str:
    _ = turn.t
    return {
        DurationError.ZERO: _.gettext("That is no time at all: please type how long you gave."),
        DurationError.NEGATIVE: _.gettext("Time given can't be negative."),
        DurationError.TOO_LONG: _.gettext("That is more than 12 hours in a day. Please log each day separately."),
        DurationError.NOT_WHOLE_MINUTES: _.gettext("Please give the time to the nearest minute."),
    }.get(error, _.gettext("I couldn't read that. Type hours and minutes, for example 2, 1.5, 1:30 or 90m."))


@callback("log-note")
async def skipped_note(turn: Turn, args: list[str]) -> None:
    if not _in_flow(turn, "note"):
        await _expired(turn)
        return
    await _confirm(turn, None)


@step(FLOW, "note")
async def typed_note(turn: Turn, text: str) -> None:
    if len(text) > 500:
        await turn.reply(turn.t.gettext("Please keep the note under 500 characters."))
        return
    await _confirm(turn, text)


async def _confirm(turn: Turn, note: str | None) -> None:
    _ = turn.t
    data = {**turn.dialogue.data, "note": note}
    await turn.set_dialogue(FLOW, "confirm", **data)
    names = await reference.by_id(turn.services.db)
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
        _.gettext("Date: {date}", date=_.date(date.fromisoformat(data["worked_on"]))),
        _.gettext("Time given: {duration}", duration=_.duration(data["minutes"])),
    ]
    if note:
        lines.append(_.gettext("Note: {note}", note=note))
    text = "\n".join(lines)
    buttons = keyboard([button(_.gettext("Send for approval"), "log-send"), button(_.gettext("Cancel"), "log-cancel")])
    if turn.query is not None:
        await turn.show(text, buttons)
    else:
        await turn.reply(text, buttons)


@callback("log-send")
async def send_for_approval(turn: Turn, args: list[str]) -> None:
    if not _in_flow(turn, "confirm"):
        await _expired(turn)
        return
    _ = turn.t
    data = turn.dialogue.data
    result = await turn.services.hours.log_hours(
        data["member_id"], organisation_id=data["organisation_id"], activity_type_id=data["activity_type_id"],
        worked_on=date.fromisoformat(data["worked_on"]), minutes=data["minutes"], note=data.get("note"),
        submitted_by_member_id=turn.member.id, idempotency_key=f"log:{data['key']}")
    if isinstance(result, LoggedEntry):
        await turn.end_dialogue()
        await turn.show(_.gettext("Thank you! {duration} sent to the coordinator for approval. "
                                  "You'll hear when it is approved.", duration=_.duration(result.minutes)))
        return
    await _refused(turn, result)


async def _refused(turn: Turn, refusal: LogRefusal) -> None:
    _ = turn.t
    if refusal in (LogRefusal.IN_FUTURE, LogRefusal.TOO_OLD):
        text = (_.gettext("You can't log hours for a day that hasn't happened yet.")
                if refusal is LogRefusal.IN_FUTURE else
                _.ngettext("That is more than {n} day ago: please ask your coordinator to record it.",
                           "That is more than {n} days ago: please ask your coordinator to record it.",
                           turn.services.config.hours.log_window_days))
        await turn.set_dialogue(FLOW, "date", **turn.dialogue.data)
        await turn.reply(text)  # a message of its own, so asking again does not replace it
        await _ask_date(turn)
        return
    if refusal is LogRefusal.TOO_LONG_FOR_ONE_DAY:
        await turn.set_dialogue(FLOW, "minutes", **turn.dialogue.data)
        await turn.show(_.gettext("With what you have already logged that day this comes to more than 12 hours. "
                                  "Please type a shorter time."))
        return
    await turn.end_dialogue()
    await turn.show(_.gettext("Sorry, those hours could not be logged. Please send /log to try again."))


# --------------------------------------------------------------------------- approvals


@command("approvals")
async def approvals(turn: Turn, args: list[str]) -> None:
    _ = turn.t
    if not turn.member.has_role(Role.COORDINATOR):
        await turn.reply(_.gettext("Only coordinators can approve hours."))
        return
    pending = await turn.services.hours.pending_for_coordinator(turn.member.id)
    if not pending:
        await turn.reply(_.gettext("Nothing is waiting for approval. 🎉"))
        return
    header = _.ngettext("{n} entry is waiting for approval.", "{n} entries are waiting for approval.", len(pending))
    # "Approve all" covers what was listed here: the newest entry id shown travels with it
    # (the service still checks every entry); possible duplicates are left for a look each.
    shown = pending[:APPROVALS_SHOWN]
    await turn.reply(header, keyboard([button(_.gettext("Approve all shown"), "appr", "all",
                                              max(entry.entry_id for entry in shown))])
                     if len(shown) > 1 else None)
    for entry in shown:
        lines = [
            _.gettext("<b>{name}</b> – {duration}", name=entry.member_display_name or _.gettext("(erased member)"),
                      duration=_.duration(entry.minutes)),
            _.gettext("{activity}, {organisation}", activity=entry.activity.name(turn.language),
                      organisation=entry.organisation.name(turn.language)),
            _.date(entry.worked_on, opens_line=True),
        ]
        if entry.note:
            lines.append(_.gettext("Note: {note}", note=entry.note))
        if entry.possible_duplicate:
            lines.append(_.gettext("⚠️ Possible duplicate: they logged this activity on this day already."))
        await turn.reply("\n".join(lines), keyboard([button(_.gettext("Approve"), "appr", "ok", entry.entry_id),
                                                     button(_.gettext("Reject"), "appr", "no", entry.entry_id)]))
    if len(pending) > APPROVALS_SHOWN:
        await turn.reply(_.ngettext("…and {n} more. Approve these first, then send /approvals again.",
                                    "…and {n} more. Approve these first, then send /approvals again.",
                                    len(pending) - APPROVALS_SHOWN))


def decision_text(turn: Turn, outcome: DecisionOutcome) -> str:
    _ = turn.t
    return {
        DecisionOutcome.APPROVED: _.gettext("✅ Approved."),
        DecisionOutcome.REJECTED: _.gettext("Rejected; the volunteer has been told why."),
        DecisionOutcome.NOT_FOUND: _.gettext("That entry no longer exists."),
        DecisionOutcome.NOT_COORDINATOR: _.gettext("Only a coordinator of that organisation can decide these hours."),
        DecisionOutcome.OWN_ENTRY: _.gettext("You can't approve your own hours: another coordinator must."),
        DecisionOutcome.ALREADY_DECIDED: _.gettext("That entry has already been decided."),
        DecisionOutcome.REASON_MISSING: _.gettext("Please type a reason."),
        DecisionOutcome.REASON_TOO_LONG: _.gettext("Please keep the reason under 500 characters."),
    }[outcome]


@callback("appr")
async def decide(turn: Turn, args: list[str]) -> None:
    _ = turn.t
    hours = turn.services.hours
    if len(args) == 2 and args[0] == "all" and number(args[1]) is not None:
        result = await hours.approve_all(turn.member.id, up_to_entry_id=number(args[1]))
        text = _.ngettext("Approved {n} entry, {duration} in all.", "Approved {n} entries, {duration} in all.",
                          result.approved, duration=_.duration(result.minutes))
        if result.skipped_own:
            text += " " + _.ngettext("{n} entry of your own (or recorded by you) waits for another coordinator.",
                                     "{n} entries of your own (or recorded by you) wait for another coordinator.",
                                     result.skipped_own)
        await turn.show(text)
        return
    if len(args) != 2 or args[0] not in ("ok", "no") or number(args[1]) is None:
        await turn.answer(_.gettext("That button has expired."), alert=True)
        return
    entry_id = number(args[1])
    if args[0] == "ok":
        decision = await hours.approve(entry_id, coordinator_member_id=turn.member.id)
        if decision.outcome is DecisionOutcome.APPROVED:
            shown = getattr(turn.query.message, "text_html", None)  # None on an inaccessible old message
            await turn.show(Safe(shown + "\n\n" + decision_text(turn, decision.outcome)) if shown
                            else decision_text(turn, decision.outcome))
        else:
            await turn.answer(decision_text(turn, decision.outcome), alert=True)
        return
    # Rejecting needs a reason: ask for it, keeping which entry in the dialogue row.
    await turn.set_dialogue(REJECT_FLOW, "reason", entry_id=entry_id)
    await turn.answer()
    await turn.reply(_.gettext("Why can't these hours be approved? The volunteer will see your reason."))


@step(REJECT_FLOW, "reason")
async def typed_reason(turn: Turn, text: str) -> None:
    decision = await turn.services.hours.reject(turn.dialogue.data["entry_id"], coordinator_member_id=turn.member.id,
                                                reason=text)
    if decision.outcome in (DecisionOutcome.REASON_MISSING, DecisionOutcome.REASON_TOO_LONG):
        await turn.reply(decision_text(turn, decision.outcome))
        return
    await turn.end_dialogue()
    await send_main_menu(turn, decision_text(turn, decision.outcome))


# --------------------------------------------------------------------------- notifications


async def entry_words(services, t: Translator, payload: dict) -> dict[str, str]:  # noqa: ANN001
    """What hour notifications name: the organisation, how long and which day."""
    names = await reference.by_id(services.db)
    organisation = names.organisations.get(payload["organisation_id"])
    return {"organisation": organisation.name(t.language) if organisation else "",
            "duration": t.duration(payload["minutes"]), "date": t.date(date.fromisoformat(payload["worked_on"]))}


@renders("hours_approved")
async def render_approved(services, t, payload, member_id) -> Rendered:  # noqa: ANN001
    return Rendered(t.gettext(
        "✅ {organisation} approved {duration} on {date}. Thank you! Your balance is now {balance}.",
        **await entry_words(services, t, payload), balance=t.credits(payload["balance_minutes"])))


@renders("hours_rejected")
async def render_rejected(services, t, payload, member_id) -> Rendered:  # noqa: ANN001
    return Rendered(t.gettext("{organisation} could not approve {duration} on {date}. Their reason: {reason}",
                              **await entry_words(services, t, payload), reason=payload["reason"]))
