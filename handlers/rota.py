"""/rota: a coordinator's shifts (running now, upcoming, ended and awaiting attendance),
each with its roster and the actions that fit.

The role is checked by the dispatcher at the first press; the rota service answers only
for shifts of the coordinator's own organisations. The actions are the shift editing and
attendance handlers' own buttons, so attendance is reachable while a shift runs and
after it ends without a second copy of the attendance screens.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.db.models import Role
from bot.i18n import N_, Markup, Translator
from bot.services.rota import Phase, RosterPerson, RotaItem, RotaRefusal, ShiftRoster, Standing
from handlers.base import MemberTurn
from handlers.callback_data import CallbackData
from handlers.refusals import RefusalTable, Say
from handlers.routing import Router
from handlers.shift_buttons import Attendance, CancelShift, EditShift
from handlers.widgets import PAGE_SIZE, button, keyboard, paged
from handlers.wording import SHIFT_NOT_FOUND, time_span

COORDINATORS = {Role.COORDINATOR}
ONLY_COORDINATORS = N_("Only coordinators have a rota.")

router = Router("rota")
router.menu_item(55, N_("📋 My rota"), "rota")

ROTA_REFUSALS = RefusalTable(RotaRefusal, {
    RotaRefusal.NOT_COORDINATOR: Say(N_("Only coordinators of that organisation can do that.")),
    RotaRefusal.NOT_FOUND: SHIFT_NOT_FOUND,
})

SECTIONS = (Phase.RUNNING, Phase.UPCOMING, Phase.AWAITING_ATTENDANCE)


@dataclass(frozen=True)
class RotaList(CallbackData, prefix="rota"):
    section: Phase
    page: int = 0


@dataclass(frozen=True)
class RotaShift(CallbackData, prefix="rota-s"):
    shift_id: int
    section: Phase = Phase.UPCOMING  # where "Back" returns to
    page: int = 0  # of the roster


def section_label(t: Translator, section: Phase, count: int) -> str:
    return {
        Phase.RUNNING: t.plain("Running now ({count})", count=count),
        Phase.UPCOMING: t.plain("Upcoming ({count})", count=count),
        Phase.AWAITING_ATTENDANCE: t.plain("Awaiting attendance ({count})", count=count),
    }[section]


def section_heading(t: Translator, section: Phase) -> str:
    return {
        Phase.RUNNING: t.gettext("🟢 <b>Running now</b>"),
        Phase.UPCOMING: t.gettext("🗓 <b>Upcoming</b>"),
        Phase.AWAITING_ATTENDANCE: t.gettext("⏳ <b>Ended, awaiting attendance</b>: confirm who came so "
                                             "volunteers get their credits."),
    }[section]


def nothing_in(t: Translator, section: Phase) -> str:
    return {
        Phase.RUNNING: t.gettext("No shift of yours is running now."),
        Phase.UPCOMING: t.gettext("You have no upcoming shifts. Create one with /newshift."),
        Phase.AWAITING_ATTENDANCE: t.gettext("No shift is waiting for attendance."),
    }[section]


def phase_line(t: Translator, item: RotaItem) -> str:
    """Which of the rota's states the shift is in, said in words."""
    return {
        Phase.RUNNING: t.gettext("🟢 Running now, until {end}.", end=t.time(item.ends_at)),
        Phase.UPCOMING: t.gettext("🗓 Upcoming: starts {when}.", when=t.datetime(item.starts_at)),
        Phase.AWAITING_ATTENDANCE: t.gettext("⏳ Ended; attendance not confirmed yet."),
        Phase.ENDED: t.gettext("✅ Ended; attendance confirmed."),
        Phase.CANCELLED: t.gettext("❌ Cancelled."),
    }[item.phase]


def tallies(t: Translator, item: RotaItem) -> str:
    parts = [t.gettext("booked {booked} of {capacity}", booked=t.number(item.booked_count),
                       capacity=t.number(item.capacity))]
    if item.waiting_count:
        parts.append(t.gettext("waiting {count}", count=t.number(item.waiting_count)))
    if item.attended_count:
        parts.append(t.gettext("attended {count}", count=t.number(item.attended_count)))
    if item.no_show_count:
        parts.append(t.gettext("no-show {count}", count=t.number(item.no_show_count)))
    return ", ".join(parts)


def item_label(t: Translator, item: RotaItem) -> str:
    return (f"{t.date(t.local_date(item.starts_at), 'EEE d MMM')} {t.time(item.starts_at)} · "
            f"{item.activity.name(t.language)} · {item.booked_count}/{item.capacity}")[:60]


@router.command("rota", roles=COORDINATORS, refusal=ONLY_COORDINATORS)
async def rota(turn: MemberTurn, args: list[str]) -> None:
    await show_rota(turn, None, 0)


@router.callback(RotaList, roles=COORDINATORS, refusal=ONLY_COORDINATORS)
async def rota_section(turn: MemberTurn, data: RotaList) -> None:
    await show_rota(turn, data.section, data.page)


async def show_rota(turn: MemberTurn, section: Phase | None, page: int) -> None:
    _ = turn.t
    result = await turn.services.rota.rota(turn.member.id, section, page=page, page_size=PAGE_SIZE)
    if isinstance(result, RotaRefusal):
        await turn.answer(ROTA_REFUSALS.say(_, result), alert=True)
        return
    lines = [_.gettext("<b>Your rota</b>"), section_heading(_, result.section), ""]
    rows = [[button(("• " if phase is result.section else "") + section_label(_, phase, result.counts[phase]),
                     RotaList(phase)) for phase in SECTIONS]]
    # Three labels side by side are cut short on a phone: two rows keep them readable.
    rows = [rows[0][:2], rows[0][2:]]
    for item in result.items:
        lines.append(Markup("• {} · {}, {}: {}").format(time_span(_, item.starts_at, item.ends_at),
                                                        item.activity.name(turn.language), item.venue,
                                                        tallies(_, item)))
        rows.append([button(item_label(_, item), RotaShift(item.shift_id, result.section))])
    if not result.items:
        lines.append(nothing_in(_, result.section))
    navigation = []
    if result.page > 0:
        navigation.append(button("◀", RotaList(result.section, result.page - 1)))
    if result.page < result.pages - 1:
        navigation.append(button("▶", RotaList(result.section, result.page + 1)))
    rows.append(navigation)
    await turn.show(Markup("\n").join(lines), keyboard(*rows))


@router.callback(RotaShift, roles=COORDINATORS, refusal=ONLY_COORDINATORS)
async def rota_shift(turn: MemberTurn, data: RotaShift) -> None:
    roster = await turn.services.rota.roster(turn.member.id, data.shift_id)
    if isinstance(roster, RotaRefusal):
        await turn.answer(ROTA_REFUSALS.say(turn.t, roster), alert=True)
        return
    await show_shift(turn, roster, data.section, data.page)


def person_line(t: Translator, person: RosterPerson) -> str:
    name = person.display_name or t.plain("(erased member)")
    if person.standing is Standing.ATTENDED:
        return (t.gettext("✅ {name}: attended, credited", name=name) if person.credited
                else t.gettext("✅ {name}: attended", name=name))
    if person.standing is Standing.NO_SHOW:
        return t.gettext("❌ {name}: no-show", name=name)
    if person.standing is Standing.WAITING:
        return t.gettext("⏳ {name}: waiting list, number {position}", name=name,
                         position=t.number(person.waiting_position or 0))
    return t.gettext("▫️ {name}: booked", name=name)


def dbs_note(t: Translator, person: RosterPerson) -> str:
    """For a shift that needs a DBS check: whose check counts for this person that day."""
    if person.dbs_recorded_by is None:
        return " · " + t.gettext("🛡 no DBS check valid that day")
    return " · " + t.gettext("🛡 DBS check recorded by {organisation}",
                             organisation=person.dbs_recorded_by.name(t.language))


def share_link(turn: MemberTurn, shift_id: int) -> str | None:
    username = turn.context.application.bot_data.get("bot_username")
    return f"https://t.me/{username}?start=shift_{shift_id}" if username else None


async def show_shift(turn: MemberTurn, roster: ShiftRoster, section: Phase, page: int) -> None:
    _ = turn.t
    item = roster.item
    lines = [_.gettext("<b>{activity}</b> – {organisation}",
                       activity=item.activity.name(turn.language), organisation=item.organisation.name(turn.language)),
             "🗓 " + time_span(_, item.starts_at, item.ends_at),
             Markup("📍 {}").format(item.venue),
             phase_line(_, item),
             _.gettext("Places: {tallies}", tallies=tallies(_, item)), ""]
    people, navigation, page = paged(roster.people, page, lambda number: RotaShift(item.shift_id, section, number))
    lines.extend(person_line(_, person) + (dbs_note(_, person) if roster.requires_dbs else "") for person in people)
    if not roster.people:
        lines.append(_.gettext("Nobody has signed up yet."))
    elif navigation:
        lines.append(_.gettext("People {first}–{last} of {total}.", first=page * PAGE_SIZE + 1,
                               last=page * PAGE_SIZE + len(people), total=len(roster.people)))
    link = share_link(turn, item.shift_id)
    if link is not None:
        lines.extend(["", _.gettext("Share this shift: {link}", link=link)])
    actions = []
    if roster.may_take_attendance:
        actions.append(button(_.plain("Attendance"), Attendance(item.shift_id)))
    if roster.may_edit:
        actions.append(button(_.plain("Edit"), EditShift(item.shift_id)))
    if roster.may_cancel:
        actions.append(button(_.plain("Cancel shift"), CancelShift(item.shift_id)))
    await turn.show("\n".join(lines), keyboard(actions, navigation,
                                               [button(_.plain("Back to the rota"), RotaList(section))]))
