"""The buttons of shifts, shared by finding, the card, editing, attendance and the
notifications that link to them (typed callback data, handlers/callback_data.py)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Literal

from handlers.callback_data import CallbackData


class When(enum.StrEnum):
    """The week filter of /shifts (bot.services.shift_rules.week_range reads it)."""

    ALL = "all"
    WEEK = "week"
    NEXT = "next"


@dataclass(frozen=True)
class ShiftList(CallbackData, prefix="sh-l"):
    """A page of /shifts; 0 is "any" activity or neighbourhood."""

    activity_id: int = 0
    neighbourhood_id: int = 0
    when: When = When.ALL
    page: int = 0


@dataclass(frozen=True)
class ShiftFilter(CallbackData, prefix="sh-f"):
    """The choices for one filter of /shifts, keeping the other two."""

    kind: Literal["act", "hood", "when"]
    activity_id: int
    neighbourhood_id: int
    when: When


@dataclass(frozen=True)
class OpenShift(CallbackData, prefix="sh-c"):
    shift_id: int


@dataclass(frozen=True)
class SignUp(CallbackData, prefix="sh-s"):
    shift_id: int


@dataclass(frozen=True)
class JoinWaitlist(CallbackData, prefix="sh-w"):
    shift_id: int


@dataclass(frozen=True)
class Leave(CallbackData, prefix="sh-x"):
    shift_id: int


@dataclass(frozen=True)
class DeclinePlace(CallbackData, prefix="sh-d"):
    shift_id: int


@dataclass(frozen=True)
class ShiftCalendar(CallbackData, prefix="sh-ics"):
    shift_id: int


@dataclass(frozen=True)
class MyShiftsPage(CallbackData, prefix="my-pg"):
    page: int


@dataclass(frozen=True)
class MyCalendar(CallbackData, prefix="my-ics"):
    pass


@dataclass(frozen=True)
class EditShift(CallbackData, prefix="shc-edit"):
    shift_id: int


@dataclass(frozen=True)
class CancelShift(CallbackData, prefix="shc-cancel"):
    shift_id: int
    confirmed: bool = False


@dataclass(frozen=True)
class Attendance(CallbackData, prefix="att"):
    shift_id: int
    page: int = 0


@dataclass(frozen=True)
class MarkAttendance(CallbackData, prefix="att-m"):
    shift_id: int
    member_id: int
    mark: Literal["a", "n"]  # attended, no-show
    page: int = 0


@dataclass(frozen=True)
class ConfirmAttendance(CallbackData, prefix="att-ok"):
    shift_id: int


@dataclass(frozen=True)
class WillBeThere(CallbackData, prefix="rm-y"):
    """On a reminder: "I'll be there"."""

    shift_id: int


@dataclass(frozen=True)
class CantCome(CallbackData, prefix="rm-n"):
    """On a reminder: "I can't come", then its confirmation."""

    shift_id: int
    confirmed: bool = False


@dataclass(frozen=True)
class FindCover(CallbackData, prefix="cover"):
    """A coordinator's one tap: send the shift to the volunteers who could take it."""

    shift_id: int
