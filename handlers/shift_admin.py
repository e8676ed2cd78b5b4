"""Coordinators and shifts: /newshift (a guided dialogue), edit, cancel, attendance,
/dbs (record a DBS check) and /activities (staff set the activity flags).

Dates and times are typed in common UK forms or in Welsh and read by bot.parsing;
what the coordinator has said so far waits in the dialogue row.
"""

from __future__ import annotations

import html

from datetime import date, datetime, timedelta

from telegram import InlineKeyboardButton

from bot.db.models import Attendance, Role
from bot.i18n import N_, Translator
from bot.parsing.dates import DateError, DayAndTimes, local_to_utc, parse_date, parse_day_and_times, parse_time, parse_time_range
from bot.services import reference
from bot.services.activity_types import Flag, FlagOutcome
from bot.services.attendance import AttendanceConfirmed, AttendanceRefusal
from bot.services.dbs import DbsRecorded, DbsRefusal
from bot.services.shift_rules import CreateRefusal
from bot.services.shift_authoring import CancelRefusal, EditRefusal, ShiftChanges, ShiftDraft, ShiftsCreated
from handlers.base import PAGE_SIZE, Turn, button, callback, command, keyboard, number, paged, step
from handlers.hours import date_problem
from handlers.menu import menu_item
from handlers.notifications import Rendered, renders
from handlers.shifts import show_card, time_span

FLOW = "newshift"
EDIT_FLOW = "editshift"
DESCRIPTION_MAX = 3000

menu_item(50, N_("➕ New shift"), "newshift", Role.COORDINATOR)


def _coordinates(turn: Turn) -> bool:
    return turn.member.has_role(Role.COORDINATOR)


def _in(turn: Turn, flow: str, *steps: str) -> bool:
    return turn.dialogue is not None and turn.dialogue.flow == flow and turn.dialogue.step in steps


async def _expired(turn: Turn) -> None:
    await turn.answer(turn.t.gettext("That button has expired."), alert=True)


def _cancel_row(turn: Turn) -> list[InlineKeyboardButton]:
    return [button(turn.t.gettext("Cancel"), "nsh-cancel")]


async def _ask(turn: Turn, text: str, *rows: list[InlineKeyboardButton]) -> None:
    markup = keyboard(*rows, _cancel_row(turn))
    if turn.query is not None:
        await turn.show(text, markup)
    else:
        await turn.reply(text, markup)


async def _next(turn: Turn, step_name: str, **changes: object) -> None:
    data = {**(turn.dialogue.data if turn.dialogue else {}), **changes}
    await turn.set_dialogue(FLOW, step_name, **data)
    await ASK[step_name](turn)


# --------------------------------------------------------------------------- the questions


async def ask_activity(turn: Turn) -> None:
    rows = [[button(item.name(turn.language), "nsh-act", item.id)]
            for item in await reference.activity_types(turn.services.db)]
    await _ask(turn, turn.t.gettext("<b>New shift</b>\nWhat kind of activity?"), *rows)


async def ask_organisation(turn: Turn) -> None:
    names = await reference.by_id(turn.services.db)
    rows = [[button(names.organisations[org].name(turn.language), "nsh-org", org)]
            for org in sorted(turn.member.organisations_with(Role.COORDINATOR)) if org in names.organisations]
    await _ask(turn, turn.t.gettext("For which organisation?"), *rows)


async def ask_neighbourhood(turn: Turn) -> None:
    rows = [[button(item.name(turn.language), "nsh-hood", item.id)]
            for item in await reference.neighbourhoods(turn.services.db)]
    await _ask(turn, turn.t.gettext("In which neighbourhood?"), *rows)


async def ask_venue(turn: Turn) -> None:
    await _ask(turn, turn.t.gettext("What is the venue called? (for example: Ely Hub, Grand Avenue)"))


async def ask_address(turn: Turn) -> None:
    await _ask(turn, turn.t.gettext("The address, so people can find it? Type it, send a location pin, or skip."),
               [button(turn.t.gettext("Skip"), "nsh-skip", "address")])


async def ask_date(turn: Turn) -> None:
    await _ask(turn, turn.t.gettext("Which day? For example: 12/12, 12 Dec, Saturday, or dydd Sadwrn. "
                                    "You can add the times too: Sat 12 Dec 10:00-12:30."))


async def ask_end(turn: Turn) -> None:
    await _ask(turn, turn.t.gettext("Until what time? For example 12:30, 4pm or 4yp."))


async def ask_times(turn: Turn) -> None:
    await _ask(turn, turn.t.gettext("From what time to what time? For example: 10:00-12:30, 2pm-4pm or 10yb-1yp."))


async def ask_capacity(turn: Turn) -> None:
    await _ask(turn, turn.t.gettext("How many volunteers are needed at most? (1 to 500)"))


async def ask_minimum(turn: Turn) -> None:
    await _ask(turn, turn.t.gettext("And the fewest it can run with?"),
               [button(turn.t.gettext("Skip (1)"), "nsh-skip", "minimum")])


async def ask_dbs(turn: Turn) -> None:
    _ = turn.t
    await _ask(turn, _.gettext("Does this shift need a DBS check (work with children or vulnerable adults)?"),
               [button(_.gettext("Yes, DBS needed"), "nsh-dbs", 1), button(_.gettext("No"), "nsh-dbs", 0)])


async def ask_description_en(turn: Turn) -> None:
    await _ask(turn, turn.t.gettext("Describe the shift in English (what volunteers will do), or skip."),
               [button(turn.t.gettext("Skip"), "nsh-skip", "description_en")])


async def ask_description_cy(turn: Turn) -> None:
    await _ask(turn, turn.t.gettext("And in Welsh, or skip (English speakers then see the English, and Welsh "
                                    "speakers see it marked as English only)."),
               [button(turn.t.gettext("Skip"), "nsh-skip", "description_cy")])


async def ask_repeat(turn: Turn) -> None:
    _ = turn.t
    await _ask(turn, _.gettext("Repeat it every week? Choose, or type a number of weeks (up to 26)."),
               [button(_.gettext("Just once"), "nsh-rep", 1), button(_.ngettext("{n} week", "{n} weeks", 4), "nsh-rep", 4)],
               [button(_.ngettext("{n} week", "{n} weeks", 8), "nsh-rep", 8),
                button(_.ngettext("{n} week", "{n} weeks", 12), "nsh-rep", 12)])


async def ask_confirm(turn: Turn) -> None:
    _ = turn.t
    data = turn.dialogue.data
    names = await reference.by_id(turn.services.db)
    starts_at, ends_at = datetime.fromisoformat(data["starts_at"]), datetime.fromisoformat(data["ends_at"])
    lines = [
        _.gettext("<b>Please check the new shift:</b>"),
        _.gettext("Activity: {activity}", activity=names.activity_types[data["activity_type_id"]].name(turn.language)),
        _.gettext("Organisation: {organisation}",
                  organisation=names.organisations[data["organisation_id"]].name(turn.language)),
        _.gettext("{venue}, {neighbourhood}", venue=data["venue"],
                  neighbourhood=names.neighbourhoods[data["neighbourhood_id"]].name(turn.language)),
        time_span(_, starts_at, ends_at),
        _.gettext("Volunteers: {minimum} to {capacity}", minimum=data.get("minimum", 1), capacity=data["capacity"]),
        _.gettext("DBS check needed") if data["requires_dbs"] else _.gettext("No DBS check needed"),
    ]
    if data.get("repeat", 1) > 1:
        lines.append(_.ngettext("Every week for {n} week", "Every week for {n} weeks", data["repeat"]))
    await _ask(turn, "\n".join(lines), [button(_.gettext("Create"), "nsh-create")])


ASK = {
    "activity": ask_activity, "organisation": ask_organisation, "neighbourhood": ask_neighbourhood,
    "venue": ask_venue, "address": ask_address, "date": ask_date, "times": ask_times,
    "end": ask_end, "capacity": ask_capacity, "minimum": ask_minimum, "dbs": ask_dbs, "description_en": ask_description_en,
    "description_cy": ask_description_cy, "repeat": ask_repeat, "confirm": ask_confirm,
}


# --------------------------------------------------------------------------- the answers


@command("newshift")
async def new_shift(turn: Turn, args: list[str]) -> None:
    if not _coordinates(turn):
        await turn.reply(turn.t.gettext("Only coordinators can create shifts."))
        return
    await turn.set_dialogue(FLOW, "activity")
    await ask_activity(turn)


@callback("nsh-cancel")
async def cancelled(turn: Turn, args: list[str]) -> None:
    if turn.dialogue is not None and turn.dialogue.flow in (FLOW, EDIT_FLOW):
        await turn.end_dialogue()
    await turn.show(turn.t.gettext("Cancelled."))


@callback("nsh-act")
async def chose_activity(turn: Turn, args: list[str]) -> None:
    if not _in(turn, FLOW, "activity") or not args or number(args[0]) is None:
        await _expired(turn)
        return
    types = {item.id: item for item in await turn.services.activity_types.listing()}
    if number(args[0]) not in types:
        await _expired(turn)
        return
    organisations = sorted(turn.member.organisations_with(Role.COORDINATOR))
    chosen = {"activity_type_id": number(args[0]), "requires_dbs": types[number(args[0])].requires_dbs}
    if len(organisations) == 1:
        await _next(turn, "neighbourhood", **chosen, organisation_id=organisations[0])
    else:
        await _next(turn, "organisation", **chosen)


@callback("nsh-org")
async def chose_organisation(turn: Turn, args: list[str]) -> None:
    if not _in(turn, FLOW, "organisation") or not args or number(args[0]) is None:
        await _expired(turn)
        return
    await _next(turn, "neighbourhood", organisation_id=number(args[0]))


@callback("nsh-hood")
async def chose_neighbourhood(turn: Turn, args: list[str]) -> None:
    if not _in(turn, FLOW, "neighbourhood") or not args or number(args[0]) is None:
        await _expired(turn)
        return
    await _next(turn, "venue", neighbourhood_id=number(args[0]))


@step(FLOW, "venue")
async def typed_venue(turn: Turn, text: str) -> None:
    venue = " ".join(text.split())
    if not venue or len(venue) > 160:
        await turn.reply(turn.t.gettext("Please type the venue's name (up to 160 characters)."))
        return
    await _next(turn, "address", venue=venue)


@step(FLOW, "address")
async def typed_address(turn: Turn, text: str) -> None:
    address = " ".join(text.split())
    if len(address) > 300:
        await turn.reply(turn.t.gettext("Please keep the address under 300 characters."))
        return
    await _next(turn, "date", address=address)


async def shared_location(turn: Turn, latitude: float, longitude: float) -> None:
    """A location pin sent while the dialogue asks for the address."""
    await _next(turn, "date", latitude=latitude, longitude=longitude)


@callback("nsh-skip")
async def skipped(turn: Turn, args: list[str]) -> None:
    following = {"address": "date", "minimum": "dbs", "description_en": "description_cy",
                 "description_cy": "repeat"}
    if not args or args[0] not in following or not _in(turn, FLOW, args[0]):
        await _expired(turn)
        return
    defaults = {"address": "", "minimum": 1, "description_en": "", "description_cy": ""}
    await _next(turn, following[args[0]], **{args[0]: defaults[args[0]]})


async def read_when(turn: Turn, text: str) -> DayAndTimes | None:
    """The day (and any times) typed; None after explaining what is wrong."""
    when = parse_day_and_times(text, today=turn.services.hours.today(), prefer="future")
    if isinstance(when, DateError):
        await turn.reply(times_problem(turn.t, when) if when is DateError.END_BEFORE_START
                         else date_problem(turn, when))
        return None
    if when.day < turn.services.hours.today():
        await turn.reply(turn.t.gettext("That day has passed. Please give a day from today on."))
        return None
    return when


@step(FLOW, "date")
async def typed_date(turn: Turn, text: str) -> None:
    when = await read_when(turn, text)
    if when is None:
        return
    if when.end is not None:
        span = utc_span(turn, when.day, f"{when.start:%H:%M}-{when.end:%H:%M}")
        if isinstance(span, str):
            await turn.set_dialogue(FLOW, "times", **{**turn.dialogue.data, "day": when.day.isoformat()})
            await turn.reply(span)
            return
        await _next(turn, "capacity", day=when.day.isoformat(), starts_at=span[0].isoformat(),
                    ends_at=span[1].isoformat())
    elif when.start is not None:
        await _next(turn, "end", day=when.day.isoformat(), start=f"{when.start:%H:%M}")
    else:
        await _next(turn, "times", day=when.day.isoformat())


@step(FLOW, "end")
async def typed_end(turn: Turn, text: str) -> None:
    end = parse_time(text)
    if isinstance(end, DateError):
        await turn.reply(times_problem(turn.t, end))
        return
    data = turn.dialogue.data
    span = utc_span(turn, date.fromisoformat(data["day"]), f"{data['start']}-{end:%H:%M}")
    if isinstance(span, str):
        await turn.reply(span)
        return
    await _next(turn, "capacity", starts_at=span[0].isoformat(), ends_at=span[1].isoformat())


def too_long(t: Translator) -> str:
    return t.ngettext("That is too long for a shift card: please keep it under {n} character.",
                      "That is too long for a shift card: please keep it under {n} characters.", DESCRIPTION_MAX)


def times_problem(t: Translator, error: DateError) -> str:
    return {
        DateError.END_BEFORE_START: t.gettext("The end must be after the start (a shift can't run past midnight)."),
        DateError.NONEXISTENT_TIME: t.gettext("That time doesn't exist on that day: the clocks go forward. "
                                              "Please choose another time."),
        DateError.IMPOSSIBLE: t.gettext("That time doesn't exist. Please check it."),
    }.get(error, t.gettext("I couldn't read those times. Try 10:00-12:30, 2pm-4pm or 10yb-1yp."))


@step(FLOW, "times")
async def typed_times(turn: Turn, text: str) -> None:
    span = utc_span(turn, date.fromisoformat(turn.dialogue.data["day"]), text)
    if isinstance(span, str):
        await turn.reply(span)
        return
    await _next(turn, "capacity", starts_at=span[0].isoformat(), ends_at=span[1].isoformat())


def utc_span(turn: Turn, day: date, text: str) -> tuple[datetime, datetime] | str:
    """A typed time range on a local day, as UTC instants, or the reason it can't be."""
    times = parse_time_range(text)
    if isinstance(times, DateError):
        return times_problem(turn.t, times)
    tz = turn.services.config.tz
    starts_at = local_to_utc(datetime.combine(day, times[0]), tz)
    ends_at = local_to_utc(datetime.combine(day, times[1]), tz)
    for value in (starts_at, ends_at):
        if isinstance(value, DateError):
            return times_problem(turn.t, value)
    if starts_at <= turn.services.clock.now():
        return turn.t.gettext("That time has already passed. Please choose a later one.")
    return starts_at, ends_at


def whole_number(text: str, low: int, high: int) -> int | None:
    value = number(text)
    return value if value is not None and low <= value <= high else None


@step(FLOW, "capacity")
async def typed_capacity(turn: Turn, text: str) -> None:
    capacity = whole_number(text, 1, 500)
    if capacity is None:
        await turn.reply(turn.t.gettext("Please type a whole number from 1 to 500."))
        return
    await _next(turn, "minimum", capacity=capacity)


@step(FLOW, "minimum")
async def typed_minimum(turn: Turn, text: str) -> None:
    capacity = turn.dialogue.data["capacity"]
    minimum = whole_number(text, 1, capacity)
    if minimum is None:
        await turn.reply(turn.t.gettext("Please type a whole number from 1 to {capacity}.", capacity=capacity))
        return
    await _next(turn, "dbs", minimum=minimum)


@callback("nsh-dbs")
async def chose_dbs(turn: Turn, args: list[str]) -> None:
    if not _in(turn, FLOW, "dbs") or args not in (["0"], ["1"]):
        await _expired(turn)
        return
    await _next(turn, "description_en", requires_dbs=args == ["1"])


async def _description(turn: Turn, text: str, field: str, following: str) -> None:
    description = text.strip()
    if len(description) > DESCRIPTION_MAX:
        await turn.reply(too_long(turn.t))
        return
    await _next(turn, following, **{field: description})


@step(FLOW, "description_en")
async def typed_description_en(turn: Turn, text: str) -> None:
    await _description(turn, text, "description_en", "description_cy")


@step(FLOW, "description_cy")
async def typed_description_cy(turn: Turn, text: str) -> None:
    await _description(turn, text, "description_cy", "repeat")


@callback("nsh-rep")
async def chose_repeat(turn: Turn, args: list[str]) -> None:
    weeks = whole_number(args[0], 1, 26) if args else None
    if not _in(turn, FLOW, "repeat") or weeks is None:
        await _expired(turn)
        return
    await _next(turn, "confirm", repeat=weeks)


@step(FLOW, "repeat")
async def typed_repeat(turn: Turn, text: str) -> None:
    weeks = whole_number(text, 1, 26)
    if weeks is None:
        await turn.reply(turn.t.gettext("Please type a number of weeks from 1 to 26."))
        return
    await _next(turn, "confirm", repeat=weeks)


def create_problem(t: Translator, refusal: CreateRefusal | EditRefusal) -> tuple[str, str | None]:
    """What to say, and which question to ask again."""
    value = refusal.value
    table = {
        "not_coordinator": (t.gettext("Only coordinators of that organisation can do that."), None),
        "in_past": (t.gettext("That time has already passed. Please choose a later one."), "date"),
        "ends_before_start": (t.gettext("The end must be after the start (a shift can't run past midnight)."), "times"),
        "too_long": (t.gettext("A shift can be at most 12 hours long."), "times"),
        "capacity_out_of_range": (t.gettext("Please type a whole number from 1 to 500."), "capacity"),
        "minimum_above_capacity": (t.gettext("The fewest can't be more than the most."), "minimum"),
        "minimum_below_one": (t.gettext("The fewest must be at least 1."), "minimum"),
        "description_too_long": (too_long(t), "description_en"),
        "nonexistent_local_time": (t.gettext("That time doesn't exist on that day: the clocks go forward. "
                                             "Please choose another time."), "times"),
        "capacity_below_booked": (t.gettext("More people are booked than that: cancel bookings first, or choose "
                                            "a larger number."), None),
        "shift_started": (t.gettext("This shift has already started."), None),
        "shift_cancelled": (t.gettext("This shift has been cancelled."), None),
        "not_found": (t.gettext("That shift no longer exists."), None),
        "venue_missing": (t.gettext("Please type the venue's name (up to 160 characters)."), "venue"),
        "venue_too_long": (t.gettext("Please type the venue's name (up to 160 characters)."), "venue"),
        "address_too_long": (t.gettext("Please keep the address under 300 characters."), "address"),
        "location_invalid": (t.gettext("That location can't be used. Type the address instead."), "address"),
        "repeat_out_of_range": (t.gettext("Please type a number of weeks from 1 to 26."), "repeat"),
        "unknown_activity_type": (t.gettext("That activity no longer exists. Please choose again."), "activity"),
        "unknown_neighbourhood": (t.gettext("That neighbourhood no longer exists. Please choose again."),
                                  "neighbourhood"),
    }
    return table.get(value, (t.gettext("Sorry, that could not be saved. Please check and try again."), None))


@callback("nsh-create")
async def create(turn: Turn, args: list[str]) -> None:
    _ = turn.t
    if not _in(turn, FLOW, "confirm"):
        await _expired(turn)
        return
    data = turn.dialogue.data
    draft = ShiftDraft(
        organisation_id=data["organisation_id"], activity_type_id=data["activity_type_id"],
        neighbourhood_id=data["neighbourhood_id"], venue=data["venue"], address=data.get("address", ""),
        latitude=data.get("latitude"), longitude=data.get("longitude"),
        starts_at=datetime.fromisoformat(data["starts_at"]), ends_at=datetime.fromisoformat(data["ends_at"]),
        capacity=data["capacity"], minimum=data.get("minimum", 1), requires_dbs=data["requires_dbs"],
        description_en=data.get("description_en", ""), description_cy=data.get("description_cy", ""))
    result = await turn.services.shifts.create_shifts(turn.member.id, draft, repeat_weeks=data.get("repeat", 1))
    if isinstance(result, ShiftsCreated):
        await turn.end_dialogue()
        await show_card(turn, result.shift_ids[0], notice=_.ngettext(
            "✅ Created {n} shift.", "✅ Created {n} shifts.", len(result.shift_ids)))
        return
    text, again = create_problem(_, result)
    if again is None:
        await turn.end_dialogue()
        await turn.show(text)
        return
    await turn.answer(text, alert=True)
    await turn.set_dialogue(FLOW, again, **data)
    await ASK[again](turn)


# --------------------------------------------------------------------------- edit and cancel


@callback("shc-edit")
async def edit(turn: Turn, args: list[str]) -> None:
    _ = turn.t
    if not args or number(args[0]) is None:
        await _expired(turn)
        return
    shift_id = number(args[0])
    await turn.set_dialogue(EDIT_FLOW, "field", shift_id=shift_id)
    await turn.show(_.gettext("What would you like to change?"), keyboard(
        [button(_.gettext("Day and time"), "shc-field", "date"), button(_.gettext("Venue"), "shc-field", "venue")],
        [button(_.gettext("Number of places"), "shc-field", "capacity")],
        [button(_.gettext("Description in English"), "shc-field", "description_en"),
         button(_.gettext("Description in Welsh"), "shc-field", "description_cy")],
        [button(_.gettext("Cancel"), "nsh-cancel")]))


@callback("shc-field")
async def edit_field(turn: Turn, args: list[str]) -> None:
    questions = {"date": ask_date, "venue": ask_venue, "capacity": ask_capacity,
                 "description_en": ask_new_description_en, "description_cy": ask_new_description_cy}
    if not _in(turn, EDIT_FLOW, "field") or not args or args[0] not in questions:
        await _expired(turn)
        return
    await turn.set_dialogue(EDIT_FLOW, args[0], **turn.dialogue.data)
    await questions[args[0]](turn)


async def _apply(turn: Turn, changes: ShiftChanges) -> None:
    shift_id = turn.dialogue.data["shift_id"]
    result = await turn.services.shifts.edit_shift(turn.member.id, shift_id, changes)
    if isinstance(result, EditRefusal):
        text, again = create_problem(turn.t, result)
        if again is None:  # nothing to ask again: the shift started, was cancelled, or is not theirs
            await turn.end_dialogue()
        await turn.reply(text)
        return
    await turn.end_dialogue()
    notice = turn.t.ngettext("Saved. {n} booked volunteer has been told.", "Saved. {n} booked volunteers have been told.",
                             len(result.notified_member_ids))
    await show_card(turn, shift_id, notice=notice)


@step(EDIT_FLOW, "venue")
async def edited_venue(turn: Turn, text: str) -> None:
    venue = " ".join(text.split())
    if not venue or len(venue) > 160:
        await turn.reply(turn.t.gettext("Please type the venue's name (up to 160 characters)."))
        return
    await _apply(turn, ShiftChanges(venue=venue))


@step(EDIT_FLOW, "capacity")
async def edited_capacity(turn: Turn, text: str) -> None:
    capacity = whole_number(text, 1, 500)
    if capacity is None:
        await turn.reply(turn.t.gettext("Please type a whole number from 1 to 500."))
        return
    await _apply(turn, ShiftChanges(capacity=capacity))


async def ask_new_description_en(turn: Turn) -> None:
    await _ask(turn, turn.t.gettext("Type the new description in English."))


async def ask_new_description_cy(turn: Turn) -> None:
    await _ask(turn, turn.t.gettext("Type the new description in Welsh."))


async def _edited_description(turn: Turn, text: str, field: str) -> None:
    if len(text.strip()) > DESCRIPTION_MAX:
        await turn.reply(too_long(turn.t))
        return
    await _apply(turn, ShiftChanges(**{field: text.strip()}))


@step(EDIT_FLOW, "description_en")
async def edited_description_en(turn: Turn, text: str) -> None:
    await _edited_description(turn, text, "description_en")


@step(EDIT_FLOW, "description_cy")
async def edited_description_cy(turn: Turn, text: str) -> None:
    await _edited_description(turn, text, "description_cy")


@step(EDIT_FLOW, "date")
async def edited_date(turn: Turn, text: str) -> None:
    when = await read_when(turn, text)
    if when is None:
        return
    data = {**turn.dialogue.data, "day": when.day.isoformat()}
    if when.end is not None:
        await turn.set_dialogue(EDIT_FLOW, "times", **data)
        await edited_times(turn, f"{when.start:%H:%M}-{when.end:%H:%M}")
    elif when.start is not None:
        await turn.set_dialogue(EDIT_FLOW, "end", **data, start=f"{when.start:%H:%M}")
        await ask_end(turn)
    else:
        await turn.set_dialogue(EDIT_FLOW, "times", **data)
        await ask_times(turn)


@step(EDIT_FLOW, "end")
async def edited_end(turn: Turn, text: str) -> None:
    end = parse_time(text)
    if isinstance(end, DateError):
        await turn.reply(times_problem(turn.t, end))
        return
    await edited_times(turn, f"{turn.dialogue.data['start']}-{end:%H:%M}")


@step(EDIT_FLOW, "times")
async def edited_times(turn: Turn, text: str) -> None:
    span = utc_span(turn, date.fromisoformat(turn.dialogue.data["day"]), text)
    if isinstance(span, str):
        await turn.reply(span)
        return
    await _apply(turn, ShiftChanges(starts_at=span[0], ends_at=span[1]))


@callback("shc-cancel")
async def cancel_shift(turn: Turn, args: list[str]) -> None:
    _ = turn.t
    if not args or number(args[0]) is None:
        await _expired(turn)
        return
    shift_id = number(args[0])
    if args[1:] != ["yes"]:
        await turn.show(_.gettext("Cancel this shift? Everyone booked or waiting will be told."), keyboard(
            [button(_.gettext("Yes, cancel the shift"), "shc-cancel", shift_id, "yes"),
             button(_.gettext("No, keep it"), "sh-c", shift_id)]))
        return
    result = await turn.services.shifts.cancel_shift(turn.member.id, shift_id)
    if isinstance(result, CancelRefusal):
        await turn.answer({
            CancelRefusal.NOT_FOUND: _.gettext("That shift no longer exists."),
            CancelRefusal.NOT_COORDINATOR: _.gettext("Only coordinators of that organisation can do that."),
            CancelRefusal.ALREADY_CANCELLED: _.gettext("This shift has been cancelled."),
            CancelRefusal.SHIFT_STARTED: _.gettext("This shift has already started."),
        }[result], alert=True)
        return
    await turn.show(_.ngettext("The shift is cancelled; {n} person has been told.",
                               "The shift is cancelled; {n} people have been told.", len(result.notified_member_ids)))


# --------------------------------------------------------------------------- attendance


def attendance_problem(t: Translator, refusal: AttendanceRefusal) -> str:
    return {
        AttendanceRefusal.NOT_FOUND: t.gettext("That shift no longer exists."),
        AttendanceRefusal.NOT_COORDINATOR: t.gettext("Only coordinators of that organisation can do that."),
        AttendanceRefusal.SHIFT_CANCELLED: t.gettext("This shift has been cancelled."),
        AttendanceRefusal.NOT_STARTED: t.gettext("Attendance can be taken once the shift has started."),
        AttendanceRefusal.NOT_BOOKED: t.gettext("They are not booked on this shift."),
        AttendanceRefusal.OWN_ATTENDANCE: t.gettext("Another coordinator must confirm your own attendance."),
        AttendanceRefusal.ALREADY_CREDITED: t.gettext("Their hours are already credited."),
    }[refusal]


async def show_roster(turn: Turn, shift_id: int, notice: str | None = None, page: int = 0) -> None:
    _ = turn.t
    roster = await turn.services.attendance.roster(turn.member.id, shift_id)
    if isinstance(roster, AttendanceRefusal):
        await turn.answer(attendance_problem(_, roster), alert=True)
        return
    lines = [_.gettext("<b>Who came?</b> {activity}, {when}", activity=roster.activity.name(turn.language),
                       when=time_span(_, roster.starts_at, roster.ends_at)),
             _.gettext("Each person marked as attended gets {duration}.", duration=_.duration(roster.minutes))]
    entries, navigation = paged(list(roster.entries), page, "att", shift_id)
    page = roster.entries.index(entries[0]) // PAGE_SIZE if entries else 0
    rows = []
    for entry in entries:
        name = entry.display_name or _.plain("(erased member)")
        mark = {Attendance.ATTENDED: "✅", Attendance.NO_SHOW: "❌"}.get(entry.attendance, "▫️")
        if entry.credited:
            lines.append(_.gettext("✅ {name} – credited", name=name))
            continue
        lines.append(f"{mark} {html.escape(name, quote=False)}")
        rows.append([button(f"✅ {name}"[:60], "att-m", shift_id, entry.member_id, "a", page),
                     button(_.plain("❌ No-show"), "att-m", shift_id, entry.member_id, "n", page)])
    if not roster.entries:
        lines.append(_.gettext("Nobody was booked."))
    elif navigation:
        lines.append(_.gettext("People {first}–{last} of {total}.", first=page * PAGE_SIZE + 1,
                               last=page * PAGE_SIZE + len(entries), total=len(roster.entries)))
    rows.append(navigation)
    rows.append([button(_.plain("Confirm and credit hours"), "att-ok", shift_id)])
    text = "\n".join(lines)
    await turn.show((notice + "\n\n" + text) if notice else text, keyboard(*rows))


@callback("att")
async def attendance(turn: Turn, args: list[str]) -> None:
    if not args or number(args[0]) is None:
        await _expired(turn)
        return
    await show_roster(turn, number(args[0]), page=number(args[1]) or 0 if len(args) > 1 else 0)


@callback("att-m")
async def mark(turn: Turn, args: list[str]) -> None:
    if len(args) != 4 or not (number(args[0]) is not None and number(args[1]) is not None) or args[2] not in ("a", "n"):
        await _expired(turn)
        return
    mark_value = Attendance.ATTENDED if args[2] == "a" else Attendance.NO_SHOW
    result = await turn.services.attendance.mark(turn.member.id, number(args[0]), number(args[1]), mark_value)
    if isinstance(result, AttendanceRefusal):
        await turn.answer(attendance_problem(turn.t, result), alert=True)
        return
    await show_roster(turn, number(args[0]), page=number(args[3]) or 0)


@callback("att-ok")
async def confirm(turn: Turn, args: list[str]) -> None:
    _ = turn.t
    if not args or number(args[0]) is None:
        await _expired(turn)
        return
    result = await turn.services.attendance.confirm_attendance(turn.member.id, number(args[0]))
    if isinstance(result, AttendanceRefusal):
        await turn.answer(attendance_problem(_, result), alert=True)
        return
    assert isinstance(result, AttendanceConfirmed)
    notice = _.ngettext("Confirmed: {n} person credited.", "Confirmed: {n} people credited.", len(result.credited))
    if result.unmarked_member_ids:
        notice += " " + _.ngettext("{n} person is not marked yet.", "{n} people are not marked yet.",
                                   len(result.unmarked_member_ids))
    await show_roster(turn, number(args[0]), notice=notice)


@renders("attendance_due")
async def render_attendance_due(services, t, payload, member_id) -> Rendered | None:  # noqa: ANN001
    card = await services.shifts.shift_card(payload["shift_id"], member_id=member_id)
    awaiting = {shift.shift_id for shift in await services.attendance.shifts_awaiting_attendance(member_id)}
    if card is None or card.shift_id not in awaiting:  # confirmed meanwhile, or no longer theirs to confirm
        return None
    return Rendered(t.gettext("{activity} at {venue} has finished ({when}). Who came? Confirm attendance so "
                              "volunteers get their credits.", activity=card.activity.name(t.language),
                              venue=card.venue, when=time_span(t, card.starts_at, card.ends_at)),
                    keyboard([button(t.gettext("Attendance"), "att", card.shift_id)]))


# --------------------------------------------------------------------------- DBS and activity flags


@command("dbs")
async def record_dbs(turn: Turn, args: list[str]) -> None:
    _ = turn.t
    if not _coordinates(turn):
        await turn.reply(_.gettext("Only coordinators can record DBS checks."))
        return
    usage = _.gettext("Write it like this: /dbs MEMBER_NUMBER DATE, for example /dbs 42 3/12/2025")
    if len(args) < 2 or number(args[0]) is None:
        await turn.reply(usage)
        return
    checked_on = parse_date(" ".join(args[1:]), today=turn.services.hours.today(), prefer="past")
    if isinstance(checked_on, DateError):
        await turn.reply(date_problem(turn, checked_on))
        return
    result = await turn.services.dbs.record_dbs_check(turn.member.id, number(args[0]), checked_on)
    if isinstance(result, DbsRecorded):
        await turn.reply(_.gettext("Recorded: DBS check of {date}, valid until {until}.", date=_.date(checked_on, "d MMMM y"),
                                   until=_.date(result.expires_on - timedelta(days=1), "d MMMM y")))
        return
    await turn.reply({
        DbsRefusal.NOT_COORDINATOR: _.gettext("Only coordinators can record DBS checks."),
        DbsRefusal.MEMBER_NOT_FOUND: _.gettext("I can't find a member with that number."),
        DbsRefusal.IN_FUTURE: _.gettext("A DBS check can't be dated in the future."),
    }.get(result, usage))


@command("activities")
async def activities(turn: Turn, args: list[str]) -> None:
    if not await turn.services.activity_types.may_set_flags(turn.member.id):
        await turn.reply(turn.t.gettext("Only TSO staff can change activity settings."))
        return
    await _show_activities(turn)


async def _show_activities(turn: Turn) -> None:
    _ = turn.t
    lines = [_.gettext("<b>Activity types</b>"),
             _.gettext("🛡 = needs a DBS check by default; 🏛 = stands in for a public service that was cut back "
                       "(reported in the weekly summary)."), ""]
    rows = []
    for index, item in enumerate(await turn.services.activity_types.listing(), start=1):
        lines.append(f"{index}. {'🛡' if item.requires_dbs else '▫️'}{'🏛' if item.replaces_reduced_service else '▫️'} "
                     + html.escape(item.name(turn.language), quote=False))
        # Each button carries the value it sets, so pressing it twice changes nothing more.
        rows.append([button(f"{index}. 🛡 " + ("✓" if item.requires_dbs else "✗"), "act-t", item.id, "d",
                            int(not item.requires_dbs)),
                     button(f"{index}. 🏛 " + ("✓" if item.replaces_reduced_service else "✗"), "act-t", item.id, "r",
                            int(not item.replaces_reduced_service))])
    lines.extend(["", _.gettext("Press a button to switch it on (✓) or off (✗).")])
    await turn.show("\n".join(lines), keyboard(*rows))


@callback("act-t")
async def toggle_flag(turn: Turn, args: list[str]) -> None:
    if len(args) != 3 or number(args[0]) is None or args[1] not in ("d", "r") or args[2] not in ("0", "1"):
        await _expired(turn)
        return
    flag = Flag.REQUIRES_DBS if args[1] == "d" else Flag.REPLACES_REDUCED_SERVICE
    outcome = await turn.services.activity_types.set_flag(turn.member.id, number(args[0]), flag, args[2] == "1")
    if outcome is FlagOutcome.NOT_STAFF:
        await turn.answer(turn.t.gettext("Only TSO staff can change activity settings."), alert=True)
        return
    await _show_activities(turn)
