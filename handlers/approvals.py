"""/approvals: a coordinator approves or rejects the hours members logged.

Every button is checked at the first press: the role by the dispatcher, and for one
entry the service (a coordinator of that entry's organisation, never their own) before
a reason is asked for.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Literal

from bot.db.models import Role
from bot.i18n import N_, Markup, Translator
from bot.services import outbox_payloads as payloads
from bot.services.container import Services
from bot.services.hour_rules import REASON_MAX, DecisionOutcome
from bot.services.outbox_payloads import OutboxKind
from handlers.base import MemberTurn
from handlers.callback_data import CallbackData
from handlers.menu import send_main_menu
from handlers.notifications import Rendered, renders
from handlers.refusals import RefusalTable, Say
from handlers.routing import Router
from handlers.widgets import button, keyboard
from handlers.wording import entry_words

REJECT_FLOW = "reject"
APPROVALS_SHOWN = 10
ONLY_COORDINATORS = N_("Only coordinators can approve hours.")

router = Router("approvals")
router.menu_item(60, N_("✅ Approvals"), "approvals")


@dataclass(frozen=True)
class Decide(CallbackData, prefix="appr"):
    verdict: Literal["ok", "no"]
    entry_id: int


@dataclass(frozen=True)
class ApproveAll(CallbackData, prefix="appr-all"):
    """Covers what was listed: the newest entry id shown travels with it."""

    up_to_entry_id: int


@router.command("approvals", roles={Role.COORDINATOR}, refusal=ONLY_COORDINATORS)
async def approvals(turn: MemberTurn, args: list[str]) -> None:
    _ = turn.t
    pending = await turn.services.hours.pending_for_coordinator(turn.member.id)
    # Hours of their own (or that they recorded) are not theirs to decide: say where they are.
    others = await turn.services.hours.waiting_for_another_coordinator(turn.member.id)
    theirs = ("\n" + _.ngettext("{n} entry of your own (or recorded by you) waits for another coordinator.",
                                "{n} entries of your own (or recorded by you) wait for another coordinator.",
                                others)) if others else ""
    if not pending:
        await turn.reply(_.gettext("Nothing is waiting for approval. 🎉") + theirs)
        return
    header = _.ngettext("{n} entry is waiting for approval.", "{n} entries are waiting for approval.",
                        len(pending)) + theirs
    # "Approve all" covers what was listed here (the service still checks every entry);
    # possible duplicates are left for a look each.
    shown = pending[:APPROVALS_SHOWN]
    await turn.reply(header, keyboard([button(_.gettext("Approve all shown"),
                                              ApproveAll(max(entry.entry_id for entry in shown)))])
                     if len(shown) > 1 else None)
    for entry in shown:
        lines = [
            _.gettext("<b>{name}</b> – {duration}", name=entry.member_display_name or _.gettext("(erased member)"),
                      duration=_.duration(entry.minutes)),
            _.gettext("{activity}, {organisation}", activity=entry.activity.name(turn.language),
                      organisation=entry.organisation.name(turn.language)),
            _.date(entry.worked_on, opens_line=True),
        ]
        if entry.note:
            lines.append(_.gettext("Note: {note}", note=entry.note))
        if entry.possible_duplicate:
            lines.append(_.gettext("⚠️ Possible duplicate: they logged this activity on this day already."))
        await turn.reply("\n".join(lines), keyboard([button(_.gettext("Approve"), Decide("ok", entry.entry_id)),
                                                     button(_.gettext("Reject"), Decide("no", entry.entry_id))]))
    if len(pending) > APPROVALS_SHOWN:
        await turn.reply(_.ngettext("…and {n} more. Approve these first, then send /approvals again.",
                                    "…and {n} more. Approve these first, then send /approvals again.",
                                    len(pending) - APPROVALS_SHOWN))


def _reason_too_long(t: Translator, **_params: object) -> str:
    return t.ngettext("Please keep the reason under {n} character.", "Please keep the reason under {n} characters.",
                      REASON_MAX)


DECISIONS = RefusalTable(DecisionOutcome, {
    DecisionOutcome.APPROVED: Say(N_("✅ Approved.")),
    DecisionOutcome.REJECTED: Say(N_("Rejected; the volunteer has been told why.")),
    DecisionOutcome.NOT_FOUND: Say(N_("That entry no longer exists.")),
    DecisionOutcome.NOT_COORDINATOR: Say(N_("Only a coordinator of that organisation can decide these hours.")),
    DecisionOutcome.OWN_ENTRY: Say(N_("You can't approve your own hours: another coordinator must.")),
    DecisionOutcome.ALREADY_DECIDED: Say(N_("That entry has already been decided.")),
    DecisionOutcome.REASON_MISSING: Say(N_("Please type a reason.")),
    DecisionOutcome.REASON_TOO_LONG: _reason_too_long,
})


def decision_text(t: Translator, outcome: DecisionOutcome) -> str:
    return DECISIONS.say(t, outcome)


@router.callback(ApproveAll, roles={Role.COORDINATOR}, refusal=ONLY_COORDINATORS)
async def approve_all(turn: MemberTurn, data: ApproveAll) -> None:
    _ = turn.t
    result = await turn.services.hours.approve_all(turn.member.id, up_to_entry_id=data.up_to_entry_id)
    if isinstance(result, DecisionOutcome):
        await turn.answer(decision_text(_, result), alert=True)
        return
    text = _.ngettext("Approved {n} entry, {duration} in all.", "Approved {n} entries, {duration} in all.",
                      result.approved, duration=_.duration(result.minutes))
    if result.skipped_own:
        text += " " + _.ngettext("{n} entry of your own (or recorded by you) waits for another coordinator.",
                                 "{n} entries of your own (or recorded by you) wait for another coordinator.",
                                 result.skipped_own)
    await turn.show(text)


@router.callback(Decide, roles={Role.COORDINATOR}, refusal=ONLY_COORDINATORS)
async def decide(turn: MemberTurn, data: Decide) -> None:
    _ = turn.t
    hours = turn.services.hours
    if data.verdict == "ok":
        decision = await hours.approve(data.entry_id, coordinator_member_id=turn.member.id)
        if decision.outcome is DecisionOutcome.APPROVED:
            message = turn.query.message if turn.query else None
            shown = getattr(message, "text_html", None)  # None on an inaccessible old message
            said = decision_text(_, decision.outcome)
            if shown and html.unescape(shown).endswith(html.unescape(said)):
                return  # pressed again: the message says so already (the service credited once)
            # The message as Telegram holds it is HTML already: marked, so it is not escaped again.
            await turn.show(Markup(shown) + "\n\n" + said if shown else said)
        else:
            await turn.answer(decision_text(_, decision.outcome), alert=True)
        return
    # Rejecting needs a reason: ask for it only if this coordinator may decide this entry.
    refusal = await hours.may_decide(data.entry_id, coordinator_member_id=turn.member.id)
    if refusal is not None:
        await turn.answer(decision_text(_, refusal), alert=True)
        return
    await turn.set_dialogue(REJECT_FLOW, "reason", entry_id=data.entry_id)
    await turn.answer()
    await turn.reply(_.gettext("Why can't these hours be approved? The volunteer will see your reason."))


@router.step(REJECT_FLOW, "reason", roles={Role.COORDINATOR}, refusal=ONLY_COORDINATORS)
async def typed_reason(turn: MemberTurn, text: str) -> None:
    decision = await turn.services.hours.reject(turn.state.data["entry_id"], coordinator_member_id=turn.member.id,
                                                reason=text)
    if decision.outcome in (DecisionOutcome.REASON_MISSING, DecisionOutcome.REASON_TOO_LONG):
        await turn.reply(decision_text(turn.t, decision.outcome))
        return
    await turn.end_dialogue()
    await send_main_menu(turn, decision_text(turn.t, decision.outcome))


# --------------------------------------------------------------------------- notifications


@renders(OutboxKind.HOURS_APPROVED)
async def render_approved(services: Services, t: Translator, payload: payloads.HoursApproved,
                          member_id: int) -> Rendered:
    return Rendered(t.gettext(
        "✅ {organisation} approved {duration} on {date}. Thank you! Your balance is now {balance}.",
        **await entry_words(services, t, payload), balance=t.balance(payload.balance_minutes)))


@renders(OutboxKind.HOURS_REJECTED)
async def render_rejected(services: Services, t: Translator, payload: payloads.HoursRejected,
                          member_id: int) -> Rendered:
    return Rendered(t.gettext("{organisation} could not approve {duration} on {date}. Their reason: {reason}",
                              **await entry_words(services, t, payload), reason=payload.reason))
