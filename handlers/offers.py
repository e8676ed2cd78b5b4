"""/offers: TSO staff and admins list, add, edit, pause and resume the spend
opportunities members spend credits on.

The dispatcher checks the role (staff or admin) at the first press; which organisation's
offers this member may touch is the offer service's rule, asked before any question is
shown and again when the change is saved. Every change is confirmed in a message.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from telegram import InlineKeyboardButton

from bot.db.models import Role, SpendKind
from bot.i18n import N_, Markup, Translator
from bot.parsing.durations import DurationError, parse_duration
from bot.services.offers import (
    DESCRIPTION_MAX,
    NAME_MAX,
    PRICE_MAX_MINUTES,
    VENUE_MAX,
    WEEKLY_LIMIT_MAX,
    OfferChanges,
    OfferDraft,
    OfferRefusal,
    field_refusal,
)
from bot.services.spending import Opportunity
from handlers.base import MemberTurn
from handlers.offer_buttons import (
    FIELDS,
    AddOffer,
    ChooseKind,
    ChooseOrganisation,
    ClearField,
    EditOffer,
    EditOfferField,
    LeaveAdding,
    LeaveEditing,
    OfferCard,
    OffersPage,
    PauseOffer,
    SaveOffer,
    SkipField,
    TextField,
)
from handlers.refusals import RefusalTable, Say
from handlers.routing import Router
from handlers.spending import card, kind_name, weekly_limit_line
from handlers.widgets import button, keyboard, whole_number

ADD_FLOW = "offer-add"
EDIT_FLOW = "offer-edit"
STAFF = {Role.STAFF, Role.ADMIN}
ONLY_STAFF = N_("Only TSO staff and admins can manage offers.")
PAGE = 6

router = Router("offers", expired=N_("That button has expired. Send /offers to start again."))
router.menu_item(75, N_("🏷 Manage offers"), "offers")


def _too_long(t: Translator, limit: int) -> str:
    return t.ngettext("Please keep it under {n} character.", "Please keep it under {n} characters.", limit)


OFFER_REFUSALS = RefusalTable(OfferRefusal, {
    OfferRefusal.NOT_ALLOWED: Say(N_("Only staff of that organisation, or an admin, can change its offers.")),
    OfferRefusal.NOT_FOUND: Say(N_("That offer no longer exists.")),
    OfferRefusal.NAME_MISSING: Say(N_("Please type a name.")),
    OfferRefusal.NAME_TOO_LONG: lambda t: _too_long(t, NAME_MAX),
    OfferRefusal.VENUE_MISSING: Say(N_("Please type where the voucher is used.")),
    OfferRefusal.VENUE_TOO_LONG: lambda t: _too_long(t, VENUE_MAX),
    OfferRefusal.DESCRIPTION_TOO_LONG: lambda t: _too_long(t, DESCRIPTION_MAX),
    OfferRefusal.PRICE_OUT_OF_RANGE: Say(N_("The price must be more than nothing and at most 100 time credits.")),
    OfferRefusal.WEEKLY_LIMIT_OUT_OF_RANGE: Say(N_("Please type a whole number from 1 to 100, or press “No limit”.")),
})

SKIPPABLE = ("description_en", "description_cy", "limit")


# --------------------------------------------------------------------------- the list and a card


@router.command("offers", roles=STAFF, refusal=ONLY_STAFF)
async def offers(turn: MemberTurn, args: list[str]) -> None:
    await show_list(turn, 0)


@router.callback(OffersPage, roles=STAFF, refusal=ONLY_STAFF)
async def offers_page(turn: MemberTurn, data: OffersPage) -> None:
    await show_list(turn, data.page)


async def show_list(turn: MemberTurn, page: int, notice: str | None = None) -> None:
    _ = turn.t
    listing = await turn.services.offers.listing(turn.member.id, page=page, page_size=PAGE)
    if isinstance(listing, OfferRefusal):
        await _refused(turn, listing)
        return
    lines = [_.gettext("<b>Offers</b>: what members can spend their time credits on. "
                       "⏸ = paused (members don't see it).")]
    if not listing.items:
        lines.append(_.gettext("There are no offers yet. Add the first one."))
    rows = [[button(("⏸ " if item.paused else "") + f"{item.name(turn.language)} – "
                    f"{_.credits(item.cost_minutes)}"[:60], OfferCard(item.id))] for item in listing.items]
    navigation = []
    if listing.page > 0:
        navigation.append(button("◀", OffersPage(listing.page - 1)))
    if listing.page < listing.pages - 1:
        navigation.append(button("▶", OffersPage(listing.page + 1)))
    rows.extend([navigation, [button(_.plain("➕ Add an offer"), AddOffer())]])
    text = "\n".join(lines)
    await turn.show(f"{notice}\n\n{text}" if notice else text, keyboard(*rows))


def staff_card(t: Translator, item: Opportunity) -> str:
    """What members see, and what only staff need: the state, the name in the other language."""
    lines = [card(t, item), ""]
    lines.append(t.gettext("⏸ Paused: members don't see it.") if item.paused
                 else t.gettext("▶️ On offer: members can take vouchers."))
    lines.append(t.gettext("In English: {name}", name=item.name_en) if t.language == "cy"
                 else t.gettext("In Welsh: {name}", name=item.name_cy))
    if not item.managed_in_bot:
        lines.append(t.gettext("From the configuration file; editing it here means the file no longer changes it."))
    return "\n".join(lines)


@router.callback(OfferCard, roles=STAFF, refusal=ONLY_STAFF)
async def offer_card(turn: MemberTurn, data: OfferCard) -> None:
    await show_card(turn, data.offer_id)


async def show_card(turn: MemberTurn, offer_id: int, notice: str | None = None) -> None:
    _ = turn.t
    item = await turn.services.offers.offer(turn.member.id, offer_id)
    if isinstance(item, OfferRefusal):
        await _refused(turn, item)
        return
    pause = (button(_.plain("▶️ Resume"), PauseOffer(item.id, False)) if item.paused
             else button(_.plain("⏸ Pause"), PauseOffer(item.id, True)))
    text = staff_card(_, item)
    await turn.show(f"{notice}\n\n{text}" if notice else text, keyboard(
        [button(_.plain("✏️ Edit"), EditOffer(item.id)), pause],
        [button(_.plain("Back to the offers"), OffersPage())]))


@router.callback(PauseOffer, roles=STAFF, refusal=ONLY_STAFF)
async def pause_offer(turn: MemberTurn, data: PauseOffer) -> None:
    _ = turn.t
    offers_service = turn.services.offers
    result = await (offers_service.pause if data.paused else offers_service.resume)(turn.member.id, data.offer_id)
    if isinstance(result, OfferRefusal):
        await _refused(turn, result)
        return
    name = result.name(turn.language)
    await show_card(turn, result.id, _.gettext("⏸ Paused: members no longer see {name}.", name=name) if data.paused
                    else _.gettext("▶️ Resumed: members can take vouchers for {name} again.", name=name))


async def _refused(turn: MemberTurn, refusal: OfferRefusal) -> None:
    await turn.refuse(OFFER_REFUSALS.say(turn.t, refusal))


# --------------------------------------------------------------------------- the questions


def _leave_row(turn: MemberTurn) -> list[InlineKeyboardButton]:
    """Cancel: out of adding, or back to the offer being edited."""
    dialogue = turn.dialogue
    if dialogue is not None and dialogue.flow == EDIT_FLOW:
        return [button(turn.t.plain("Cancel"), LeaveEditing(int(dialogue.data["offer_id"])))]
    return [button(turn.t.plain("Cancel"), LeaveAdding())]


async def _ask(turn: MemberTurn, text: str, *rows: Sequence[InlineKeyboardButton]) -> None:
    await turn.show(text, keyboard(*rows, _leave_row(turn)))


def question(t: Translator, field: str) -> str:
    return {
        "name_en": t.gettext("What is it called, in English? (for example: Swimming session)"),
        "name_cy": t.gettext("And in Welsh? (for example: Sesiwn nofio)"),
        "description_en": t.gettext("A sentence or two about it, in English (or skip)."),
        "description_cy": t.gettext("And in Welsh (or skip)."),
        "venue": t.gettext("Where is the voucher used? (for example: Eastern Leisure Centre, Llanrumney)"),
        "price": t.gettext("How many time credits does it cost? One credit is one hour: 1, 1.5, 0.5 or 1:30."),
        "limit": t.gettext("How many vouchers may one member take for it each week? Type a number, or press "
                           "“No limit”."),
    }[field]


async def ask_field(turn: MemberTurn, field: str, *, editing: bool = False) -> None:
    _ = turn.t
    rows = []
    if field == "limit":
        rows.append([button(_.plain("No limit"), ClearField() if editing else SkipField())])
    elif field in SKIPPABLE:
        rows.append([button(_.plain("Leave it empty"), ClearField()) if editing
                     else button(_.plain("Skip"), SkipField())])
    await _ask(turn, question(_, field), *rows)


def price_problem(t: Translator, error: DurationError) -> str:
    if error is DurationError.TOO_LONG:
        return t.gettext("The price must be more than nothing and at most 100 time credits.")
    if error is DurationError.NOT_WHOLE_MINUTES:
        return t.gettext("Please give the price to the nearest minute of credit.")
    return t.gettext("I couldn't read that price. Type time credits, for example 1, 1.5 or 1:30.")


async def read_answer(turn: MemberTurn, field: str, text: str) -> tuple[str, object] | None:
    """The typed answer as (the draft's field name, value); None once the problem is told."""
    _ = turn.t
    if field == "price":
        minutes = parse_duration(text, max_minutes=PRICE_MAX_MINUTES)
        if isinstance(minutes, DurationError):
            await turn.reply(price_problem(_, minutes))
            return None
        return "cost_minutes", minutes
    if field == "limit":
        limit = whole_number(text, 1, WEEKLY_LIMIT_MAX)
        if limit is None:
            await turn.reply(OFFER_REFUSALS.say(_, OfferRefusal.WEEKLY_LIMIT_OUT_OF_RANGE))
            return None
        return "weekly_limit", limit
    value = text.strip()
    refusal = field_refusal(field, value)
    if refusal is not None:
        await turn.reply(OFFER_REFUSALS.say(_, refusal))
        return None
    return field, value


@router.callback(LeaveAdding, roles=STAFF, refusal=ONLY_STAFF, flow=ADD_FLOW)
async def leave_adding(turn: MemberTurn, data: LeaveAdding) -> None:
    await turn.end_dialogue()
    await show_list(turn, 0, turn.t.gettext("Nothing was changed."))


@router.callback(LeaveEditing, roles=STAFF, refusal=ONLY_STAFF, flow=EDIT_FLOW)
async def leave_editing(turn: MemberTurn, data: LeaveEditing) -> None:
    await turn.end_dialogue()
    await show_card(turn, data.offer_id, turn.t.gettext("Nothing was changed."))


# --------------------------------------------------------------------------- adding




@router.callback(AddOffer, roles=STAFF, refusal=ONLY_STAFF)
async def add_offer(turn: MemberTurn, data: AddOffer) -> None:
    _ = turn.t
    organisations = await turn.services.offers.managed_organisations(turn.member.id)
    if not organisations:
        await _refused(turn, OfferRefusal.NOT_ALLOWED)
        return
    if len(organisations) == 1:
        await turn.set_dialogue(ADD_FLOW, "kind", organisation_id=organisations[0].id)
        await ask_kind(turn)
        return
    await turn.set_dialogue(ADD_FLOW, "organisation")
    await _ask(turn, _.gettext("<b>New offer</b>\nWhich organisation accepts the vouchers?"),
               *[[button(item.name(turn.language), ChooseOrganisation(item.id))] for item in organisations])


@router.callback(ChooseOrganisation, roles=STAFF, refusal=ONLY_STAFF, flow=ADD_FLOW, steps=("organisation",))
async def chose_organisation(turn: MemberTurn, data: ChooseOrganisation) -> None:
    if not await turn.services.offers.may_manage(turn.member.id, data.organisation_id):
        await _refused(turn, OfferRefusal.NOT_ALLOWED)
        return
    await turn.set_dialogue(ADD_FLOW, "kind", organisation_id=data.organisation_id)
    await ask_kind(turn)


async def ask_kind(turn: MemberTurn) -> None:
    _ = turn.t
    await _ask(turn, _.gettext("<b>New offer</b>\nIs it at a leisure centre or council venue, or run by the "
                               "community?"),
               [button(_.plain("Leisure and council"), ChooseKind(SpendKind.CORPORATE)),
                button(_.plain("Community"), ChooseKind(SpendKind.COMMUNITY))])


@router.callback(ChooseKind, roles=STAFF, refusal=ONLY_STAFF, flow=ADD_FLOW, steps=("kind",))
async def chose_kind(turn: MemberTurn, data: ChooseKind) -> None:
    await _next_question(turn, "name_en", kind=data.kind.value)


async def _next_question(turn: MemberTurn, field: str, **changes: object) -> None:
    await turn.set_dialogue(ADD_FLOW, field, **{**turn.state.data, **changes})
    await ask_field(turn, field)


async def _answered(turn: MemberTurn, name: str, value: object) -> None:
    following = FIELDS.index(turn.state.step) + 1  # the question answered is the step the dialogue is at
    if following < len(FIELDS):
        await _next_question(turn, FIELDS[following], **{name: value})
        return
    await turn.set_dialogue(ADD_FLOW, "confirm", **{**turn.state.data, name: value})
    await ask_confirm(turn)


def _typed_step(field: str, use: Callable[[MemberTurn, str, Any], Awaitable[None]],
                name: str) -> Callable[[MemberTurn, str], Awaitable[None]]:
    """The step handler for one question, adding or editing: the (field name, value) read goes to `use`."""
    async def typed(turn: MemberTurn, text: str) -> None:
        answer = await read_answer(turn, field, text)
        if answer is not None:
            await use(turn, *answer)
    typed.__name__ = f"{name}_{field}"
    return typed


for _field in FIELDS:
    router.step(ADD_FLOW, _field, roles=STAFF, refusal=ONLY_STAFF)(_typed_step(_field, _answered, "typed"))


@router.callback(SkipField, roles=STAFF, refusal=ONLY_STAFF, flow=ADD_FLOW, steps=SKIPPABLE)
async def skipped(turn: MemberTurn, data: SkipField) -> None:
    field = turn.state.step
    await _answered(turn, "weekly_limit" if field == "limit" else field, None if field == "limit" else "")


def draft_from(data: dict[str, Any]) -> OfferDraft:
    return OfferDraft(organisation_id=int(data["organisation_id"]), kind=SpendKind(data["kind"]),
                      name_en=str(data["name_en"]), name_cy=str(data["name_cy"]), venue=str(data["venue"]),
                      cost_minutes=int(data["cost_minutes"]), description_en=str(data.get("description_en") or ""),
                      description_cy=str(data.get("description_cy") or ""),
                      weekly_limit=int(data["weekly_limit"]) if data.get("weekly_limit") else None)


async def ask_confirm(turn: MemberTurn) -> None:
    _ = turn.t
    draft = draft_from(turn.state.data)
    names = await turn.services.reference.names()
    organisation = names.organisations.get(draft.organisation_id)
    lines = [_.gettext("<b>Check the new offer</b>"),
             _.gettext("Name in English: {name}", name=draft.name_en),
             _.gettext("Name in Welsh: {name}", name=draft.name_cy),
             _.gettext("Run by: {organisation} ({kind})",
                       organisation=organisation.name(turn.language) if organisation else "",
                       kind=kind_name(_, draft.kind)),
             _.gettext("Where: {venue}", venue=draft.venue),
             _.gettext("Cost: {cost}", cost=_.credits(draft.cost_minutes))]
    lines.append(weekly_limit_line(_, draft.weekly_limit) if draft.weekly_limit else _.gettext("No weekly limit."))
    for label, text in ((_.gettext("In English:"), draft.description_en),
                        (_.gettext("In Welsh:"), draft.description_cy)):
        if text:
            lines.append(Markup("{} {}").format(label, text))
    await _ask(turn, "\n".join(lines), [button(_.plain("✅ Add it"), SaveOffer())])


@router.callback(SaveOffer, roles=STAFF, refusal=ONLY_STAFF, flow=ADD_FLOW, steps=("confirm",))
async def save_offer(turn: MemberTurn, data: SaveOffer) -> None:
    result = await turn.services.offers.add(turn.member.id, draft_from(turn.state.data))
    if isinstance(result, OfferRefusal):
        await _refused(turn, result)
        return
    await turn.end_dialogue()
    await show_card(turn, result.id, turn.t.gettext("✅ Added: members can find {name} in /spend now.",
                                                    name=result.name(turn.language)))


# --------------------------------------------------------------------------- editing


def field_label(t: Translator, field: TextField) -> str:
    return {
        "name_en": t.plain("Name in English"), "name_cy": t.plain("Name in Welsh"),
        "description_en": t.plain("Description in English"), "description_cy": t.plain("Description in Welsh"),
        "venue": t.plain("Where"), "price": t.plain("Price"), "limit": t.plain("Weekly limit"),
    }[field]


@router.callback(EditOffer, roles=STAFF, refusal=ONLY_STAFF)
async def edit_offer(turn: MemberTurn, data: EditOffer) -> None:
    _ = turn.t
    item = await turn.services.offers.offer(turn.member.id, data.offer_id)
    if isinstance(item, OfferRefusal):
        await _refused(turn, item)
        return
    rows = [[button(field_label(_, name), EditOfferField(item.id, name)) for name in FIELDS[i:i + 2]]
            for i in range(0, len(FIELDS), 2)]
    await turn.show(_.gettext("What would you like to change in {name}?", name=item.name(turn.language)),
                    keyboard(*rows, [button(_.plain("Back"), OfferCard(item.id))]))


@router.callback(EditOfferField, roles=STAFF, refusal=ONLY_STAFF)
async def edit_offer_field(turn: MemberTurn, data: EditOfferField) -> None:
    item = await turn.services.offers.offer(turn.member.id, data.offer_id)  # theirs? asked before the question
    if isinstance(item, OfferRefusal):
        await _refused(turn, item)
        return
    await turn.set_dialogue(EDIT_FLOW, data.field, offer_id=item.id)
    await ask_field(turn, data.field, editing=True)


async def _save_edit(turn: MemberTurn, name: str, value: Any) -> None:
    _ = turn.t
    offer_id = int(turn.state.data["offer_id"])
    result = await turn.services.offers.edit(turn.member.id, offer_id, OfferChanges(**{name: value}))
    if isinstance(result, OfferRefusal):
        await _refused(turn, result)
        return
    await turn.end_dialogue()
    await show_card(turn, result.id, _.gettext("✅ Saved."))


for _field in FIELDS:
    router.step(EDIT_FLOW, _field, roles=STAFF, refusal=ONLY_STAFF)(_typed_step(_field, _save_edit, "edited"))


@router.callback(ClearField, roles=STAFF, refusal=ONLY_STAFF, flow=EDIT_FLOW, steps=SKIPPABLE)
async def cleared(turn: MemberTurn, data: ClearField) -> None:
    field = turn.state.step
    await _save_edit(turn, "weekly_limit" if field == "limit" else field, 0 if field == "limit" else "")
