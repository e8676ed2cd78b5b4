"""Editing and cancelling a shift, from its card (coordinators of its organisation).

The role is checked by the dispatcher at the first press; whether this coordinator may
change this shift (its organisation's, still open, not started) is the shift service's
rule, asked before the first question is shown, and again when the change is saved.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from bot.db.models import Role, ShiftStatus
from bot.i18n import N_
from bot.services.dialogues import done_step
from bot.services.shift_authoring import CancelRefusal, EditRefusal, ShiftChanges
from handlers.base import MemberTurn
from handlers.callback_data import CallbackData
from handlers.menu import send_main_menu
from handlers.routing import Router
from handlers.shift_buttons import CancelShift, EditShift, OpenShift
from handlers.shift_questions import (
    CancelShiftDialogue,
    ask,
    ask_capacity,
    ask_date,
    ask_end,
    ask_times,
    ask_venue,
    read_when,
    times_steps,
    typed_answer_step,
)
from handlers.shift_refusals import CANCEL_REFUSALS, EDIT_ENDS, EDIT_REFUSALS
from handlers.shifts import show_card
from handlers.widgets import button, keyboard

EDIT_FLOW = "editshift"
CANCEL_FLOW = "cancelshift"
COORDINATORS = {Role.COORDINATOR}
NOT_THEIRS = N_("Only coordinators of that organisation can do that.")

router = Router("shift_editing")

Field = Literal["date", "venue", "capacity", "description_en", "description_cy"]


@dataclass(frozen=True)
class EditField(CallbackData, prefix="shc-field"):
    field: Field


async def _refused_before_asking(turn: MemberTurn, shift_id: int) -> bool:
    """The service's answer for this shift, before anything is asked: a coordinator of
    another organisation, or a shift that is gone, cancelled or started, is refused now."""
    card = await turn.services.shifts.shift_card(shift_id, member_id=turn.member.id)
    if card is None:
        refusal = CancelRefusal.NOT_FOUND
    elif not card.viewer_is_coordinator:
        refusal = CancelRefusal.NOT_COORDINATOR
    elif card.status is ShiftStatus.CANCELLED:
        refusal = CancelRefusal.ALREADY_CANCELLED
    elif card.has_started:
        refusal = CancelRefusal.SHIFT_STARTED
    else:
        return False
    await turn.answer(CANCEL_REFUSALS.say(turn.t, refusal), alert=True)
    return True


@router.callback(EditShift, roles=COORDINATORS, refusal=NOT_THEIRS)
async def edit(turn: MemberTurn, data: EditShift) -> None:
    _ = turn.t
    if await _refused_before_asking(turn, data.shift_id):
        return
    await turn.set_dialogue(EDIT_FLOW, "field", shift_id=data.shift_id)
    await turn.show(_.gettext("What would you like to change?"), keyboard(
        [button(_.gettext("Day and time"), EditField("date")), button(_.gettext("Venue"), EditField("venue"))],
        [button(_.gettext("Number of places"), EditField("capacity"))],
        [button(_.gettext("Description in English"), EditField("description_en")),
         button(_.gettext("Description in Welsh"), EditField("description_cy"))],
        [button(_.gettext("Cancel"), CancelShiftDialogue())]))


async def ask_new_description_en(turn: MemberTurn) -> None:
    await ask(turn, turn.t.gettext("Type the new description in English."))


async def ask_new_description_cy(turn: MemberTurn) -> None:
    await ask(turn, turn.t.gettext("Type the new description in Welsh."))


QUESTIONS = {"date": ask_date, "venue": ask_venue, "capacity": ask_capacity,
             "description_en": ask_new_description_en, "description_cy": ask_new_description_cy}


@router.callback(EditField, roles=COORDINATORS, refusal=NOT_THEIRS, flow=EDIT_FLOW, steps={"field"})
async def edit_field(turn: MemberTurn, data: EditField) -> None:
    await turn.set_dialogue(EDIT_FLOW, data.field, **turn.state.data)
    await QUESTIONS[data.field](turn)


async def _apply(turn: MemberTurn, changes: ShiftChanges) -> None:
    shift_id = turn.state.data["shift_id"]
    # A day typed with both times sets the "times" step and applies it in one turn: that
    # step is written first, for the change to complete it in its own transaction.
    await turn.commit_dialogue(handled=False)
    completion = turn.completion()
    if turn.update.message is not None and turn.update.message.text:
        completion = replace(completion, answer=turn.update.message.text.strip())
    result = await turn.services.shifts.edit_shift(turn.member.id, shift_id, changes, completion=completion)
    if isinstance(result, EditRefusal):
        if result in EDIT_ENDS:
            await turn.end_dialogue()
        await turn.reply(EDIT_REFUSALS.say(turn.t, result))
        return
    # The dialogue ended with the change: the same answer handled again changes nothing more.
    await show_card(turn, shift_id, notice=_saved(turn, len(result.notified_member_ids)))


def _saved(turn: MemberTurn, notified: int) -> str:
    return turn.t.ngettext("Saved. {n} booked volunteer has been told.",
                           "Saved. {n} booked volunteers have been told.", notified)


async def typed_again(turn: MemberTurn, text: str) -> None:
    """Text sent once an edit is saved. The answer that saved it, again (the same message
    handled again after a crash, or typed again after "Sorry, something went wrong"), is
    answered with the change it made; anything else as the dispatcher answers text that
    no question waits for."""
    outcome = turn.state.outcome or {}
    if text.strip() != outcome.get("answer"):
        await send_main_menu(turn, turn.t.gettext(
            "I didn't quite catch that. Choose from the menu below, or send /help."))
        return
    await show_card(turn, int(outcome["shift_id"]), notice=_saved(turn, len(outcome.get("notified", ()))))


async def _edited(turn: MemberTurn, question: str, value: object) -> None:
    changes: dict[str, Any] = {question: value}  # the question is the field's name
    await _apply(turn, ShiftChanges(**changes))


for _question in ("venue", "capacity", "description_en", "description_cy"):
    router.step(EDIT_FLOW, _question, roles=COORDINATORS, refusal=NOT_THEIRS)(typed_answer_step(_question, _edited))


@router.step(EDIT_FLOW, "date", roles=COORDINATORS, refusal=NOT_THEIRS)
async def edited_date(turn: MemberTurn, text: str) -> None:
    when = await read_when(turn, text)
    if when is None:
        return
    data = {**turn.state.data, "day": when.day.isoformat()}
    if when.start is not None and when.end is not None:
        await turn.set_dialogue(EDIT_FLOW, "times", **data)
        await edited_times(turn, f"{when.start:%H:%M}-{when.end:%H:%M}")
    elif when.start is not None:
        await turn.set_dialogue(EDIT_FLOW, "end", **data, start=f"{when.start:%H:%M}")
        await ask_end(turn)
    else:
        await turn.set_dialogue(EDIT_FLOW, "times", **data)
        await ask_times(turn)


async def _retimed(turn: MemberTurn, starts_at: datetime, ends_at: datetime) -> None:
    await _apply(turn, ShiftChanges(starts_at=starts_at, ends_at=ends_at))


edited_end, edited_times = times_steps(_retimed)
router.step(EDIT_FLOW, "end", roles=COORDINATORS, refusal=NOT_THEIRS)(edited_end)
router.step(EDIT_FLOW, "times", roles=COORDINATORS, refusal=NOT_THEIRS)(edited_times)
# Not "date": a typed day never ends the edit (with both times it is saved at "times").
for _question in ("venue", "capacity", "description_en", "description_cy", "end", "times"):
    router.step(EDIT_FLOW, done_step(_question), roles=COORDINATORS, refusal=NOT_THEIRS)(typed_again)


@router.callback(CancelShift, roles=COORDINATORS, refusal=NOT_THEIRS)
async def cancel_shift(turn: MemberTurn, data: CancelShift) -> None:
    _ = turn.t
    if not data.confirmed:
        if await _refused_before_asking(turn, data.shift_id):
            return
        await turn.set_dialogue(CANCEL_FLOW, "confirm", shift_id=data.shift_id)
        await turn.show(_.gettext("Cancel this shift? Everyone booked or waiting will be told."), keyboard(
            [button(_.gettext("Yes, cancel the shift"), CancelShift(data.shift_id, confirmed=True)),
             button(_.gettext("No, keep it"), OpenShift(data.shift_id))]))
        return
    dialogue = turn.dialogue
    if dialogue is None or dialogue.flow != CANCEL_FLOW or dialogue.data.get("shift_id") != data.shift_id:
        # The question of an older message, or one asked before another dialogue began:
        # still the coordinator's answer (the service checks who may cancel). Written
        # now: the cancellation below completes it in its own transaction.
        await turn.set_dialogue(CANCEL_FLOW, "confirm", shift_id=data.shift_id)
        await turn.commit_dialogue(handled=False)
    # The cancellation ends the dialogue in its own transaction: pressed again, or handled
    # again after a crash, it is answered with what was done, not "already cancelled".
    result = await turn.services.shifts.cancel_shift(turn.member.id, data.shift_id, completion=turn.completion())
    if isinstance(result, CancelRefusal):
        await turn.end_dialogue()
        await turn.answer(CANCEL_REFUSALS.say(_, result), alert=True)
        return
    await turn.show(_.ngettext("The shift is cancelled; {n} person has been told.",
                               "The shift is cancelled; {n} people have been told.", len(result.notified_member_ids)))
