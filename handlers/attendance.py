"""Attendance: after a shift starts its coordinators mark who came and confirm, which
credits the hours; a prompt goes to them when it ends.

The role is checked by the dispatcher at the first press; the attendance service decides
whether this coordinator may take this shift's attendance (its organisation, started,
not cancelled) before the roster is shown.
"""

from __future__ import annotations

from bot.db.models import Attendance as Mark, Role
from bot.i18n import N_, Markup, Translator
from bot.services import outbox_payloads as payloads
from bot.services.attendance import AttendanceConfirmed, AttendanceRefusal
from bot.services.container import Services
from bot.services.outbox_payloads import OutboxKind
from handlers.base import MemberTurn
from handlers.notifications import Rendered, renders
from handlers.refusals import RefusalTable, Say
from handlers.routing import Router
from handlers.shift_buttons import Attendance, ConfirmAttendance, MarkAttendance
from handlers.widgets import PAGE_SIZE, button, keyboard, paged
from handlers.wording import SHIFT_CANCELLED, SHIFT_NOT_FOUND, time_span

COORDINATORS = {Role.COORDINATOR}
NOT_THEIRS = N_("Only coordinators of that organisation can do that.")

router = Router("attendance")

ATTENDANCE_REFUSALS = RefusalTable(AttendanceRefusal, {
    AttendanceRefusal.NOT_FOUND: SHIFT_NOT_FOUND,
    AttendanceRefusal.NOT_COORDINATOR: Say(NOT_THEIRS),
    AttendanceRefusal.SHIFT_CANCELLED: SHIFT_CANCELLED,
    AttendanceRefusal.NOT_STARTED: Say(N_("Attendance can be taken once the shift has started.")),
    AttendanceRefusal.NOT_BOOKED: Say(N_("They are not booked on this shift.")),
    AttendanceRefusal.OWN_ATTENDANCE: Say(N_("Another coordinator must confirm your own attendance.")),
    AttendanceRefusal.ALREADY_CREDITED: Say(N_("Their hours are already credited.")),
})


async def show_roster(turn: MemberTurn, shift_id: int, notice: str | None = None, page: int = 0) -> None:
    _ = turn.t
    roster = await turn.services.attendance.roster(turn.member.id, shift_id)
    if isinstance(roster, AttendanceRefusal):
        await turn.answer(ATTENDANCE_REFUSALS.say(_, roster), alert=True)
        return
    lines = [_.gettext("<b>Who came?</b> {activity}, {when}", activity=roster.activity.name(turn.language),
                       when=time_span(_, roster.starts_at, roster.ends_at)),
             _.gettext("Each person marked as attended gets {duration}.", duration=_.duration(roster.minutes))]
    entries, navigation, page = paged(roster.entries, page, lambda number: Attendance(shift_id, number))
    rows = []
    for entry in entries:
        name = entry.display_name or _.plain("(erased member)")
        mark = {Mark.ATTENDED: "✅", Mark.NO_SHOW: "❌"}.get(entry.attendance, "▫️") if entry.attendance else "▫️"
        if entry.credited:
            lines.append(_.gettext("✅ {name} – credited", name=name))
            continue
        lines.append(Markup("{} {}").format(mark, name))
        rows.append([button(f"✅ {name}"[:60], MarkAttendance(shift_id, entry.member_id, "a", page)),
                     button(_.plain("❌ No-show"), MarkAttendance(shift_id, entry.member_id, "n", page))])
    if not roster.entries:
        lines.append(_.gettext("Nobody was booked."))
    elif navigation:
        lines.append(_.gettext("People {first}–{last} of {total}.", first=page * PAGE_SIZE + 1,
                               last=page * PAGE_SIZE + len(entries), total=len(roster.entries)))
    rows.append(navigation)
    rows.append([button(_.plain("Confirm and credit hours"), ConfirmAttendance(shift_id))])
    text = Markup("\n").join(lines)
    await turn.show((notice + "\n\n" + text) if notice else text, keyboard(*rows))


@router.callback(Attendance, roles=COORDINATORS, refusal=NOT_THEIRS)
async def attendance(turn: MemberTurn, data: Attendance) -> None:
    await show_roster(turn, data.shift_id, page=data.page)


@router.callback(MarkAttendance, roles=COORDINATORS, refusal=NOT_THEIRS)
async def mark(turn: MemberTurn, data: MarkAttendance) -> None:
    value = Mark.ATTENDED if data.mark == "a" else Mark.NO_SHOW
    result = await turn.services.attendance.mark(turn.member.id, data.shift_id, data.member_id, value)
    if isinstance(result, AttendanceRefusal):
        await turn.answer(ATTENDANCE_REFUSALS.say(turn.t, result), alert=True)
        return
    await show_roster(turn, data.shift_id, page=data.page)


@router.callback(ConfirmAttendance, roles=COORDINATORS, refusal=NOT_THEIRS)
async def confirm(turn: MemberTurn, data: ConfirmAttendance) -> None:
    _ = turn.t
    result = await turn.services.attendance.confirm_attendance(turn.member.id, data.shift_id)
    if isinstance(result, AttendanceRefusal):
        await turn.answer(ATTENDANCE_REFUSALS.say(_, result), alert=True)
        return
    assert isinstance(result, AttendanceConfirmed)
    # Everyone credited for the shift, by this press or an earlier one: each sign-up is
    # credited once (by its key, in one transaction), so "Confirm" pressed twice, or
    # handled again after a crash, says what was done rather than "0 people credited".
    # (Not a dialogue's outcome: the roster shown after confirming has the same button,
    # pressed again on purpose once more people are marked.)
    credited = len(result.credited) + result.already_credited
    notice = _.ngettext("Confirmed: {n} person credited.", "Confirmed: {n} people credited.", credited)
    if result.unmarked_member_ids:
        notice += " " + _.ngettext("{n} person is not marked yet.", "{n} people are not marked yet.",
                                   len(result.unmarked_member_ids))
    await show_roster(turn, data.shift_id, notice=notice)


@renders(OutboxKind.ATTENDANCE_DUE)
async def render_attendance_due(services: Services, t: Translator, payload: payloads.AttendanceDue,
                                member_id: int) -> Rendered | None:
    card = await services.shifts.shift_card(payload.shift_id, member_id=member_id)
    awaiting = {shift.shift_id for shift in await services.attendance.shifts_awaiting_attendance(member_id)}
    if card is None or card.shift_id not in awaiting:  # confirmed meanwhile, or no longer theirs to confirm
        return None
    return Rendered(t.gettext("{activity} at {venue} has finished ({when}). Who came? Confirm attendance so "
                              "volunteers get their credits.", activity=card.activity.name(t.language),
                              venue=card.venue, when=time_span(t, card.starts_at, card.ends_at)),
                    keyboard([button(t.gettext("Attendance"), Attendance(card.shift_id))]))
