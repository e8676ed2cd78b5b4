"""Volunteers and shifts: /shifts (find), the shift card, sign up, waitlist, leave,
/myshifts, calendar files and deep links.

List filters travel in callback_data ("sh-l:<activity>:<neighbourhood>:<when>:<page>",
0 meaning any); they only choose what to show. Every action on a shift goes to the
shift service, which decides it against the database.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from telegram import InlineKeyboardButton

from bot.db.models import ShiftStatus, SignupStatus
from bot.i18n import N_, Markup, Translator
from bot.services import outbox_payloads as payloads
from bot.services.container import Services
from bot.services.outbox_payloads import OutboxKind
from bot.services.shift_booking import DeclineOutcome, LeaveOutcome
from bot.services.shift_queries import ShiftCard, ShiftListItem
from bot.services.shift_rules import SignupOutcome, week_range
from handlers.base import MemberTurn
from handlers.notifications import Rendered, Renderer, renders
from handlers.refusals import RefusalTable, Say
from handlers.routing import Router
from handlers.shift_buttons import (
    Attendance,
    CancelShift,
    DeclinePlace,
    EditShift,
    JoinWaitlist,
    Leave,
    MyCalendar,
    MyShiftsPage,
    OpenShift,
    ShiftCalendar,
    ShiftFilter,
    ShiftList,
    SignUp,
    When,
)
from handlers.widgets import button, keyboard, number, paged
from handlers.wording import SHIFT_CANCELLED, SHIFT_NOT_FOUND, SHIFT_STARTED, entry_words, time_span

router = Router("shifts")
router.menu_item(10, N_("🗓 Find a shift"), "shifts")
router.menu_item(15, N_("📋 My shifts"), "myshifts")


# --------------------------------------------------------------------------- words


def when_label(t: Translator, when: When) -> str:
    return {When.ALL: t.gettext("Any time"), When.WEEK: t.gettext("This week"), When.NEXT: t.gettext("Next week")}[when]


def places(t: Translator, free: int, waitlist: int) -> str:
    if free > 0:
        return t.ngettext("{n} place free", "{n} places free", free)
    return t.ngettext("full, {n} waiting", "full, {n} waiting", waitlist)


def list_label(t: Translator, item: ShiftListItem) -> str:
    marks = {SignupStatus.BOOKED: "✅ ", SignupStatus.WAITLISTED: "⏳ "}
    mark = marks.get(item.my_status, "") if item.my_status else ""
    # Not "3 places free" to someone who may not take one: the DBS check comes first.
    offer = places(t, item.free_places, item.waitlist_length) if item.open_to_me else t.plain("🛡 needs a DBS check")
    return (f"{mark}{t.date(t.local_date(item.starts_at), 'EEE d MMM')} {t.time(item.starts_at)} · "
            f"{item.activity.name(t.language)} · {offer}")


def card_text(t: Translator, card: ShiftCard, bot_username: str | None, *, with_status: bool = True) -> Markup:
    """The card; without its own status line when a notice above it has just said it."""
    lines: list[str] = [
        t.gettext("<b>{activity}</b> with {organisation}", activity=card.activity.name(t.language),
                  organisation=card.organisation.name(t.language)),
        "🗓 " + time_span(t, card.starts_at, card.ends_at),
        "📍 " + t.gettext("{venue}, {neighbourhood}", venue=card.venue,
                          neighbourhood=card.neighbourhood.name(t.language)),
    ]
    if card.address:
        lines.append(t.gettext("Address: {address}", address=card.address))
    if card.latitude is not None and card.longitude is not None:
        lines.append(Markup("🗺 https://www.openstreetmap.org/?mlat={0:.5f}&amp;mlon={1:.5f}#map=17/{0:.5f}/{1:.5f}")
                     .format(card.latitude, card.longitude))
    lines.append("👥 " + places(t, card.free_places, card.waitlist_length))
    if card.requires_dbs:
        lines.append("🛡 " + (t.gettext("Needs a DBS check (yours is valid).") if card.my_dbs_valid
                             else t.gettext("Needs a DBS check: ask the coordinator if you don't have one.")))
    description = t.pick(card.description_en, card.description_cy)
    if description:
        lines.extend(["", description])
    status = {
        SignupStatus.BOOKED: t.gettext("✅ You're booked."),
        SignupStatus.WAITLISTED: t.gettext("⏳ You're number {position} on the waiting list.",
                                           position=card.my_waitlist_position or 0),
    }.get(card.my_status) if card.my_status else None
    if card.status is ShiftStatus.CANCELLED:
        status = t.gettext("❌ This shift has been cancelled.")
    if status and (with_status or card.status is ShiftStatus.CANCELLED):
        lines.extend(["", status])
    if bot_username:
        link = "https://t.me/" + bot_username + "?start=shift_" + str(card.shift_id)
        lines.extend(["", t.gettext("Share: {link}", link=link)])
    return Markup("\n").join(lines)


# --------------------------------------------------------------------------- finding


@router.command("shifts")
async def find_shifts(turn: MemberTurn, args: list[str]) -> None:
    await show_list(turn, ShiftList())


async def show_list(turn: MemberTurn, shown: ShiftList) -> None:
    _ = turn.t
    today = turn.services.hours.today()
    date_from, date_to = week_range(today, shown.when)
    activity_id, neighbourhood_id, when, page = shown.activity_id, shown.neighbourhood_id, shown.when, shown.page
    result = await turn.services.shifts.list_upcoming(
        member_id=turn.member.id, activity_type_id=activity_id or None, neighbourhood_id=neighbourhood_id or None,
        date_from=date_from, date_to=date_to, page=page)
    names = await turn.services.reference.names()
    activity = names.activity_types.get(activity_id)
    hood = names.neighbourhoods.get(neighbourhood_id)
    filters = [
        button("🔎 " + (activity.name(turn.language) if activity else _.gettext("Any activity")),
               ShiftFilter("act", activity_id, neighbourhood_id, when)),
        button("📍 " + (hood.name(turn.language) if hood else _.gettext("Anywhere")),
               ShiftFilter("hood", activity_id, neighbourhood_id, when)),
        button("🗓 " + when_label(_, when), ShiftFilter("when", activity_id, neighbourhood_id, when)),
    ]
    rows: list[list[InlineKeyboardButton]] = [filters]
    rows += [[button(list_label(_, item), OpenShift(item.shift_id))] for item in result.items]
    paging = []
    if page > 0:
        paging.append(button(_.gettext("◀ Earlier"), ShiftList(activity_id, neighbourhood_id, when, page - 1)))
    if result.has_next:
        paging.append(button(_.gettext("Later ▶"), ShiftList(activity_id, neighbourhood_id, when, page + 1)))
    rows.append(paging)
    if result.total:
        pages = (result.total + result.page_size - 1) // result.page_size
        text = (_.ngettext("<b>{n} upcoming shift</b>.", "<b>{n} upcoming shifts</b>.", result.total)
                + " " + _.gettext("Page {page} of {pages}. Choose one to see more.", page=page + 1, pages=pages))
    else:
        text = _.gettext("No open shifts match. Try another activity, place or week.")
    await turn.show(text, keyboard(*rows))


@router.callback(ShiftList)
async def list_page(turn: MemberTurn, data: ShiftList) -> None:
    await show_list(turn, data)


@router.callback(ShiftFilter)
async def choose_filter(turn: MemberTurn, data: ShiftFilter) -> None:
    """Offers the choices for one filter, keeping the other two."""
    _ = turn.t
    reference = turn.services.reference
    rows: list[list[InlineKeyboardButton]] = []
    if data.kind == "act":
        rows.append([button(_.gettext("Any activity"), ShiftList(0, data.neighbourhood_id, data.when))])
        rows += [[button(item.name(turn.language), ShiftList(item.id, data.neighbourhood_id, data.when))]
                 for item in await reference.activity_types()]
    elif data.kind == "hood":
        rows.append([button(_.gettext("Anywhere"), ShiftList(data.activity_id, 0, data.when))])
        rows += [[button(item.name(turn.language), ShiftList(data.activity_id, item.id, data.when))]
                 for item in await reference.neighbourhoods()]
    else:
        rows += [[button(when_label(_, when), ShiftList(data.activity_id, data.neighbourhood_id, when))]
                 for when in When]
    await turn.show(_.gettext("Show shifts for:"), keyboard(*rows))


# --------------------------------------------------------------------------- one shift


async def show_card(turn: MemberTurn, shift_id: int, notice: str | None = None, *, status_told: bool = False
                    ) -> None:
    """A shift's card; `status_told` when the notice above it says where the member now stands."""
    _ = turn.t
    card = await turn.services.shifts.shift_card(shift_id, member_id=turn.member.id)
    if card is None:
        await turn.show(SHIFT_NOT_FOUND(_))
        return
    rows: list[list[InlineKeyboardButton]] = []
    is_open = card.status is ShiftStatus.OPEN
    open_for_signup = is_open and not card.has_started
    if open_for_signup and card.my_status is None:
        rows.append([button(_.gettext("Sign up"), SignUp(shift_id)) if card.free_places > 0
                     else button(_.gettext("Join the waiting list"), JoinWaitlist(shift_id))])
    elif open_for_signup and card.my_status is SignupStatus.BOOKED:
        rows.append([button(_.gettext("Cancel my place"), Leave(shift_id))])
    elif open_for_signup and card.my_status is SignupStatus.WAITLISTED:
        rows.append([button(_.gettext("Leave the waiting list"), Leave(shift_id))])
    rows.append([button(_.gettext("📅 Add to calendar"), ShiftCalendar(shift_id))])
    if card.viewer_is_coordinator:
        coordinator_row = []
        if card.has_started and is_open:
            coordinator_row.append(button(_.gettext("Attendance"), Attendance(shift_id)))
        elif is_open:
            coordinator_row.append(button(_.gettext("Edit"), EditShift(shift_id)))
            coordinator_row.append(button(_.gettext("Cancel shift"), CancelShift(shift_id)))
        rows.append(coordinator_row)
    rows.append([button(_.gettext("◀ All shifts"), ShiftList())])
    text = card_text(_, card, turn.context.application.bot_data.get("bot_username"), with_status=not status_told)
    if notice:
        text = notice + "\n\n" + text
    await turn.show(text, keyboard(*rows))


@router.deep_link("shift")
async def open_shift_link(turn: MemberTurn, argument: str) -> None:
    shift_id = number(argument)
    if shift_id is None:
        await turn.reply(SHIFT_NOT_FOUND(turn.t))
        return
    await show_card(turn, shift_id)


@router.callback(OpenShift)
async def card(turn: MemberTurn, data: OpenShift) -> None:
    await show_card(turn, data.shift_id)


SIGNUPS = RefusalTable(SignupOutcome, {
    SignupOutcome.BOOKED: Say(N_("✅ You're booked. We'll remind you before it starts, when you chose in /settings.")),
    SignupOutcome.WAITLISTED: Say(N_("⏳ You're on the waiting list. We'll tell you if a place comes free.")),
    SignupOutcome.ALREADY_BOOKED: Say(N_("You're already booked on this shift.")),
    SignupOutcome.ALREADY_WAITLISTED: Say(N_("You're already on the waiting list.")),
    SignupOutcome.FULL: Say(N_("Sorry, the last place has just gone. You can join the waiting list.")),
    SignupOutcome.COLLIDES: Say(N_("You're booked on another shift at that time.")),
    SignupOutcome.DBS_REQUIRED: Say(N_("This shift needs a DBS check that is valid on the day. "
                                         "Please ask the coordinator.")),
    SignupOutcome.SIGNUP_CLOSED: SHIFT_STARTED,
    SignupOutcome.SHIFT_ENDED: Say(N_("This shift has already finished.")),
    SignupOutcome.SHIFT_CANCELLED: SHIFT_CANCELLED,
    SignupOutcome.NOT_FOUND: SHIFT_NOT_FOUND,
    SignupOutcome.NOT_REGISTERED: Say(N_("Please register first: send /start.")),
})


def signup_text(t: Translator, outcome: SignupOutcome) -> str:
    return SIGNUPS.say(t, outcome)


@router.callback(SignUp)
async def sign_up(turn: MemberTurn, data: SignUp) -> None:
    await _book(turn, data.shift_id, waitlist=False)


@router.callback(JoinWaitlist)
async def join_waitlist(turn: MemberTurn, data: JoinWaitlist) -> None:
    await _book(turn, data.shift_id, waitlist=True)


_AS_FIRST_ANSWERED = {SignupOutcome.ALREADY_BOOKED: SignupOutcome.BOOKED,
                      SignupOutcome.ALREADY_WAITLISTED: SignupOutcome.WAITLISTED}


async def _book(turn: MemberTurn, shift_id: int, *, waitlist: bool) -> None:
    shifts = turn.services.shifts
    outcome = await (shifts.join_waitlist if waitlist else shifts.sign_up)(turn.member.id, shift_id)
    # Pressed twice, or the same press handled again after a crash: answered as the
    # first press was (the place is the same one), not as a refusal.
    outcome = _AS_FIRST_ANSWERED.get(outcome, outcome)
    if outcome in (SignupOutcome.BOOKED, SignupOutcome.WAITLISTED, SignupOutcome.FULL):
        await turn.answer()
        await show_card(turn, shift_id, notice=signup_text(turn.t, outcome),
                        status_told=outcome is SignupOutcome.BOOKED)  # the position stays: news to them
    else:
        await turn.answer(signup_text(turn.t, outcome), alert=True)


LEAVING = RefusalTable(LeaveOutcome, {
    LeaveOutcome.CANCELLED: Say(N_("Your place is cancelled. Thank you for letting us know.")),
    LeaveOutcome.CANCELLED_LATE: Say(N_("Your place is cancelled. As it is close to the start, "
                                        "the coordinator has been told.")),
    LeaveOutcome.LEFT_WAITLIST: Say(N_("You've left the waiting list.")),
    LeaveOutcome.NOT_SIGNED_UP: Say(N_("You're not signed up for this shift.")),
    LeaveOutcome.SIGNUP_CLOSED: SHIFT_STARTED,
    LeaveOutcome.SHIFT_CANCELLED: SHIFT_CANCELLED,
    LeaveOutcome.NOT_FOUND: SHIFT_NOT_FOUND,
})


@router.callback(Leave)
async def leave(turn: MemberTurn, data: Leave) -> None:
    await give_up_place(turn, data.shift_id)


async def give_up_place(turn: MemberTurn, shift_id: int) -> None:
    """Give up the member's place (booked or waiting) and answer: the card under what
    happened, or why not as an alert. From the card's button and from a reminder's."""
    outcome = await turn.services.shifts.leave(turn.member.id, shift_id)
    text = LEAVING.say(turn.t, outcome)
    if outcome in (LeaveOutcome.CANCELLED, LeaveOutcome.CANCELLED_LATE, LeaveOutcome.LEFT_WAITLIST):
        await turn.answer()
        await show_card(turn, shift_id, notice=text)
    else:
        await turn.answer(text, alert=True)


NOT_PROMOTED = Say(N_("You don't hold a place from the waiting list on this shift."))
DECLINING = RefusalTable(DeclineOutcome, {
    DeclineOutcome.DECLINED: Say(N_("No problem: we've offered your place to the next person waiting.")),
    DeclineOutcome.SIGNUP_CLOSED: SHIFT_STARTED,
    DeclineOutcome.NOT_PROMOTED: NOT_PROMOTED,
    DeclineOutcome.NOT_SIGNED_UP: NOT_PROMOTED,
    DeclineOutcome.SHIFT_CANCELLED: NOT_PROMOTED,
    DeclineOutcome.NOT_FOUND: NOT_PROMOTED,
})


@router.callback(DeclinePlace)
async def decline(turn: MemberTurn, data: DeclinePlace) -> None:
    _ = turn.t
    outcome = await turn.services.shifts.decline_promotion(turn.member.id, data.shift_id)
    if outcome is DeclineOutcome.DECLINED:
        await turn.show(DECLINING.say(_, outcome))
    else:
        await turn.answer(DECLINING.say(_, outcome), alert=True)


@router.callback(ShiftCalendar)
async def calendar_file(turn: MemberTurn, data: ShiftCalendar) -> None:
    body = await turn.services.calendar.shift_ics(data.shift_id, language=turn.language,
                                                  url=_link(turn, data.shift_id))
    if body is None:
        await turn.answer(SHIFT_NOT_FOUND(turn.t), alert=True)
        return
    await turn.answer()
    await turn.context.bot.send_document(turn.chat_id, document=body,
                                         filename=turn.t.plain("shift-{id}.ics", id=data.shift_id),
                                         caption=turn.t.gettext("Open this to add the shift to your calendar."))


def _link(turn: MemberTurn, shift_id: int) -> str | None:
    username = turn.context.application.bot_data.get("bot_username")
    return f"https://t.me/{username}?start=shift_{shift_id}" if username else None


# --------------------------------------------------------------------------- mine


@router.command("myshifts")
async def my_shifts(turn: MemberTurn, args: list[str]) -> None:
    await show_my_shifts(turn, 0)


@router.callback(MyShiftsPage)
async def my_shifts_page(turn: MemberTurn, data: MyShiftsPage) -> None:
    await show_my_shifts(turn, data.page)


async def show_my_shifts(turn: MemberTurn, page: int) -> None:
    _ = turn.t
    mine = await turn.services.shifts.my_shifts(turn.member.id)
    if not mine:
        await turn.show(_.gettext("You have no shifts booked. Send /shifts to find one."))
        return
    items, navigation, _page = paged(mine, page, MyShiftsPage)
    rows = []
    for item in items:
        status = ("✅ " if item.status is SignupStatus.BOOKED
                  else "⏳ " + _.plain("(waiting list no. {position}) ", position=item.waitlist_position or 0))
        rows.append([button(f"{status}{_.date(_.local_date(item.starts_at), 'EEE d MMM')} {_.time(item.starts_at)} · "
                            f"{item.activity.name(turn.language)}", OpenShift(item.shift_id))])
    rows += [navigation, [button(_.plain("📅 All my shifts in my calendar"), MyCalendar())]]
    await turn.show(_.ngettext("<b>Your {n} upcoming shift</b>", "<b>Your {n} upcoming shifts</b>", len(mine)),
                    keyboard(*rows))


@router.callback(MyCalendar)
async def my_calendar(turn: MemberTurn, data: MyCalendar) -> None:
    body = await turn.services.calendar.member_shifts_ics(turn.member.id, language=turn.language,
                                                          url_for=lambda shift_id: _link(turn, shift_id) or "")
    await turn.answer()
    await turn.context.bot.send_document(turn.chat_id, document=body, filename=turn.t.plain("my-shifts.ics"),
                                         caption=turn.t.gettext("Open this to add your shifts to your calendar."))


# --------------------------------------------------------------------------- notifications


def shift_words(t: Translator, card: ShiftCard) -> dict[str, str]:
    """What every shift notification names: the activity, the venue and when."""
    return {"activity": card.activity.name(t.language), "venue": card.venue,
            "when": time_span(t, card.starts_at, card.ends_at)}


def see_button(t: Translator, card: ShiftCard) -> InlineKeyboardButton:
    return button(t.gettext("See the shift"), OpenShift(card.shift_id))


async def booked_card(services: Services, shift_id: int, member_id: int) -> ShiftCard | None:
    """The shift's card while the member still holds a place on it and it is still open; None
    once they have cancelled, declined or left since the notice was queued, or it was cancelled."""
    card = await services.shifts.shift_card(shift_id, member_id=member_id)
    if card is None or card.status is not ShiftStatus.OPEN or card.my_status is not SignupStatus.BOOKED:
        return None
    return card


ShiftNotice = Callable[[Translator, ShiftCard, Any], Rendered | None]  # (translator, card, the kind's payload)


def renders_shift_notice(kind: OutboxKind, *, to_booked: bool) -> Callable[[ShiftNotice], Renderer]:
    """Register the wording of a notification about one shift: it is worded from the shift's card,
    and nothing is sent once the shift is gone (or, `to_booked`, once the member's place is)."""
    def register(say: ShiftNotice) -> Renderer:
        @functools.wraps(say)  # keeps the payload's type, which the outbox contract test reads
        async def render(services: Services, t: Translator, payload: Any, member_id: int) -> Rendered | None:
            card = (await booked_card(services, payload.shift_id, member_id) if to_booked
                    else await services.shifts.shift_card(payload.shift_id, member_id=member_id))
            return None if card is None else say(t, card, payload)
        return renders(kind)(render)
    return register


@renders_shift_notice(OutboxKind.WAITLIST_PROMOTED, to_booked=True)
def render_promoted(t: Translator, card: ShiftCard, payload: payloads.WaitlistPromoted) -> Rendered:
    return Rendered(t.gettext("🎉 A place came free and it's yours: {activity} at {venue}, {when}. "
                              "If you can't make it now, please decline so the next person can go.",
                              **shift_words(t, card)),
                    keyboard([see_button(t, card), button(t.gettext("I can't make it"), DeclinePlace(card.shift_id))]))


@renders_shift_notice(OutboxKind.SHIFT_CANCELLED, to_booked=False)
def render_cancelled(t: Translator, card: ShiftCard, payload: payloads.ShiftCancelled) -> Rendered:
    return Rendered(t.gettext("❌ Cancelled: {activity} at {venue}, {when}. Sorry for the change of plan; "
                              "send /shifts to find another.", **shift_words(t, card)))


@renders_shift_notice(OutboxKind.SHIFT_CHANGED, to_booked=True)
def render_changed(t: Translator, card: ShiftCard, payload: payloads.ShiftChanged) -> Rendered:
    return Rendered(t.gettext("✏️ A shift you're booked on has changed. It is now: {activity} at {venue}, {when}.",
                              **shift_words(t, card)),
                    keyboard([see_button(t, card), button(t.gettext("Cancel my place"), Leave(card.shift_id))]))


@renders(OutboxKind.HOURS_CREDITED)
async def render_credited(services: Services, t: Translator, payload: payloads.HoursCredited,
                          member_id: int) -> Rendered:
    return Rendered(t.gettext(
        "✅ {organisation} confirmed you were there: {duration} on {date}. Your balance is now {balance}.",
        **await entry_words(services, t, payload), balance=t.balance(payload.balance_minutes)))
