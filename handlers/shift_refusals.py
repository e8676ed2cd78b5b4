"""What a coordinator is told when creating, editing or cancelling a shift is refused,
and which question is asked again."""

from __future__ import annotations

from bot.i18n import N_, Translator
from bot.services.shift_authoring import CancelRefusal, EditRefusal
from bot.services.shift_rules import CreateRefusal
from handlers.refusals import RefusalTable, Say
from handlers.shift_questions import (
    address_problem,
    capacity_problem,
    repeat_problem,
    shift_length_problem,
    too_long,
    venue_problem,
)
from handlers.wording import SHIFT_CANCELLED, SHIFT_NOT_FOUND, SHIFT_STARTED

NOT_COORDINATOR = Say(N_("Only coordinators of that organisation can do that."))
IN_PAST = Say(N_("That time has already passed. Please choose a later one."))
ENDS_BEFORE_START = Say(N_("The end must be after the start (a shift can't run past midnight)."))
MINIMUM_ABOVE = Say(N_("The fewest can't be more than the most."))
MINIMUM_BELOW = Say(N_("The fewest must be at least 1."))
LOCATION = Say(N_("That location can't be used. Type the address instead."))

CREATE_REFUSALS = RefusalTable(CreateRefusal, {
    CreateRefusal.NOT_COORDINATOR: NOT_COORDINATOR,
    CreateRefusal.UNKNOWN_ACTIVITY_TYPE: Say(N_("That activity no longer exists. Please choose again.")),
    CreateRefusal.UNKNOWN_NEIGHBOURHOOD: Say(N_("That neighbourhood no longer exists. Please choose again.")),
    CreateRefusal.CAPACITY_OUT_OF_RANGE: capacity_problem,
    CreateRefusal.MINIMUM_BELOW_ONE: MINIMUM_BELOW,
    CreateRefusal.MINIMUM_ABOVE_CAPACITY: MINIMUM_ABOVE,
    CreateRefusal.IN_PAST: IN_PAST,
    CreateRefusal.ENDS_BEFORE_START: ENDS_BEFORE_START,
    CreateRefusal.TOO_LONG: shift_length_problem,
    CreateRefusal.DESCRIPTION_TOO_LONG: too_long,
    CreateRefusal.VENUE_MISSING: venue_problem,
    CreateRefusal.VENUE_TOO_LONG: venue_problem,
    CreateRefusal.ADDRESS_TOO_LONG: address_problem,
    CreateRefusal.LOCATION_INVALID: LOCATION,
    CreateRefusal.REPEAT_OUT_OF_RANGE: repeat_problem,
    CreateRefusal.NONEXISTENT_LOCAL_TIME: Say(N_("That time doesn't exist on that day: the clocks go forward. "
                                             "Please choose another time.")),
})

# The question asked again after a refusal of /newshift; the others end the dialogue.
CREATE_ASKS_AGAIN: dict[CreateRefusal, str] = {
    CreateRefusal.UNKNOWN_ACTIVITY_TYPE: "activity",
    CreateRefusal.UNKNOWN_NEIGHBOURHOOD: "neighbourhood",
    CreateRefusal.CAPACITY_OUT_OF_RANGE: "capacity",
    CreateRefusal.MINIMUM_BELOW_ONE: "minimum",
    CreateRefusal.MINIMUM_ABOVE_CAPACITY: "minimum",
    CreateRefusal.IN_PAST: "date",
    CreateRefusal.ENDS_BEFORE_START: "times",
    CreateRefusal.TOO_LONG: "times",
    CreateRefusal.DESCRIPTION_TOO_LONG: "description_en",
    CreateRefusal.VENUE_MISSING: "venue",
    CreateRefusal.VENUE_TOO_LONG: "venue",
    CreateRefusal.ADDRESS_TOO_LONG: "address",
    CreateRefusal.LOCATION_INVALID: "address",
    CreateRefusal.REPEAT_OUT_OF_RANGE: "repeat",
    CreateRefusal.NONEXISTENT_LOCAL_TIME: "times",
}

EDIT_REFUSALS = RefusalTable(EditRefusal, {
    EditRefusal.NOT_FOUND: SHIFT_NOT_FOUND,
    EditRefusal.NOT_COORDINATOR: NOT_COORDINATOR,
    EditRefusal.SHIFT_CANCELLED: SHIFT_CANCELLED,
    EditRefusal.SHIFT_STARTED: SHIFT_STARTED,
    EditRefusal.CAPACITY_BELOW_BOOKED: Say(N_("More people are booked than that: cancel bookings first, or choose "
                                          "a larger number.")),
    EditRefusal.CAPACITY_OUT_OF_RANGE: capacity_problem,
    EditRefusal.MINIMUM_BELOW_ONE: MINIMUM_BELOW,
    EditRefusal.MINIMUM_ABOVE_CAPACITY: MINIMUM_ABOVE,
    EditRefusal.IN_PAST: IN_PAST,
    EditRefusal.ENDS_BEFORE_START: ENDS_BEFORE_START,
    EditRefusal.TOO_LONG: shift_length_problem,
    EditRefusal.DESCRIPTION_TOO_LONG: too_long,
    EditRefusal.VENUE_MISSING: venue_problem,
    EditRefusal.VENUE_TOO_LONG: venue_problem,
    EditRefusal.ADDRESS_TOO_LONG: address_problem,
    EditRefusal.LOCATION_INVALID: LOCATION,
})

# An edit refused for these ends the dialogue (nothing to ask again: the shift started,
# was cancelled, or is not theirs); the others leave the question open to answer again.
EDIT_ENDS: frozenset[EditRefusal] = frozenset({
    EditRefusal.NOT_FOUND, EditRefusal.NOT_COORDINATOR, EditRefusal.SHIFT_CANCELLED, EditRefusal.SHIFT_STARTED,
    EditRefusal.CAPACITY_BELOW_BOOKED})

CANCEL_REFUSALS = RefusalTable(CancelRefusal, {
    CancelRefusal.NOT_FOUND: SHIFT_NOT_FOUND,
    CancelRefusal.NOT_COORDINATOR: NOT_COORDINATOR,
    CancelRefusal.ALREADY_CANCELLED: SHIFT_CANCELLED,
    CancelRefusal.SHIFT_STARTED: SHIFT_STARTED,
})


def create_problem(t: Translator, refusal: CreateRefusal) -> tuple[str, str | None]:
    """What to say, and which question to ask again (None: the dialogue ends)."""
    return CREATE_REFUSALS.say(t, refusal), CREATE_ASKS_AGAIN.get(refusal)
