"""/spend (the directory and vouchers), /vouchers, and /redeem CODE for partner staff."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Literal

from bot.db.models import Role, SpendKind, VoucherStatus
from bot.i18n import N_, Markup, Translator
from bot.services import outbox_payloads as payloads
from bot.services.container import Services
from bot.services.outbox_payloads import OutboxKind
from bot.services.spending import (
    CancelOutcome,
    IssuedVoucher,
    Opportunity,
    RedeemRefusal,
    format_code,
)
from bot.services.voucher_desk import RedemptionOutcome
from handlers.base import MemberTurn
from handlers.callback_data import CallbackData
from handlers.notifications import Rendered, renders
from handlers.refusals import RefusalTable, Say
from handlers.routing import Router
from handlers.widgets import button, keyboard, paged

FLOW = "spend"
REDEEM_FLOW = "redeem"

router = Router("spending")
router.menu_item(40, N_("🎟 Spend credits"), "spend")
router.menu_item(70, N_("🎫 Redeem a voucher"), "redeem")

Kind = Literal["all", "community", "corporate"]


@dataclass(frozen=True)
class Directory(CallbackData, prefix="spend-list"):
    kind: Kind = "all"
    page: int = 0


@dataclass(frozen=True)
class SeeOpportunity(CallbackData, prefix="spend-see"):
    opportunity_id: int


@dataclass(frozen=True)
class GetVoucher(CallbackData, prefix="spend-buy"):
    opportunity_id: int


@dataclass(frozen=True)
class CancelVoucher(CallbackData, prefix="vch-cancel"):
    code: str


def kind_name(t: Translator, kind: SpendKind) -> str:
    return t.gettext("leisure and council") if kind is SpendKind.CORPORATE else t.gettext("community")


KINDS: dict[Kind, SpendKind | None] = {"all": None, "community": SpendKind.COMMUNITY,
                                       "corporate": SpendKind.CORPORATE}


@router.command("spend")
async def spend(turn: MemberTurn, args: list[str]) -> None:
    await _directory(turn, "all", 0)


async def _directory(turn: MemberTurn, kind: Kind, page: int) -> None:
    _ = turn.t
    opportunities = await turn.services.spending.directory(kind=KINDS[kind])
    labels: dict[Kind, str] = {"all": _.plain("All"), "community": _.plain("Community"),
                               "corporate": _.plain("Leisure")}
    filters = [button(("• " if key == kind else "") + label, Directory(key)) for key, label in labels.items()]
    items, navigation, _page = paged(opportunities, page, lambda number: Directory(kind, number))
    rows = [filters] + [[button(f"{item.name(turn.language)} – {_.credits(item.cost_minutes)}",
                                SeeOpportunity(item.id))]
                        for item in items] + [navigation]
    text = (_.gettext("<b>Spend your time credits</b>\nChoose something to see more.") if opportunities
            else _.gettext("There is nothing to spend credits on here yet."))
    await turn.show(text, keyboard(*rows))


@router.callback(Directory)
async def filtered(turn: MemberTurn, data: Directory) -> None:
    await _directory(turn, data.kind, data.page)


def weekly_limit_line(t: Translator, limit: int) -> Markup:
    return t.ngettext("At most {n} voucher a week for each member.",
                      "At most {n} vouchers a week for each member.", limit)


def card(t: Translator, item: Opportunity) -> str:
    lines: list[str] = [t.gettext("<b>{name}</b>", name=item.name(t.language)),
                        t.gettext("Cost: {cost}", cost=t.credits(item.cost_minutes)),
                        t.gettext("Where: {venue}", venue=item.venue)]
    if item.neighbourhood is not None:
        lines.append(t.gettext("Neighbourhood: {neighbourhood}", neighbourhood=item.neighbourhood.name(t.language)))
    lines.append(t.gettext("Run by: {organisation} ({kind})", organisation=item.organisation.name(t.language),
                           kind=kind_name(t, item.kind)))
    if item.weekly_limit:
        lines.append(weekly_limit_line(t, item.weekly_limit))
    description = t.pick(item.description_en, item.description_cy)
    if description:
        lines.extend(["", description])
    return "\n".join(lines)


@router.callback(SeeOpportunity)
async def see(turn: MemberTurn, data: SeeOpportunity) -> None:
    _ = turn.t
    item = await turn.services.spending.opportunity(data.opportunity_id)
    if item is None or not item.on_offer:
        await turn.answer(_.gettext("That is no longer on offer."), alert=True)
        return
    # The key is made here, so pressing "Get a voucher" twice issues one voucher.
    await turn.set_dialogue(FLOW, "confirm", opportunity_id=item.id, key=secrets.token_hex(8))
    await turn.show(card(_, item), keyboard(
        [button(_.gettext("Get a voucher for {cost}", cost=_.credits(item.cost_minutes)), GetVoucher(item.id))],
        [button(_.plain("Back"), Directory())]))


def _weekly_limit(t: Translator, *, limit: int, **_params: object) -> str:
    return t.ngettext("You can have {n} voucher a week for this; please come back next week.",
                      "You can have {n} vouchers a week for this; please come back next week.", limit)


NO_LONGER_ON_OFFER = Say(N_("That is no longer on offer."))
SPEND_REFUSALS = RefusalTable(RedeemRefusal, {
    RedeemRefusal.INSUFFICIENT_CREDIT: Say(N_("Not enough credits: this costs {cost} and your balance is {balance}.")),
    RedeemRefusal.WEEKLY_LIMIT: _weekly_limit,
    RedeemRefusal.NOT_FOUND: NO_LONGER_ON_OFFER,
    RedeemRefusal.INACTIVE: NO_LONGER_ON_OFFER,
    RedeemRefusal.NOT_ALLOWED: NO_LONGER_ON_OFFER,  # only when spending for someone else
    RedeemRefusal.NOT_REGISTERED: Say(N_("Please register first: send /start.")),
})


@router.callback(GetVoucher, flow=FLOW, steps={"confirm"})
async def buy(turn: MemberTurn, data: GetVoucher) -> None:
    _ = turn.t
    pending = turn.state.data
    if data.opportunity_id != pending["opportunity_id"]:  # a button of another card than the one open
        await turn.answer(_.gettext("That button has expired."), alert=True)
        return
    result = await turn.services.spending.redeem(turn.member.id, pending["opportunity_id"],
                                                 idempotency_key=f"spend:{pending['key']}",
                                                 completion=turn.completion())
    if not isinstance(result, IssuedVoucher):
        await turn.answer(SPEND_REFUSALS.say(_, result.reason, cost=_.credits(result.cost_minutes or 0),
                                             balance=_.balance(result.balance_minutes or 0),
                                             limit=result.weekly_limit or 0), alert=True)
        return
    # the dialogue ended with the voucher
    await turn.show(_.gettext("🎟 Your voucher for <b>{name}</b>: <code>{code}</code>\n"
                              "Show this code or the picture at {venue}. It is valid until {date}.\n"
                              "Your balance is now {balance}.",
                              name=result.opportunity.name(turn.language), code=format_code(result.code),
                              venue=result.opportunity.venue, date=_.date(_.local_date(result.expires_at)),
                              balance=_.balance(result.balance_after_minutes)))
    await turn.context.bot.send_photo(turn.chat_id, photo=result.qr_png, caption=format_code(result.code))


@router.command("vouchers")
async def vouchers(turn: MemberTurn, args: list[str]) -> None:
    _ = turn.t
    mine = [v for v in await turn.services.spending.my_vouchers(turn.member.id, include_closed=False)]
    if not mine:
        await turn.reply(_.gettext("You have no vouchers waiting to be used. Send /spend to find something."))
        return
    await turn.reply(_.ngettext("You have {n} voucher waiting to be used.", "You have {n} vouchers waiting to be used.",
                                len(mine)))
    for voucher in mine:
        await turn.reply(
            _.gettext("<code>{code}</code> – {name}, valid until {date}", code=format_code(voucher.code),
                      name=voucher.opportunity.name(turn.language), date=_.date(_.local_date(voucher.expires_at))),
            keyboard([button(_.gettext("Cancel and refund"), CancelVoucher(voucher.code))])
            if voucher.status is VoucherStatus.ISSUED else None)


CANCELLING = RefusalTable(CancelOutcome, {
    CancelOutcome.CANCELLED: Say(N_("Cancelled; {amount} refunded.")),
    CancelOutcome.ALREADY_REDEEMED: Say(N_("That voucher has already been used.")),
    CancelOutcome.ALREADY_CANCELLED: Say(N_("That voucher was already cancelled.")),
    CancelOutcome.EXPIRED: Say(N_("That voucher has expired; its credits were refunded.")),
    CancelOutcome.UNKNOWN_CODE: Say(N_("That voucher was not found.")),
})


@router.callback(CancelVoucher)
async def cancel_voucher(turn: MemberTurn, data: CancelVoucher) -> None:
    _ = turn.t
    result = await turn.services.spending.cancel_voucher(turn.member.id, data.code)
    await turn.show(CANCELLING.say(_, result.outcome, amount=_.credits(result.refunded_minutes or 0)))


REDEMPTIONS = RefusalTable(RedemptionOutcome, {
    RedemptionOutcome.ALREADY_REDEEMED: Say(N_("❌ This voucher has already been used.")),
    RedemptionOutcome.EXPIRED: Say(N_("❌ This voucher has expired.")),
    RedemptionOutcome.CANCELLED: Say(N_("❌ This voucher was cancelled.")),
    RedemptionOutcome.UNKNOWN_CODE: Say(N_("❌ There is no voucher with that code. Please check it.")),
    RedemptionOutcome.NOT_PARTNER: Say(N_("Only partner staff of the venue can accept this voucher.")),
}, except_=frozenset({RedemptionOutcome.REDEEMED}))  # said with the voucher's details


# The role first, so someone who is not partner staff learns nothing about a code.
@router.command("redeem", roles={Role.PARTNER})
async def redeem(turn: MemberTurn, args: list[str]) -> None:
    if not args:  # the menu button, or /redeem alone: the code comes next
        await turn.set_dialogue(REDEEM_FLOW, "code")
        await turn.reply(turn.t.gettext("Type the voucher's code, for example ABCD-EFGH."))
        return
    await _accept(turn, " ".join(args))


@router.step(REDEEM_FLOW, "code", roles={Role.PARTNER})
async def typed_code(turn: MemberTurn, text: str) -> None:
    await _accept(turn, text)


async def _accept(turn: MemberTurn, code: str) -> None:
    _ = turn.t
    result = await turn.services.desk.confirm_redemption(turn.member.id, code)
    if result.outcome is not RedemptionOutcome.UNKNOWN_CODE and turn.dialogue is not None:
        await turn.end_dialogue()  # a mistyped code may be typed again
    if result.outcome is RedemptionOutcome.REDEEMED and result.opportunity is not None:
        await turn.reply(_.gettext("✅ Accepted: {name} for {member} ({cost}).",
                                   name=result.opportunity.name(turn.language),
                                   member=result.member_display_name or _.gettext("a former member"),
                                   cost=_.credits(result.cost_minutes or 0)))
    else:
        await turn.reply(REDEMPTIONS.say(_, result.outcome))


@renders(OutboxKind.VOUCHER_REDEEMED)
async def render_redeemed(services: Services, t: Translator, payload: payloads.VoucherRedeemed,
                          member_id: int) -> Rendered:
    item = await services.spending.opportunity(payload.spend_opportunity_id)
    return Rendered(t.gettext("Your voucher {code} for {name} has been used. Enjoy!", code=format_code(payload.code),
                              name=item.name(t.language) if item else ""))


@renders(OutboxKind.VOUCHER_EXPIRED)
async def render_expired(services: Services, t: Translator, payload: payloads.VoucherExpired,
                         member_id: int) -> Rendered:
    item = await services.spending.opportunity(payload.spend_opportunity_id)
    return Rendered(t.gettext("Your voucher {code} for {name} expired unused, so {amount} went back to your "
                              "balance ({balance}).", code=format_code(payload.code),
                              name=item.name(t.language) if item else "", amount=t.credits(payload.cost_minutes),
                              balance=t.balance(payload.balance_minutes)))
