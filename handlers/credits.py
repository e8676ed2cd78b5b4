"""/balance, /statement and /give: a member's time credits."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from bot.db.models import AccountKind, TransactionKind
from bot.i18n import N_, Markup, Translator
from bot.parsing.durations import MAX_CREDITS_MINUTES, DurationError, parse_duration
from bot.services import outbox_payloads as payloads
from bot.services.container import Services
from bot.services.outbox_payloads import OutboxKind
from bot.services.spending import format_code
from bot.services.transfers import StatementRow, TransferOutcome
from handlers.base import MemberTurn
from handlers.callback_data import CallbackData
from handlers.notifications import Rendered, renders
from handlers.refusals import RefusalTable, Say
from handlers.routing import Router
from handlers.widgets import button, keyboard, number, paged
from handlers.wording import duration_problem

GIVE_FLOW = "give"

router = Router("credits")
router.menu_item(30, N_("💳 Balance"), "balance")


@dataclass(frozen=True)
class Statement(CallbackData, prefix="stmt"):
    pass


@dataclass(frozen=True)
class StartGiving(CallbackData, prefix="give-start"):
    pass


@dataclass(frozen=True)
class RecipientPage(CallbackData, prefix="give-pg"):
    page: int


@dataclass(frozen=True)
class CancelGiving(CallbackData, prefix="give-cancel"):
    pass


@dataclass(frozen=True)
class GiveToGroup(CallbackData, prefix="give-to"):
    member_id: int


@dataclass(frozen=True)
class ConfirmGiving(CallbackData, prefix="give-ok"):
    pass


def kind_label(t: Translator, kind: TransactionKind) -> str:
    return {
        TransactionKind.EARN: t.gettext("hours given"),
        TransactionKind.SPEND: t.gettext("spent"),
        TransactionKind.TRANSFER: t.gettext("transfer"),
        TransactionKind.REFUND: t.gettext("refund"),
        TransactionKind.REVERSAL: t.gettext("correction"),
    }[kind]


def signed(t: Translator, minutes: int) -> str:
    return ("+" if minutes > 0 else "−") + t.duration(abs(minutes))


@router.command("balance")
async def balance(turn: MemberTurn, args: list[str]) -> None:
    _ = turn.t
    summary = await turn.services.transfers.balance_summary(turn.member.id)
    if summary is None:  # erased since this update began
        await turn.reply(_.gettext("Please register first: send /start."))
        return
    names = await turn.services.reference.names()
    # In hours and minutes, the unit of every line below it.
    lines: list[str] = [_.gettext("<b>Your balance: {duration} of time credits</b>",
                                  duration=_.duration(summary.balance_minutes))]
    if summary.pending_minutes:
        lines.append(_.gettext("Waiting for approval: {duration}", duration=_.duration(summary.pending_minutes)))
    if summary.recent:
        lines.append("")
        lines.append(_.gettext("Recent movements:"))
        for movement in summary.recent:
            party = movement.counterparty
            where = ""
            if party is not None and party.organisation_id in names.organisations:
                where = Markup(" · {}").format(names.organisations[party.organisation_id].name(turn.language))
            lines.append(Markup("{} · {} {}{}").format(_.date(_.local_date(movement.created_at), "d MMM"),
                                                       kind_label(_, movement.kind),
                                                       signed(_, movement.amount_minutes), where))
    else:
        lines.append(_.gettext("No movements yet. Every hour you give earns one time credit: send /log."))
    await turn.reply(Markup("\n").join(lines), keyboard([button(_.gettext("Full statement (CSV)"), Statement()),
                                                 button(_.gettext("Give credits"), StartGiving())]))


@router.command("statement")
async def statement(turn: MemberTurn, args: list[str]) -> None:
    _ = turn.t
    def counterparty(row: StatementRow) -> str:
        party = row.counterparty
        if party is None:
            return ""
        if party.kind is AccountKind.SCHEME:
            return _.gettext("the timebank")
        if party.organisation is not None:
            return party.organisation.name(turn.language)
        if party.member_display_name:
            return party.member_display_name
        return _.gettext("a former member")

    body = await turn.services.transfers.statement_csv(
        turn.member.id,
        headers=[_.gettext("Date"), _.gettext("Kind"), _.gettext("Minutes"), _.gettext("Balance after (minutes)"),
                 _.gettext("With"), _.gettext("Note")],
        describe_counterparty=counterparty, describe_kind=lambda kind: kind_label(_, kind),
        describe_memo=lambda row: memo_text(_, row))
    await turn.context.bot.send_document(turn.chat_id, document=body, filename=_.plain("time-credits-statement.csv"),
                                         caption=_.gettext("Your statement of time credits."))


def memo_text(t: Translator, row: StatementRow) -> str:
    """A movement's note as the member reads it: the voucher code as it was shown to them
    (ABCD-EFGH), the shift in their language, or what someone typed."""
    if row.voucher_code is not None:
        return format_code(row.voucher_code)
    if row.shift_id is not None:
        return t.plain("shift {id}", id=row.shift_id)
    return row.memo or ""


@router.callback(Statement)
async def statement_button(turn: MemberTurn, data: Statement) -> None:
    await turn.answer()
    await statement(turn, [])


# --------------------------------------------------------------------------- giving


@router.command("give")
async def give(turn: MemberTurn, args: list[str]) -> None:
    await turn.set_dialogue(GIVE_FLOW, "recipient", key=secrets.token_hex(8))
    await _ask_recipient(turn, 0)


async def _ask_recipient(turn: MemberTurn, page: int) -> None:
    _ = turn.t
    groups, navigation, _page = paged(await turn.services.members.groups(), page, RecipientPage)
    rows = [[button(group.display_name, GiveToGroup(group.id))] for group in groups]
    rows += [navigation, [button(_.plain("Cancel"), CancelGiving())]]
    await turn.show(_.gettext("<b>Give time credits</b>\nChoose a group below, or type the member number of the "
                              "person you want to give to (they can see it in /me)."), keyboard(*rows))


@router.callback(RecipientPage, flow=GIVE_FLOW, steps={"recipient"})
async def recipient_page(turn: MemberTurn, data: RecipientPage) -> None:
    await _ask_recipient(turn, data.page)


@router.callback(StartGiving)
async def give_button(turn: MemberTurn, data: StartGiving) -> None:
    await turn.answer()
    await give(turn, [])


@router.callback(CancelGiving)
async def give_cancelled(turn: MemberTurn, data: CancelGiving) -> None:
    if turn.dialogue is not None and turn.dialogue.flow == GIVE_FLOW:
        await turn.end_dialogue()
    await turn.show(turn.t.gettext("Cancelled."))


@router.callback(GiveToGroup, flow=GIVE_FLOW, steps={"recipient"})
async def chose_group(turn: MemberTurn, data: GiveToGroup) -> None:
    await _take_recipient(turn, data.member_id)


@router.step(GIVE_FLOW, "recipient")
async def typed_recipient(turn: MemberTurn, text: str) -> None:
    member_id = number(text.strip().lstrip("#"))
    if member_id is None:
        await turn.reply(turn.t.gettext("Please type a member number, like 42, or choose a group."))
        return
    await _take_recipient(turn, member_id)


async def _take_recipient(turn: MemberTurn, member_id: int) -> None:
    _ = turn.t
    recipient = await turn.services.members.by_id(member_id)
    if recipient is None or recipient.id == turn.member.id:
        await turn.reply(_.gettext("I can't find a member with that number.") if recipient is None
                         else _.gettext("You can't give credits to yourself."))
        return
    await turn.set_dialogue(GIVE_FLOW, "amount", **{**turn.state.data, "to": recipient.id,
                                                     "to_name": recipient.display_name})
    await turn.reply(_.gettext("How much would you like to give {name}? For example 1, 0.5 or 1:30.",
                               name=recipient.display_name))


@router.step(GIVE_FLOW, "amount")
async def typed_amount(turn: MemberTurn, text: str) -> None:
    _ = turn.t
    minutes = parse_duration(text, max_minutes=MAX_CREDITS_MINUTES)
    if isinstance(minutes, DurationError):
        await turn.reply(_.gettext("You can give at most {amount} at once.", amount=_.credits(MAX_CREDITS_MINUTES))
                         if minutes is DurationError.TOO_LONG else duration_problem(_, minutes))
        return
    data = {**turn.state.data, "minutes": minutes}
    await turn.set_dialogue(GIVE_FLOW, "confirm", **data)
    await turn.reply(_.gettext("Give {amount} to {name}?", amount=_.credits(minutes), name=data["to_name"]),
                     keyboard([button(_.gettext("Yes, give"), ConfirmGiving()),
                               button(_.gettext("Cancel"), CancelGiving())]))


NOT_MADE = Say(N_("That transfer could not be made. Please send /give to try again."))
TRANSFERS = RefusalTable(TransferOutcome, {
    TransferOutcome.TRANSFERRED: Say(N_("Done: you gave {amount} to {name}. Your balance is now {balance}.")),
    TransferOutcome.INSUFFICIENT_CREDIT: Say(N_("You don't have enough credits for that: your balance is {balance}.")),
    # What the dialogue's questions already rule out, or a recipient gone meanwhile.
    TransferOutcome.SAME_MEMBER: NOT_MADE,
    TransferOutcome.UNKNOWN_RECIPIENT: NOT_MADE,
    TransferOutcome.NOT_POSITIVE: NOT_MADE,
    TransferOutcome.RECIPIENT_ERASED: NOT_MADE,
    TransferOutcome.NOT_REGISTERED: NOT_MADE,
    TransferOutcome.NOTE_TOO_LONG: NOT_MADE,
})


@router.callback(ConfirmGiving, flow=GIVE_FLOW, steps={"confirm"})
async def confirmed(turn: MemberTurn, button_data: ConfirmGiving) -> None:
    _ = turn.t
    data = turn.state.data
    result = await turn.services.transfers.transfer(turn.member.id, data["to"], data["minutes"],
                                                    idempotency_key=f"give:{data['key']}",
                                                    completion=turn.completion())
    if result.outcome is not TransferOutcome.TRANSFERRED:
        await turn.end_dialogue()  # a transfer made ended the dialogue with it
    balance = (result.balance_after_minutes if result.outcome is TransferOutcome.TRANSFERRED
               else result.balance_minutes)
    await turn.show(TRANSFERS.say(_, result.outcome, amount=_.credits(result.minutes), name=data["to_name"],
                                  balance=_.balance(balance or 0)))


@renders(OutboxKind.CREDITS_RECEIVED)
async def render_received(services: Services, t: Translator, payload: payloads.CreditsReceived,
                          member_id: int) -> Rendered:
    sender = payload.from_display_name or t.gettext("a member")
    text = t.gettext("🎁 {name} gave you {amount}. Your balance is now {balance}.", name=sender,
                     amount=t.credits(payload.minutes), balance=t.balance(payload.balance_minutes))
    if payload.note:
        text += "\n" + t.gettext("Note: {note}", note=payload.note)
    return Rendered(text)
