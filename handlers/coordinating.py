"""What coordinators do for others: /people (members without Telegram, whose hours and
spending they record) and /groupcredit (crediting everyone at one activity at once).

Every command, button and step here is declared for coordinators, so the role is checked
at the first press; which members they may act for is the member service's rule, asked
before anything about a member is shown.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date

from bot.db.models import Role
from bot.i18n import N_, Translator
from bot.parsing.durations import DurationError, parse_duration
from bot.services.group_credit import GroupCredited, GroupCreditRefusal
from bot.services.people import RecordRefusal
from bot.services.spending import IssuedVoucher, RedeemRefusal, format_code
from handlers.base import MemberTurn
from handlers.callback_data import CallbackData
from handlers.hours import begin_log
from handlers.refusals import RefusalTable, Say
from handlers.routing import Router
from handlers.widgets import (
    ShownDay,
    ask_neighbourhood,
    ask_past_day,
    button,
    day_from_button,
    keyboard,
    number,
    paged,
    read_past_day,
)
from handlers.wording import duration_problem, name_too_long

PEOPLE_FLOW = "people"
GROUP_FLOW = "groupcredit"
COORDINATORS = {Role.COORDINATOR}

router = Router("coordinating")
router.menu_item(65, N_("👥 People without Telegram"), "people")


@dataclass(frozen=True)
class PeoplePage(CallbackData, prefix="ppl-pg"):
    page: int


@dataclass(frozen=True)
class AddPerson(CallbackData, prefix="ppl-add"):
    pass


@dataclass(frozen=True)
class PersonNeighbourhood(CallbackData, prefix="ppl-hood"):
    neighbourhood_id: int  # 0: somewhere else / not given


@dataclass(frozen=True)
class Person(CallbackData, prefix="ppl"):
    member_id: int


@dataclass(frozen=True)
class LogFor(CallbackData, prefix="ppl-log"):
    member_id: int


@dataclass(frozen=True)
class SpendFor(CallbackData, prefix="ppl-spend"):
    member_id: int
    page: int = 0


@dataclass(frozen=True)
class BuyFor(CallbackData, prefix="ppl-buy"):
    opportunity_id: int


@dataclass(frozen=True)
class GroupActivity(CallbackData, prefix="gc-act"):
    activity_type_id: int


@dataclass(frozen=True)
class GroupOrganisation(CallbackData, prefix="gc-org"):
    organisation_id: int


@dataclass(frozen=True)
class GroupDay(CallbackData, prefix="gc-date"):
    day: ShownDay


@dataclass(frozen=True)
class GroupPage(CallbackData, prefix="gc-pg"):
    page: int


@dataclass(frozen=True)
class CreditGroup(CallbackData, prefix="gc-grp"):
    group_member_id: int  # 0: no group


@dataclass(frozen=True)
class CancelGroupCredit(CallbackData, prefix="gc-no"):
    pass


@dataclass(frozen=True)
class ConfirmGroupCredit(CallbackData, prefix="gc-ok"):
    pass


async def _expired(turn: MemberTurn) -> None:
    await turn.answer(turn.t.gettext("That button has expired."), alert=True)


# --------------------------------------------------------------------------- members without Telegram


@router.command("people", roles=COORDINATORS)
async def people(turn: MemberTurn, args: list[str]) -> None:
    await show_people(turn, 0)


async def show_people(turn: MemberTurn, page: int) -> None:
    _ = turn.t
    people_, navigation, _page = paged(await turn.services.members.recorded_members(turn.member.id), page, PeoplePage)
    rows = [[button(person.display_name, Person(person.id))] for person in people_]
    rows += [navigation, [button(_.plain("➕ Add someone"), AddPerson())]]
    await turn.show(_.gettext("<b>Members without Telegram</b>\nYou log hours and spend credits for them. "
                              "Choose someone, or add a person."), keyboard(*rows))


@router.callback(PeoplePage, roles=COORDINATORS)
async def people_page(turn: MemberTurn, data: PeoplePage) -> None:
    await show_people(turn, data.page)


@router.callback(AddPerson, roles=COORDINATORS)
async def add_person(turn: MemberTurn, data: AddPerson) -> None:
    await turn.set_dialogue(PEOPLE_FLOW, "name")
    await turn.show(turn.t.gettext("What is their name?"))


@router.step(PEOPLE_FLOW, "name", roles=COORDINATORS)
async def typed_name(turn: MemberTurn, text: str) -> None:
    await turn.set_dialogue(PEOPLE_FLOW, "neighbourhood", name=text)
    await ask_neighbourhood(turn, PersonNeighbourhood, turn.t.gettext("Which neighbourhood do they live in?"))


PLAIN_NAME = Say(N_("Please type the name you would like us to use, in plain letters."))
RECORD_REFUSALS = RefusalTable(RecordRefusal, {
    RecordRefusal.NAME_EMPTY: PLAIN_NAME,
    RecordRefusal.NAME_NOT_TEXT: PLAIN_NAME,
    RecordRefusal.NAME_TOO_LONG: name_too_long,
    RecordRefusal.UNKNOWN_NEIGHBOURHOOD: Say(N_("That neighbourhood no longer exists. Please choose again.")),
    RecordRefusal.NOT_COORDINATOR: Say(N_("Only coordinators can do that.")),
})
NAME_REFUSALS = frozenset({RecordRefusal.NAME_EMPTY, RecordRefusal.NAME_NOT_TEXT, RecordRefusal.NAME_TOO_LONG})


@router.callback(PersonNeighbourhood, roles=COORDINATORS, flow=PEOPLE_FLOW, steps={"neighbourhood"})
async def chose_neighbourhood(turn: MemberTurn, data: PersonNeighbourhood) -> None:
    _ = turn.t
    result = await turn.services.people.record_member_without_telegram(
        turn.member.id, display_name=turn.state.data["name"], neighbourhood_id=data.neighbourhood_id or None,
        completion=turn.completion())
    if isinstance(result, RecordRefusal):
        text = RECORD_REFUSALS.say(_, result)
        if result in NAME_REFUSALS:  # ask for the name again
            await turn.set_dialogue(PEOPLE_FLOW, "name")
            await turn.show(text)
        elif result is RecordRefusal.UNKNOWN_NEIGHBOURHOOD:  # the dialogue stays at this question
            await ask_neighbourhood(turn, PersonNeighbourhood, text)
        else:
            await turn.end_dialogue()
            await turn.show(text)
        return
    await _person_menu(turn, result)  # the dialogue ended with the recording


@router.callback(Person, roles=COORDINATORS)
async def person(turn: MemberTurn, data: Person) -> None:
    await _person_menu(turn, data.member_id)


async def _person_menu(turn: MemberTurn, member_id: int) -> None:
    _ = turn.t
    person = (await turn.services.members.by_id(member_id)
              if await turn.services.members.may_act_for(turn.member.id, member_id) else None)
    if person is None:
        await turn.answer(_.gettext("You can only act for members who have no Telegram of their own."), alert=True)
        return
    summary = await turn.services.transfers.balance_summary(member_id)
    if summary is None:
        await turn.answer(_.gettext("You can only act for members who have no Telegram of their own."), alert=True)
        return
    await turn.show(
        _.gettext("<b>{name}</b> (member number {number})", name=person.display_name, number=member_id) + "\n"
        + _.gettext("Balance: {balance}", balance=_.balance(summary.balance_minutes)),
        keyboard([button(_.gettext("⏱ Log hours for them"), LogFor(member_id))],
                 [button(_.gettext("🎟 Spend for them"), SpendFor(member_id))]))


@router.callback(LogFor, roles=COORDINATORS)
async def log_for(turn: MemberTurn, data: LogFor) -> None:
    person = (await turn.services.members.by_id(data.member_id)
              if await turn.services.members.may_act_for(turn.member.id, data.member_id) else None)
    if person is None:
        await _expired(turn)
        return
    await turn.answer()
    await begin_log(turn, person.id, turn.t.gettext("<b>Log hours for {name}</b>\nWhat did they do?",
                                                    name=person.display_name), for_name=person.display_name)


@router.callback(SpendFor, roles=COORDINATORS)
async def spend_for(turn: MemberTurn, data: SpendFor) -> None:
    _ = turn.t
    if not await turn.services.members.may_act_for(turn.member.id, data.member_id):
        await _expired(turn)
        return
    # A new key for each spending: a dialogue that issued a voucher already is not carried on.
    if data.page == 0 or turn.dialogue is None or turn.dialogue.flow != PEOPLE_FLOW or turn.dialogue.done:
        await turn.set_dialogue(PEOPLE_FLOW, "spend", member_id=data.member_id, key=secrets.token_hex(8))
    items, navigation, _page = paged(await turn.services.spending.directory(), data.page,
                                     lambda page: SpendFor(data.member_id, page))
    rows = [[button(f"{item.name(turn.language)} – {_.credits(item.cost_minutes)}", BuyFor(item.id))]
            for item in items]
    await turn.show(_.gettext("What would they like?"), keyboard(*rows, navigation))


def _their_weekly_limit(t: Translator, *, limit: int, **_params: object) -> str:
    return t.ngettext("A member can have {n} voucher a week for this; they have had theirs.",
                      "A member can have {n} vouchers a week for this; they have had theirs.", limit)


NO_LONGER_ON_OFFER = Say(N_("That is no longer on offer."))
ONLY_WITHOUT_TELEGRAM = Say(N_("You can only act for members who have no Telegram of their own."))
SPEND_FOR_REFUSALS = RefusalTable(RedeemRefusal, {
    RedeemRefusal.INSUFFICIENT_CREDIT: Say(N_("Not enough credits: this costs {cost} and their balance is "
                                              "{balance}.")),
    RedeemRefusal.WEEKLY_LIMIT: _their_weekly_limit,
    RedeemRefusal.NOT_FOUND: NO_LONGER_ON_OFFER,
    RedeemRefusal.INACTIVE: NO_LONGER_ON_OFFER,
    RedeemRefusal.NOT_ALLOWED: ONLY_WITHOUT_TELEGRAM,
    RedeemRefusal.NOT_REGISTERED: ONLY_WITHOUT_TELEGRAM,
})


@router.callback(BuyFor, roles=COORDINATORS, flow=PEOPLE_FLOW, steps={"spend"})
async def buy_for(turn: MemberTurn, data: BuyFor) -> None:
    _ = turn.t
    pending = turn.state.data
    result = await turn.services.spending.redeem_for(turn.member.id, pending["member_id"], data.opportunity_id,
                                                     idempotency_key=f"spend-for:{pending['key']}",
                                                     completion=turn.completion())
    if isinstance(result, IssuedVoucher):  # the dialogue ended with the voucher
        await turn.show(_.gettext("🎟 Voucher <code>{code}</code> for {name}, valid until {date}. Please write the "
                                  "code down for them. Their balance is now {balance}.",
                                  code=format_code(result.code), name=result.opportunity.name(turn.language),
                                  date=_.date(_.local_date(result.expires_at)),
                                  balance=_.balance(result.balance_after_minutes)))
        return
    await turn.answer(SPEND_FOR_REFUSALS.say(_, result.reason, cost=_.credits(result.cost_minutes or 0),
                                             balance=_.balance(result.balance_minutes or 0),
                                             limit=result.weekly_limit or 0), alert=True)


# --------------------------------------------------------------------------- crediting a whole activity


@router.command("groupcredit", roles=COORDINATORS)
async def group_credit(turn: MemberTurn, args: list[str]) -> None:
    _ = turn.t
    await turn.set_dialogue(GROUP_FLOW, "activity", key=secrets.token_hex(8))
    rows = [[button(item.name(turn.language), GroupActivity(item.id))]
            for item in await turn.services.reference.activity_types()]
    await turn.reply(_.gettext("<b>Credit everyone at an activity</b>\nWhich activity?"), keyboard(*rows))


@router.callback(GroupActivity, roles=COORDINATORS, flow=GROUP_FLOW, steps={"activity"})
async def group_activity(turn: MemberTurn, data: GroupActivity) -> None:
    names = await turn.services.reference.names()
    organisations = sorted(turn.member.organisations_with(Role.COORDINATOR))
    await turn.set_dialogue(GROUP_FLOW, "organisation",
                            **{**turn.state.data, "activity_type_id": data.activity_type_id})
    await turn.show(turn.t.gettext("For which organisation?"), keyboard(
        *[[button(names.organisations[org].name(turn.language), GroupOrganisation(org))]
          for org in organisations if org in names.organisations]))


@router.callback(GroupOrganisation, roles=COORDINATORS, flow=GROUP_FLOW, steps={"organisation"})
async def group_organisation(turn: MemberTurn, data: GroupOrganisation) -> None:
    if data.organisation_id not in turn.member.organisations_with(Role.COORDINATOR):
        await _expired(turn)
        return
    await turn.set_dialogue(GROUP_FLOW, "date", **{**turn.state.data, "organisation_id": data.organisation_id})
    await ask_past_day(turn, GroupDay)


@router.callback(GroupDay, roles=COORDINATORS, flow=GROUP_FLOW, steps={"date"})
async def group_date_button(turn: MemberTurn, data: GroupDay) -> None:
    await _group_date(turn, day_from_button(data.day))


@router.step(GROUP_FLOW, "date", roles=COORDINATORS)
async def group_date_typed(turn: MemberTurn, text: str) -> None:
    day = await read_past_day(turn, text)
    if day is not None:
        await _group_date(turn, day)


async def _group_date(turn: MemberTurn, day: date) -> None:
    await turn.set_dialogue(GROUP_FLOW, "minutes", **{**turn.state.data, "worked_on": day.isoformat()})
    await turn.show(turn.t.gettext("How long did each person give? For example 2, 1.5, 1:30 or 90m."))


@router.step(GROUP_FLOW, "minutes", roles=COORDINATORS)
async def group_minutes(turn: MemberTurn, text: str) -> None:
    minutes = parse_duration(text)
    if isinstance(minutes, DurationError):
        await turn.reply(duration_problem(turn.t, minutes))
        return
    await turn.set_dialogue(GROUP_FLOW, "attendees", **{**turn.state.data, "minutes": minutes})
    await turn.reply(turn.t.gettext("Type the member numbers of everyone who came, separated by spaces or commas "
                                    "(for example: 12, 15, 31)."))


@router.step(GROUP_FLOW, "attendees", roles=COORDINATORS)
async def group_attendees(turn: MemberTurn, text: str) -> None:
    _ = turn.t
    parts = [part for part in re.split(r"[\s,;]+", text.strip()) if part]
    numbers = [number(part) for part in parts]
    if not parts or None in numbers:
        await turn.reply(_.gettext("Please type member numbers only, for example: 12, 15, 31."))
        return
    attendees = sorted({value for value in numbers if value is not None})
    await turn.set_dialogue(GROUP_FLOW, "group", **{**turn.state.data, "attendees": attendees})
    await ask_group(turn, 0)


async def ask_group(turn: MemberTurn, page: int) -> None:
    _ = turn.t
    groups, navigation, _page = paged(await turn.services.members.groups(), page, GroupPage)
    rows = [[button(group.display_name, CreditGroup(group.id))] for group in groups]
    rows += [navigation, [button(_.plain("No group"), CreditGroup(0))]]
    await turn.show(_.gettext("Should a group's account be credited too (for a group that ran it)?"), keyboard(*rows))


@router.callback(GroupPage, roles=COORDINATORS, flow=GROUP_FLOW, steps={"group"})
async def group_page(turn: MemberTurn, data: GroupPage) -> None:
    await ask_group(turn, data.page)


@router.callback(CreditGroup, roles=COORDINATORS, flow=GROUP_FLOW, steps={"group"})
async def group_chosen(turn: MemberTurn, data: CreditGroup) -> None:
    _ = turn.t
    state = {**turn.state.data, "group": data.group_member_id or None}
    await turn.set_dialogue(GROUP_FLOW, "confirm", **state)
    await turn.show(_.ngettext("Credit {duration} to each of {n} person?", "Credit {duration} to each of {n} people?",
                               len(state["attendees"]), duration=_.duration(state["minutes"])),
                    keyboard([button(_.gettext("Yes, credit them"), ConfirmGroupCredit()),
                              button(_.gettext("Cancel"), CancelGroupCredit())]))


@router.callback(CancelGroupCredit, roles=COORDINATORS)
async def group_cancelled(turn: MemberTurn, data: CancelGroupCredit) -> None:
    if turn.dialogue is not None and turn.dialogue.flow == GROUP_FLOW:
        await turn.end_dialogue()
    await turn.show(turn.t.gettext("Cancelled."))


START_AGAIN = Say(N_("Sorry, that could not be credited: please check the date and time and start again "
                     "with /groupcredit."))
GROUP_CREDIT_REFUSALS = RefusalTable(GroupCreditRefusal, {
    GroupCreditRefusal.UNKNOWN_ATTENDEE: Say(N_("These member numbers are not registered members: {numbers}. "
                                                "Please type the list again.")),
    GroupCreditRefusal.INCLUDES_COORDINATOR: Say(N_("You can't credit your own hours: leave your number out "
                                                    "and ask another coordinator. Please type the list again.")),
    GroupCreditRefusal.TOO_LONG_FOR_ONE_DAY: Say(N_("This would take these members past 12 hours that day: "
                                                    "{numbers}. Please type the list again.")),
    GroupCreditRefusal.NO_ATTENDEES: Say(N_("Please type member numbers only, for example: 12, 15, 31.")),
    # What the dialogue's own questions and buttons already rule out, or a role lost on
    # the way: nothing to ask again, so the dialogue ends.
    GroupCreditRefusal.NOT_COORDINATOR: START_AGAIN,
    GroupCreditRefusal.UNKNOWN_ORGANISATION: START_AGAIN,
    GroupCreditRefusal.UNKNOWN_ACTIVITY: START_AGAIN,
    GroupCreditRefusal.ZERO: START_AGAIN,
    GroupCreditRefusal.NOTE_TOO_LONG: START_AGAIN,
    GroupCreditRefusal.IN_FUTURE: START_AGAIN,
    GroupCreditRefusal.TOO_OLD: START_AGAIN,
    GroupCreditRefusal.NOT_A_GROUP: START_AGAIN,
})
ATTENDEE_REFUSALS = frozenset({GroupCreditRefusal.UNKNOWN_ATTENDEE, GroupCreditRefusal.INCLUDES_COORDINATOR,
                               GroupCreditRefusal.TOO_LONG_FOR_ONE_DAY, GroupCreditRefusal.NO_ATTENDEES})


@router.callback(ConfirmGroupCredit, roles=COORDINATORS, flow=GROUP_FLOW, steps={"confirm"})
async def group_confirmed(turn: MemberTurn, button_data: ConfirmGroupCredit) -> None:
    _ = turn.t
    data = turn.state.data
    result = await turn.services.group_credit.credit_group_activity(
        turn.member.id, organisation_id=data["organisation_id"], activity_type_id=data["activity_type_id"],
        worked_on=date.fromisoformat(data["worked_on"]), minutes=data["minutes"],
        attendee_member_ids=data["attendees"], group_member_id=data["group"], idempotency_key=f"gc:{data['key']}",
        completion=turn.completion())
    if isinstance(result, GroupCredited):  # the dialogue ended with the crediting
        await turn.show(_.ngettext("Credited {n} account, {duration} in all.",
                                   "Credited {n} accounts, {duration} in all.", len(result.entries),
                                   duration=_.duration(result.total_minutes)))
        return
    text = GROUP_CREDIT_REFUSALS.say(_, result.reason, numbers=", ".join(map(str, result.member_ids)))
    if result.reason in ATTENDEE_REFUSALS:  # the list is asked for again
        await turn.set_dialogue(GROUP_FLOW, "attendees", **data)
        await turn.show(text)
        return
    await turn.end_dialogue()
    await turn.show(text)
