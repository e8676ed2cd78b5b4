"""Reminders and what follows them: "I'll be there" and "I can't come" on each reminder,
the coordinators' "Find cover" (after a drop-out, or 48 hours before a shift short of
its minimum), the card it sends to eligible volunteers, and the daily digest.

The rules are the services' (bot/services/reminders.py, cover.py, digest.py); every
button is checked against the database when pressed.
"""

from __future__ import annotations

from datetime import timedelta

from telegram import InlineKeyboardButton

from bot.db.models import Role, ShiftStatus
from bot.i18n import N_, Markup, Translator
from bot.services import outbox_payloads as payloads
from bot.services.container import Services
from bot.services.cover import CoverRefusal, CoverSent
from bot.services.outbox_payloads import CoverReason, OutboxKind
from bot.services.rota import ShiftRoster, Standing
from bot.services.shift_booking import LeaveOutcome
from bot.services.shift_queries import ShiftCard
from handlers.base import MemberTurn
from handlers.notifications import Rendered, renders
from handlers.refusals import RefusalTable, Say
from handlers.routing import Router
from handlers.shift_buttons import CantCome, FindCover, OpenShift, SignUp, WillBeThere
from handlers.shifts import (
    LEAVING,
    booked_card,
    card_text,
    give_up_place,
    renders_shift_notice,
    see_button,
    shift_words,
)
from handlers.widgets import button, keyboard
from handlers.wording import SHIFT_CANCELLED, SHIFT_NOT_FOUND, SHIFT_STARTED

router = Router("reminders")

COVER_REFUSALS = RefusalTable(CoverRefusal, {
    CoverRefusal.NOT_COORDINATOR: Say(N_("Only the shift's coordinators can look for cover.")),
    CoverRefusal.NOT_FOUND: SHIFT_NOT_FOUND,
    CoverRefusal.SHIFT_CANCELLED: SHIFT_CANCELLED,
    CoverRefusal.STARTED: SHIFT_STARTED,
    CoverRefusal.FULL: Say(N_("The shift is full again: no cover needed.")),
})


def find_cover_button(t: Translator, shift_id: int) -> InlineKeyboardButton:
    return button(t.plain("📣 Find cover"), FindCover(shift_id))


# --------------------------------------------------------------------------- what is sent


@renders_shift_notice(OutboxKind.SHIFT_REMINDER, to_booked=True)
def render_reminder(t: Translator, card: ShiftCard, payload: payloads.ShiftReminder) -> Rendered | None:
    # Withdrawn once the shift has moved from the time this reminder was for (the new
    # time has reminders of its own), or has started (downtime: late, but never too late).
    if card.starts_at != payload.starts_at or card.has_started:
        return None
    return Rendered(t.gettext("⏰ Reminder: {activity} at {venue}, {when}. Thank you for giving your time!",
                              **shift_words(t, card)),
                    keyboard([button(t.plain("👍 I'll be there"), WillBeThere(card.shift_id)),
                              button(t.plain("🙁 I can't come"), CantCome(card.shift_id))],
                             [see_button(t, card)]))


@renders_shift_notice(OutboxKind.COVER_NEEDED, to_booked=False)
def render_cover_needed(t: Translator, card: ShiftCard, payload: payloads.CoverNeeded) -> Rendered | None:
    if card.status is not ShiftStatus.OPEN or card.has_started or card.free_places == 0:
        return None  # filled (or gone) since: nothing to do
    words = {**shift_words(t, card), "booked": card.booked_count, "capacity": card.capacity,
             "minimum": card.minimum}
    if payload.reason is CoverReason.BELOW_MINIMUM:
        if card.booked_count >= card.minimum:
            return None
        text = t.gettext("⚠️ {activity} at {venue}, {when} is short of people: {booked} booked of {capacity}, "
                         "and it needs at least {minimum}.", **words)
    else:
        text = t.gettext("⚠️ A volunteer can't come to {activity} at {venue}, {when}. "
                         "Booked now: {booked} of {capacity} (minimum {minimum}).", **words)
    return Rendered(text, keyboard([find_cover_button(t, card.shift_id)], [see_button(t, card)]))


@renders_shift_notice(OutboxKind.LATE_CANCELLATION, to_booked=False)
def render_late(t: Translator, card: ShiftCard, payload: payloads.LateCancellation) -> Rendered:
    buttons = [see_button(t, card)]
    if card.status is ShiftStatus.OPEN and not card.has_started and card.free_places > 0:
        buttons.insert(0, find_cover_button(t, card.shift_id))  # a place still free: one tap to fill it
    return Rendered(t.gettext("⚠️ A volunteer cancelled close to the start of {activity} at {venue}, {when}. "
                              "Booked now: {booked} of {capacity} (minimum {minimum}).", **shift_words(t, card),
                              booked=payload.booked_count, capacity=payload.capacity,
                              minimum=payload.minimum),
                    keyboard(buttons))


@renders_shift_notice(OutboxKind.COVER_WANTED, to_booked=False)
def render_cover_wanted(t: Translator, card: ShiftCard, payload: payloads.CoverWanted) -> Rendered | None:
    if (card.status is not ShiftStatus.OPEN or card.has_started or card.free_places == 0
            or card.my_status is not None or card.starts_at != payload.starts_at):
        return None  # filled, moved, started, or they have signed up since
    text = (t.gettext("🙋 Can you help? This shift needs another volunteer.") + Markup("\n\n")
            + card_text(t, card, None))
    return Rendered(text, keyboard([button(t.plain("Sign up"), SignUp(card.shift_id))]))


@renders(OutboxKind.COORDINATOR_DIGEST)
async def render_digest(services: Services, t: Translator, payload: payloads.CoordinatorDigest,
                        member_id: int) -> Rendered | None:
    pending = len(await services.hours.pending_for_coordinator(member_id))
    tomorrow = payload.day + timedelta(days=1)
    rosters = [roster for shift_id in await services.digests.shifts_on(member_id, tomorrow)
               if isinstance(roster := await services.rota.roster(member_id, shift_id), ShiftRoster)]
    if not pending and not rosters:
        return None
    lines: list[str] = [t.gettext("📋 <b>Your digest for {date}</b>", date=t.date(payload.day))]
    if pending:
        lines += ["", t.ngettext("{n} entry is waiting for approval.", "{n} entries are waiting for approval.",
                                 pending) + " /approvals"]
    if rosters:
        lines += ["", t.gettext("<b>Tomorrow, {date}</b>", date=t.date(tomorrow))]
        for roster in rosters:
            item = roster.item
            lines.append(t.gettext("• {start} {activity} at {venue}: {booked} of {capacity} booked",
                                   start=t.time(item.starts_at), activity=item.activity.name(t.language),
                                   venue=item.venue, booked=item.booked_count, capacity=item.capacity))
            booked = [person.display_name or "—" for person in roster.people if person.standing is Standing.BOOKED]
            waiting = [person.display_name or "—" for person in roster.people if person.standing is Standing.WAITING]
            if booked:
                lines.append("  " + t.gettext("Booked: {names}", names=", ".join(booked)))
            if waiting:
                lines.append("  " + t.gettext("Waiting: {names}", names=", ".join(waiting)))
    return Rendered(Markup("\n").join(lines), keyboard(*[[button(
        t.plain("{start} {activity}", start=t.time(roster.item.starts_at),
                activity=roster.item.activity.name(t.language)), OpenShift(roster.item.shift_id))]
        for roster in rosters]))


# --------------------------------------------------------------------------- the buttons


async def _my_booked_card(turn: MemberTurn, shift_id: int) -> ShiftCard | None:
    """The shift's card while they hold a place on it; otherwise they are told why not."""
    card = await booked_card(turn.services, shift_id, turn.member.id)
    if card is None or card.has_started:
        full = await turn.services.shifts.shift_card(shift_id, member_id=turn.member.id)
        outcome = (LeaveOutcome.NOT_FOUND if full is None
                   else LeaveOutcome.SHIFT_CANCELLED if full.status is ShiftStatus.CANCELLED
                   else LeaveOutcome.SIGNUP_CLOSED if full.has_started
                   else LeaveOutcome.NOT_SIGNED_UP)
        await turn.answer(LEAVING.say(turn.t, outcome), alert=True)
        return None
    return card


@router.callback(WillBeThere)
async def will_be_there(turn: MemberTurn, data: WillBeThere) -> None:
    card = await _my_booked_card(turn, data.shift_id)
    if card is None:
        return
    _ = turn.t
    await turn.answer()
    await turn.show(_.gettext("👍 Thank you! See you at {activity} at {venue}, {when}.", **shift_words(_, card)),
                    keyboard([see_button(_, card)]))


@router.callback(CantCome)
async def cant_come(turn: MemberTurn, data: CantCome) -> None:
    _ = turn.t
    if not data.confirmed:
        card = await _my_booked_card(turn, data.shift_id)
        if card is None:
            return
        await turn.answer()
        await turn.show(_.gettext("Give up your place on {activity} at {venue}, {when}? It goes to the next person "
                                  "on the waiting list, and the coordinator can look for cover.",
                                  **shift_words(_, card)),
                        keyboard([button(_.plain("Yes, cancel my place"), CantCome(data.shift_id, confirmed=True))],
                                 [button(_.plain("👍 No, I'll be there"), WillBeThere(data.shift_id))]))
        return
    await give_up_place(turn, data.shift_id)


@router.callback(FindCover, roles={Role.COORDINATOR})
async def find_cover(turn: MemberTurn, data: FindCover) -> None:
    _ = turn.t
    result = await turn.services.cover.find_cover(turn.member.id, data.shift_id)
    if isinstance(result, CoverRefusal):
        await turn.answer(COVER_REFUSALS.say(_, result), alert=True)
        return
    await turn.answer()
    await turn.reply(_cover_sent(_, result))


def _cover_sent(t: Translator, sent: CoverSent) -> str:
    if not sent.recipients:
        return t.gettext("Nobody else who could take this shift is free just now. You could share its link "
                         "or ask in person.")
    return t.ngettext("📣 The shift has gone to {n} volunteer who could take it.",
                      "📣 The shift has gone to {n} volunteers who could take it.", sent.recipients)

