"""/dbs (a coordinator records a member's DBS check) and /activities (TSO staff set the
two flags of each activity type)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from bot.db.models import Role
from bot.i18n import N_, Markup
from bot.parsing.dates import DateError, parse_date
from bot.services.activity_types import Flag, FlagOutcome
from bot.services.dbs import DbsRecorded, DbsRefusal
from handlers.base import MemberTurn
from handlers.callback_data import CallbackData
from handlers.refusals import RefusalTable, Say
from handlers.routing import Router
from handlers.widgets import button, keyboard, number
from handlers.wording import date_problem

ONLY_COORDINATORS = N_("Only coordinators can record DBS checks.")
ONLY_STAFF = N_("Only TSO staff can change activity settings.")
STAFF = {Role.STAFF, Role.ADMIN}

router = Router("dbs_activities")
router.menu_item(85, N_("🗂 Activity settings"), "activities")

DBS_REFUSALS = RefusalTable(DbsRefusal, {
    DbsRefusal.NOT_COORDINATOR: Say(ONLY_COORDINATORS),
    DbsRefusal.MEMBER_NOT_FOUND: Say(N_("I can't find a member with that number.")),
    DbsRefusal.IN_FUTURE: Say(N_("A DBS check can't be dated in the future.")),
    DbsRefusal.OWN_CHECK: Say(N_("You can't record your own DBS check: another coordinator must.")),
})


@dataclass(frozen=True)
class SetFlag(CallbackData, prefix="act-t"):
    """Carries the value it sets, so pressing it twice changes nothing more."""

    activity_type_id: int
    flag: Literal["d", "r"]  # requires a DBS check, replaces a reduced service
    value: bool


FLAGS = {"d": Flag.REQUIRES_DBS, "r": Flag.REPLACES_REDUCED_SERVICE}


@router.command("dbs", roles={Role.COORDINATOR, Role.STAFF}, refusal=ONLY_COORDINATORS)
async def record_dbs(turn: MemberTurn, args: list[str]) -> None:
    _ = turn.t
    usage = (_.gettext("Write it like this: /dbs MEMBER_NUMBER DATE, for example /dbs 42 3/12/2025") + "\n"
             + _.gettext("To see a member's check: /dbs MEMBER_NUMBER"))
    member_id = number(args[0]) if args else None
    if member_id is None:
        await turn.reply(usage)
        return
    if len(args) == 1:
        await _show_status(turn, member_id)
        return
    checked_on = parse_date(" ".join(args[1:]), today=turn.services.hours.today(), prefer="past")
    if isinstance(checked_on, DateError):
        await turn.reply(date_problem(_, checked_on))
        return
    result = await turn.services.dbs.record_dbs_check(turn.member.id, member_id, checked_on)
    if isinstance(result, DbsRecorded):
        await turn.reply(_.gettext("Recorded for {organisation}: DBS check of {date}, valid until {until}.",
                                   organisation=await _organisation_name(turn, result.organisation_id),
                                   date=_.date(checked_on, "d MMMM y"),
                                   until=_.date(result.expires_on - timedelta(days=1), "d MMMM y")))
        return
    await turn.reply(DBS_REFUSALS.say(_, result))


async def _organisation_name(turn: MemberTurn, organisation_id: int) -> str:
    organisation = (await turn.services.reference.names()).organisations.get(organisation_id)
    return organisation.name(turn.language) if organisation is not None else turn.t.gettext("(unknown organisation)")


async def _show_status(turn: MemberTurn, member_id: int) -> None:
    """A member's DBS check as coordinators see it: when, and which organisation recorded it."""
    _ = turn.t
    status = await turn.services.dbs.dbs_status(turn.member.id, member_id)
    if isinstance(status, DbsRefusal):
        await turn.reply(DBS_REFUSALS.say(_, status))
        return
    name = status.display_name or _.plain("(erased member)")
    if status.checked_on is None or status.organisation_id is None or status.expires_on is None:
        await turn.reply(_.gettext("{name} (member number {number}) has no DBS check recorded.",
                                   name=name, number=member_id))
        return
    details = {"name": name, "number": member_id, "date": _.date(status.checked_on, "d MMMM y"),
               "organisation": await _organisation_name(turn, status.organisation_id),
               "until": _.date(status.expires_on - timedelta(days=1), "d MMMM y")}
    text = (_.gettext("{name} (member number {number}): DBS check of {date}, recorded by {organisation}, "
                      "valid until {until}.", **details) if status.valid_today
            else _.gettext("{name} (member number {number}): DBS check of {date}, recorded by {organisation}, "
                           "no longer valid (it was valid until {until}).", **details))
    if not status.counts_across_organisations:
        text += "\n" + _.gettext("It counts only for shifts of {organisation}.", organisation=details["organisation"])
    await turn.reply(text)


@router.command("activities", roles=STAFF, refusal=ONLY_STAFF)
async def activities(turn: MemberTurn, args: list[str]) -> None:
    await _show_activities(turn)


async def _show_activities(turn: MemberTurn) -> None:
    _ = turn.t
    lines = [_.gettext("<b>Activity types</b>"),
             _.gettext("🛡 = needs a DBS check by default; 🏛 = stands in for a public service that was cut back "
                       "(reported in the weekly summary)."), ""]
    rows = []
    for index, item in enumerate(await turn.services.activity_types.listing(), start=1):
        lines.append(Markup("{}. {}{} {}").format(index, "🛡" if item.requires_dbs else "▫️",
                                                  "🏛" if item.replaces_reduced_service else "▫️",
                                                  item.name(turn.language)))
        rows.append([button(f"{index}. 🛡 " + ("✓" if item.requires_dbs else "✗"),
                            SetFlag(item.id, "d", not item.requires_dbs)),
                     button(f"{index}. 🏛 " + ("✓" if item.replaces_reduced_service else "✗"),
                            SetFlag(item.id, "r", not item.replaces_reduced_service))])
    lines.extend(["", _.gettext("Press a button to switch it on (✓) or off (✗).")])
    await turn.show(Markup("\n").join(lines), keyboard(*rows))


FLAG_REFUSALS = RefusalTable(FlagOutcome, {
    FlagOutcome.NOT_STAFF: Say(ONLY_STAFF),
    FlagOutcome.NOT_FOUND: Say(N_("That activity no longer exists. Please choose again.")),
}, except_=frozenset({FlagOutcome.CHANGED}))  # answered with the list as it now is


@router.callback(SetFlag, roles=STAFF, refusal=ONLY_STAFF)
async def set_flag(turn: MemberTurn, data: SetFlag) -> None:
    outcome = await turn.services.activity_types.set_flag(turn.member.id, data.activity_type_id, FLAGS[data.flag],
                                                          data.value)
    if outcome is FlagOutcome.NOT_STAFF:
        await turn.answer(FLAG_REFUSALS.say(turn.t, outcome), alert=True)
        return
    if outcome is FlagOutcome.NOT_FOUND:
        await turn.answer(FLAG_REFUSALS.say(turn.t, outcome), alert=True)
    await _show_activities(turn)
