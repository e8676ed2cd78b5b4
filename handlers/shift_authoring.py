"""/newshift: a coordinator creates a shift (or a weekly run of them) in a guided dialogue.

Dates and times are typed in common UK forms or in Welsh and read by bot.parsing; what
the coordinator has said so far waits in the dialogue row. Every question, button and
answer is declared for coordinators, so the role is checked at each press.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from bot.db.models import Role
from bot.i18n import N_
from bot.services.shift_authoring import ShiftDraft, ShiftsCreated
from bot.services.shift_rules import REPEAT_WEEKS_MAX, REPEAT_WEEKS_MIN
from handlers.base import MemberTurn
from handlers.callback_data import Between, CallbackData
from handlers.routing import Pin, Router
from handlers.shift_questions import (
    CancelShiftDialogue,
    ask,
    ask_capacity,
    ask_date,
    ask_end,
    ask_times,
    ask_venue,
    read_when,
    repeat_problem,
    times_steps,
    typed_answer_step,
    utc_span,
)
from handlers.shift_refusals import create_problem
from handlers.shifts import show_card
from handlers.widgets import button, whole_number
from handlers.wording import time_span

FLOW = "newshift"
EDIT_FLOW = "editshift"  # ended by the same Cancel button
COORDINATORS = {Role.COORDINATOR}
ONLY_COORDINATORS = N_("Only coordinators can create shifts.")

router = Router("shift_authoring")
router.menu_item(50, N_("➕ New shift"), "newshift")

Skippable = Literal["address", "minimum", "description_en", "description_cy"]


@dataclass(frozen=True)
class NewShiftActivity(CallbackData, prefix="nsh-act"):
    activity_type_id: int


@dataclass(frozen=True)
class NewShiftOrganisation(CallbackData, prefix="nsh-org"):
    organisation_id: int


@dataclass(frozen=True)
class NewShiftNeighbourhood(CallbackData, prefix="nsh-hood"):
    neighbourhood_id: int


@dataclass(frozen=True)
class SkipQuestion(CallbackData, prefix="nsh-skip"):
    question: Skippable


@dataclass(frozen=True)
class NeedsDbs(CallbackData, prefix="nsh-dbs"):
    needed: bool


@dataclass(frozen=True)
class RepeatWeeks(CallbackData, prefix="nsh-rep"):
    weeks: Annotated[int, Between(REPEAT_WEEKS_MIN, REPEAT_WEEKS_MAX)]


@dataclass(frozen=True)
class CreateShift(CallbackData, prefix="nsh-create"):
    pass


async def _next(turn: MemberTurn, step_name: str, **changes: object) -> None:
    data = {**(turn.dialogue.data if turn.dialogue else {}), **changes}
    await turn.set_dialogue(FLOW, step_name, **data)
    await ASK[step_name](turn)


# --------------------------------------------------------------------------- the questions


async def ask_activity(turn: MemberTurn) -> None:
    rows = [[button(item.name(turn.language), NewShiftActivity(item.id))]
            for item in await turn.services.reference.activity_types()]
    await ask(turn, turn.t.gettext("<b>New shift</b>\nWhat kind of activity?"), *rows)


async def ask_organisation(turn: MemberTurn) -> None:
    names = await turn.services.reference.names()
    rows = [[button(names.organisations[org].name(turn.language), NewShiftOrganisation(org))]
            for org in sorted(turn.member.organisations_with(Role.COORDINATOR)) if org in names.organisations]
    await ask(turn, turn.t.gettext("For which organisation?"), *rows)


async def ask_neighbourhood(turn: MemberTurn) -> None:
    rows = [[button(item.name(turn.language), NewShiftNeighbourhood(item.id))]
            for item in await turn.services.reference.neighbourhoods()]
    await ask(turn, turn.t.gettext("In which neighbourhood?"), *rows)


async def ask_address(turn: MemberTurn) -> None:
    await ask(turn, turn.t.gettext("The address, so people can find it? Type it, send a location pin, or skip."),
              [button(turn.t.gettext("Skip"), SkipQuestion("address"))])


async def ask_minimum(turn: MemberTurn) -> None:
    await ask(turn, turn.t.gettext("And the fewest it can run with?"),
              [button(turn.t.gettext("Skip (1)"), SkipQuestion("minimum"))])


async def ask_dbs(turn: MemberTurn) -> None:
    _ = turn.t
    await ask(turn, _.gettext("Does this shift need a DBS check (work with children or vulnerable adults)?"),
              [button(_.gettext("Yes, DBS needed"), NeedsDbs(True)), button(_.gettext("No"), NeedsDbs(False))])


async def ask_description_en(turn: MemberTurn) -> None:
    await ask(turn, turn.t.gettext("Describe the shift in English (what volunteers will do), or skip."),
              [button(turn.t.gettext("Skip"), SkipQuestion("description_en"))])


async def ask_description_cy(turn: MemberTurn) -> None:
    await ask(turn, turn.t.gettext("And in Welsh, or skip (English speakers then see the English, and Welsh "
                                   "speakers see it marked as English only)."),
              [button(turn.t.gettext("Skip"), SkipQuestion("description_cy"))])


async def ask_repeat(turn: MemberTurn) -> None:
    _ = turn.t
    await ask(turn, _.gettext("Repeat it every week? Choose, or type a number of weeks (up to {high}).",
                              high=_.number(REPEAT_WEEKS_MAX)),
              [button(_.gettext("Just once"), RepeatWeeks(1)),
               button(_.ngettext("{n} week", "{n} weeks", 4), RepeatWeeks(4))],
              [button(_.ngettext("{n} week", "{n} weeks", 8), RepeatWeeks(8)),
               button(_.ngettext("{n} week", "{n} weeks", 12), RepeatWeeks(12))])


async def ask_confirm(turn: MemberTurn) -> None:
    _ = turn.t
    data = turn.state.data
    names = await turn.services.reference.names()
    starts_at, ends_at = datetime.fromisoformat(data["starts_at"]), datetime.fromisoformat(data["ends_at"])
    lines: list[str] = [
        _.gettext("<b>Please check the new shift:</b>"),
        _.gettext("Activity: {activity}", activity=names.activity_types[data["activity_type_id"]].name(turn.language)),
        _.gettext("Organisation: {organisation}",
                  organisation=names.organisations[data["organisation_id"]].name(turn.language)),
        _.gettext("{venue}, {neighbourhood}", venue=data["venue"],
                  neighbourhood=names.neighbourhoods[data["neighbourhood_id"]].name(turn.language)),
    ]
    # Everything they typed, so nothing goes out unseen (a missing Welsh description shows as such).
    if data.get("address"):
        lines.append(_.gettext("Address: {address}", address=data["address"]))
    if data.get("latitude") is not None:
        lines.append(_.gettext("🗺 Map pin received"))
    lines += [
        time_span(_, starts_at, ends_at),
        _.gettext("Volunteers: {minimum} to {capacity}", minimum=data.get("minimum", 1), capacity=data["capacity"]),
        _.gettext("DBS check needed") if data["requires_dbs"] else _.gettext("No DBS check needed"),
        _.gettext("Description in English: {description}",
                  description=data.get("description_en") or _.gettext("not given")),
        _.gettext("Description in Welsh: {description}",
                  description=data.get("description_cy") or _.gettext("not given")),
    ]
    if data.get("repeat", 1) > 1:
        lines.append(_.ngettext("Every week for {n} week", "Every week for {n} weeks", data["repeat"]))
    await ask(turn, "\n".join(lines), [button(_.gettext("Create"), CreateShift())])


ASK = {
    "activity": ask_activity, "organisation": ask_organisation, "neighbourhood": ask_neighbourhood,
    "venue": ask_venue, "address": ask_address, "date": ask_date, "times": ask_times,
    "end": ask_end, "capacity": ask_capacity, "minimum": ask_minimum, "dbs": ask_dbs,
    "description_en": ask_description_en, "description_cy": ask_description_cy, "repeat": ask_repeat,
    "confirm": ask_confirm,
}


# --------------------------------------------------------------------------- the answers


@router.command("newshift", roles=COORDINATORS, refusal=ONLY_COORDINATORS)
async def new_shift(turn: MemberTurn, args: list[str]) -> None:
    await turn.set_dialogue(FLOW, "activity")
    await ask_activity(turn)


@router.callback(CancelShiftDialogue)
async def cancelled(turn: MemberTurn, data: CancelShiftDialogue) -> None:
    if turn.dialogue is not None and turn.dialogue.flow in (FLOW, EDIT_FLOW):
        await turn.end_dialogue()
    await turn.show(turn.t.gettext("Cancelled."))


@router.callback(NewShiftActivity, roles=COORDINATORS, refusal=ONLY_COORDINATORS, flow=FLOW, steps={"activity"})
async def chose_activity(turn: MemberTurn, data: NewShiftActivity) -> None:
    types = {item.id: item for item in await turn.services.activity_types.listing()}
    if data.activity_type_id not in types:
        await turn.answer(turn.t.gettext("That button has expired."), alert=True)
        return
    organisations = sorted(turn.member.organisations_with(Role.COORDINATOR))
    chosen = {"activity_type_id": data.activity_type_id, "requires_dbs": types[data.activity_type_id].requires_dbs}
    if len(organisations) == 1:
        await _next(turn, "neighbourhood", **chosen, organisation_id=organisations[0])
    else:
        await _next(turn, "organisation", **chosen)


@router.callback(NewShiftOrganisation, roles=COORDINATORS, refusal=ONLY_COORDINATORS, flow=FLOW,
                 steps={"organisation"})
async def chose_organisation(turn: MemberTurn, data: NewShiftOrganisation) -> None:
    if data.organisation_id not in turn.member.organisations_with(Role.COORDINATOR):
        await turn.answer(turn.t.gettext("Only coordinators of that organisation can do that."), alert=True)
        return
    await _next(turn, "neighbourhood", organisation_id=data.organisation_id)


@router.callback(NewShiftNeighbourhood, roles=COORDINATORS, refusal=ONLY_COORDINATORS, flow=FLOW,
                 steps={"neighbourhood"})
async def chose_neighbourhood(turn: MemberTurn, data: NewShiftNeighbourhood) -> None:
    await _next(turn, "venue", neighbourhood_id=data.neighbourhood_id)


# The questions answered by typing one value, and the question each leads to.
TYPED_THEN: dict[str, str] = {"venue": "address", "address": "date", "capacity": "minimum",
                              "description_en": "description_cy", "description_cy": "repeat"}


async def _typed(turn: MemberTurn, question: str, value: object) -> None:
    await _next(turn, TYPED_THEN[question], **{question: value})


for _question in TYPED_THEN:
    router.step(FLOW, _question, roles=COORDINATORS, refusal=ONLY_COORDINATORS)(typed_answer_step(_question, _typed))


@router.pin(FLOW, "address", roles=COORDINATORS, refusal=ONLY_COORDINATORS)
async def shared_location(turn: MemberTurn, pin: Pin) -> None:
    """A location pin sent while the dialogue asks for the address."""
    await _next(turn, "date", latitude=pin.latitude, longitude=pin.longitude)


FOLLOWING: dict[Skippable, str] = {"address": "date", "minimum": "dbs", "description_en": "description_cy",
                                   "description_cy": "repeat"}
DEFAULTS: dict[Skippable, object] = {"address": "", "minimum": 1, "description_en": "", "description_cy": ""}


@router.callback(SkipQuestion, roles=COORDINATORS, refusal=ONLY_COORDINATORS, flow=FLOW,
                 steps=set(FOLLOWING))
async def skipped(turn: MemberTurn, data: SkipQuestion) -> None:
    if turn.state.step != data.question:  # the Skip of another question than the one asked
        await turn.answer(turn.t.gettext("That button has expired."), alert=True)
        return
    await _next(turn, FOLLOWING[data.question], **{data.question: DEFAULTS[data.question]})


@router.step(FLOW, "date", roles=COORDINATORS, refusal=ONLY_COORDINATORS)
async def typed_date(turn: MemberTurn, text: str) -> None:
    when = await read_when(turn, text)
    if when is None:
        return
    if when.start is not None and when.end is not None:
        span = utc_span(turn, when.day, f"{when.start:%H:%M}-{when.end:%H:%M}")
        if isinstance(span, str):
            await turn.set_dialogue(FLOW, "times", **{**turn.state.data, "day": when.day.isoformat()})
            await turn.reply(span)
            return
        await _next(turn, "capacity", day=when.day.isoformat(), starts_at=span[0].isoformat(),
                    ends_at=span[1].isoformat())
    elif when.start is not None:
        await _next(turn, "end", day=when.day.isoformat(), start=f"{when.start:%H:%M}")
    else:
        await _next(turn, "times", day=when.day.isoformat())


async def _timed(turn: MemberTurn, starts_at: datetime, ends_at: datetime) -> None:
    await _next(turn, "capacity", starts_at=starts_at.isoformat(), ends_at=ends_at.isoformat())


typed_end, typed_times = times_steps(_timed)
router.step(FLOW, "end", roles=COORDINATORS, refusal=ONLY_COORDINATORS)(typed_end)
router.step(FLOW, "times", roles=COORDINATORS, refusal=ONLY_COORDINATORS)(typed_times)


@router.step(FLOW, "minimum", roles=COORDINATORS, refusal=ONLY_COORDINATORS)
async def typed_minimum(turn: MemberTurn, text: str) -> None:
    capacity = turn.state.data["capacity"]
    minimum = whole_number(text, 1, capacity)
    if minimum is None:
        await turn.reply(turn.t.gettext("Please type a whole number from 1 to {capacity}.", capacity=capacity))
        return
    await _next(turn, "dbs", minimum=minimum)


@router.callback(NeedsDbs, roles=COORDINATORS, refusal=ONLY_COORDINATORS, flow=FLOW, steps={"dbs"})
async def chose_dbs(turn: MemberTurn, data: NeedsDbs) -> None:
    await _next(turn, "description_en", requires_dbs=data.needed)


@router.callback(RepeatWeeks, roles=COORDINATORS, refusal=ONLY_COORDINATORS, flow=FLOW, steps={"repeat"})
async def chose_repeat(turn: MemberTurn, data: RepeatWeeks) -> None:
    await _next(turn, "confirm", repeat=data.weeks)


@router.step(FLOW, "repeat", roles=COORDINATORS, refusal=ONLY_COORDINATORS)
async def typed_repeat(turn: MemberTurn, text: str) -> None:
    weeks = whole_number(text, REPEAT_WEEKS_MIN, REPEAT_WEEKS_MAX)
    if weeks is None:
        await turn.reply(repeat_problem(turn.t))
        return
    await _next(turn, "confirm", repeat=weeks)


def _draft(data: dict[str, Any]) -> ShiftDraft:
    return ShiftDraft(
        organisation_id=data["organisation_id"], activity_type_id=data["activity_type_id"],
        neighbourhood_id=data["neighbourhood_id"], venue=data["venue"], address=data.get("address", ""),
        latitude=data.get("latitude"), longitude=data.get("longitude"),
        starts_at=datetime.fromisoformat(data["starts_at"]), ends_at=datetime.fromisoformat(data["ends_at"]),
        capacity=data["capacity"], minimum=data.get("minimum", 1), requires_dbs=data["requires_dbs"],
        description_en=data.get("description_en", ""), description_cy=data.get("description_cy", ""))


@router.callback(CreateShift, roles=COORDINATORS, refusal=ONLY_COORDINATORS, flow=FLOW, steps={"confirm"})
async def create(turn: MemberTurn, button_data: CreateShift) -> None:
    _ = turn.t
    data = turn.state.data
    result = await turn.services.shifts.create_shifts(turn.member.id, _draft(data), repeat_weeks=data.get("repeat", 1),
                                                      completion=turn.completion())
    if isinstance(result, ShiftsCreated):  # the dialogue ended with it
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
