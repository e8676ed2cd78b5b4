"""What coordinators do for others: /people (members without Telegram, whose hours and
spending they record) and /groupcredit (crediting everyone at one activity at once).
"""

from __future__ import annotations

import re
import secrets
from datetime import date

from bot.db.models import Role
from bot.i18n import N_
from bot.parsing.durations import DurationError, parse_duration
from bot.services import reference
from bot.services.group_credit import GroupCredited, GroupCreditRefusal
from bot.services.people import RecordRefusal
from bot.services.spending import IssuedVoucher, RedeemRefusal, format_code
from handlers.base import Turn, button, callback, command, keyboard, number, paged, step
from handlers.hours import ask_past_day, begin_log, day_from_button, duration_problem, read_past_day
from handlers.menu import menu_item
from handlers.registration import ask_neighbourhood

PEOPLE_FLOW = "people"
GROUP_FLOW = "groupcredit"

menu_item(65, N_("👥 People without Telegram"), "people", Role.COORDINATOR)


async def _refuse_unless_coordinator(turn: Turn) -> bool:
    if turn.member.has_role(Role.COORDINATOR):
        return False
    await turn.reply(turn.t.gettext("Only coordinators can do that."))
    return True


async def _expired(turn: Turn) -> None:
    await turn.answer(turn.t.gettext("That button has expired."), alert=True)


# --------------------------------------------------------------------------- members without Telegram


@command("people")
async def people(turn: Turn, args: list[str]) -> None:
    _ = turn.t
    if await _refuse_unless_coordinator(turn):
        return
    await show_people(turn, 0)


async def show_people(turn: Turn, page: int) -> None:
    _ = turn.t
    people_, navigation = paged(await turn.services.members.recorded_members(turn.member.id), page, "ppl-pg")
    rows = [[button(person.display_name, "ppl", person.id)] for person in people_]
    rows += [navigation, [button(_.plain("➕ Add someone"), "ppl-add")]]
    await turn.show(_.gettext("<b>Members without Telegram</b>\nYou log hours and spend credits for them. "
                              "Choose someone, or add a person."), keyboard(*rows))


@callback("ppl-pg")
async def people_page(turn: Turn, args: list[str]) -> None:
    await show_people(turn, number(args[0]) or 0 if args else 0)


@callback("ppl-add")
async def add_person(turn: Turn, args: list[str]) -> None:
    await turn.set_dialogue(PEOPLE_FLOW, "name")
    await turn.show(turn.t.gettext("What is their name?"))


@step(PEOPLE_FLOW, "name")
async def typed_name(turn: Turn, text: str) -> None:
    await turn.set_dialogue(PEOPLE_FLOW, "neighbourhood", name=text)
    await ask_neighbourhood(turn, "ppl-hood", turn.t.gettext("Which neighbourhood do they live in?"))


@callback("ppl-hood")
async def chose_neighbourhood(turn: Turn, args: list[str]) -> None:
    _ = turn.t
    if turn.dialogue is None or (turn.dialogue.flow, turn.dialogue.step) != (PEOPLE_FLOW, "neighbourhood") or not args:
        await _expired(turn)
        return
    result = await turn.services.people.record_member_without_telegram(
        turn.member.id, display_name=turn.dialogue.data["name"],
        neighbourhood_id=number(args[0]) if number(args[0]) is not None else None)
    if isinstance(result, RecordRefusal):
        problems = {
            RecordRefusal.NAME_EMPTY: _.gettext("Please type the name you would like us to use, in plain letters."),
            RecordRefusal.NAME_NOT_TEXT: _.gettext("Please type the name you would like us to use, in plain letters."),
            RecordRefusal.NAME_TOO_LONG: _.gettext("That name is a little long: please use 64 characters or fewer."),
        }
        if result in problems:  # ask for the name again
            await turn.set_dialogue(PEOPLE_FLOW, "name")
            await turn.show(problems[result])
        elif result is RecordRefusal.UNKNOWN_NEIGHBOURHOOD:  # the dialogue stays at this question
            await ask_neighbourhood(turn, "ppl-hood",
                                    _.gettext("That neighbourhood no longer exists. Please choose again."))
        else:
            await turn.end_dialogue()
            await turn.show(_.gettext("Only coordinators can do that."))
        return
    await turn.end_dialogue()
    await _person_menu(turn, result)


@callback("ppl")
async def person(turn: Turn, args: list[str]) -> None:
    if not args or number(args[0]) is None:
        await _expired(turn)
        return
    await _person_menu(turn, number(args[0]))


async def _person_menu(turn: Turn, member_id: int) -> None:
    _ = turn.t
    if not await turn.services.members.may_act_for(turn.member.id, member_id):
        await turn.answer(_.gettext("You can only act for members who have no Telegram of their own."), alert=True)
        return
    person = await turn.services.members.by_id(member_id)
    summary = await turn.services.transfers.balance_summary(member_id)
    await turn.show(
        _.gettext("<b>{name}</b> (member number {number})", name=person.display_name, number=member_id) + "\n"
        + _.gettext("Balance: {balance}", balance=_.credits(summary.balance_minutes)),
        keyboard([button(_.gettext("⏱ Log hours for them"), "ppl-log", member_id)],
                 [button(_.gettext("🎟 Spend for them"), "ppl-spend", member_id)]))


@callback("ppl-log")
async def log_for(turn: Turn, args: list[str]) -> None:
    if not args or number(args[0]) is None or not await turn.services.members.may_act_for(turn.member.id, number(args[0])):
        await _expired(turn)
        return
    person = await turn.services.members.by_id(number(args[0]))
    await turn.answer()
    await begin_log(turn, person.id, turn.t.gettext("<b>Log hours for {name}</b>\nWhat did they do?",
                                                    name=person.display_name))


@callback("ppl-spend")
async def spend_for(turn: Turn, args: list[str]) -> None:
    _ = turn.t
    if not args or number(args[0]) is None or not await turn.services.members.may_act_for(turn.member.id, number(args[0])):
        await _expired(turn)
        return
    member_id = number(args[0])
    page = number(args[1]) or 0 if len(args) > 1 else 0
    if page == 0 or turn.dialogue is None or turn.dialogue.flow != PEOPLE_FLOW:
        await turn.set_dialogue(PEOPLE_FLOW, "spend", member_id=member_id, key=secrets.token_hex(8))
    items, navigation = paged(await turn.services.spending.directory(), page, "ppl-spend", member_id)
    rows = [[button(f"{item.name(turn.language)} – {_.credits(item.cost_minutes)}", "ppl-buy", item.id)]
            for item in items]
    await turn.show(_.gettext("What would they like?"), keyboard(*rows, navigation))


@callback("ppl-buy")
async def buy_for(turn: Turn, args: list[str]) -> None:
    _ = turn.t
    pending = turn.dialogue.data if turn.dialogue and turn.dialogue.flow == PEOPLE_FLOW else None
    if pending is None or turn.dialogue.step != "spend" or not args or number(args[0]) is None:
        await _expired(turn)
        return
    result = await turn.services.spending.redeem_for(turn.member.id, pending["member_id"], number(args[0]),
                                                     idempotency_key=f"spend-for:{pending['key']}")
    if isinstance(result, IssuedVoucher):
        await turn.end_dialogue()
        await turn.show(_.gettext("🎟 Voucher <code>{code}</code> for {name}, valid until {date}. Please write the "
                                  "code down for them. Their balance is now {balance}.",
                                  code=format_code(result.code), name=result.opportunity.name(turn.language),
                                  date=_.date(_.local_date(result.expires_at)),
                                  balance=_.credits(result.balance_after_minutes)))
        return
    if result.reason is RedeemRefusal.INSUFFICIENT_CREDIT:
        await turn.answer(_.gettext("Not enough credits: this costs {cost} and their balance is {balance}.",
                                    cost=_.credits(result.cost_minutes or 0),
                                    balance=_.credits(result.balance_minutes or 0)), alert=True)
    elif result.reason is RedeemRefusal.WEEKLY_LIMIT:
        limit = result.weekly_limit or 0
        await turn.answer(_.ngettext("A member can have {n} voucher a week for this; they have had theirs.",
                                     "A member can have {n} vouchers a week for this; they have had theirs.",
                                     limit), alert=True)
    else:
        await turn.answer(_.gettext("That is no longer on offer."), alert=True)


# --------------------------------------------------------------------------- crediting a whole activity


@command("groupcredit")
async def group_credit(turn: Turn, args: list[str]) -> None:
    _ = turn.t
    if await _refuse_unless_coordinator(turn):
        return
    await turn.set_dialogue(GROUP_FLOW, "activity", key=secrets.token_hex(8))
    rows = [[button(item.name(turn.language), "gc-act", item.id)]
            for item in await reference.activity_types(turn.services.db)]
    await turn.reply(_.gettext("<b>Credit everyone at an activity</b>\nWhich activity?"), keyboard(*rows))


def _in_group(turn: Turn, name: str) -> bool:
    return turn.dialogue is not None and (turn.dialogue.flow, turn.dialogue.step) == (GROUP_FLOW, name)


@callback("gc-act")
async def group_activity(turn: Turn, args: list[str]) -> None:
    if not _in_group(turn, "activity") or not args or number(args[0]) is None:
        await _expired(turn)
        return
    names = await reference.by_id(turn.services.db)
    organisations = sorted(turn.member.organisations_with(Role.COORDINATOR))
    await turn.set_dialogue(GROUP_FLOW, "organisation", **{**turn.dialogue.data, "activity_type_id": number(args[0])})
    await turn.show(turn.t.gettext("For which organisation?"), keyboard(
        *[[button(names.organisations[org].name(turn.language), "gc-org", org)] for org in organisations]))


@callback("gc-org")
async def group_organisation(turn: Turn, args: list[str]) -> None:
    if not _in_group(turn, "organisation") or not args or number(args[0]) is None:
        await _expired(turn)
        return
    await turn.set_dialogue(GROUP_FLOW, "date", **{**turn.dialogue.data, "organisation_id": number(args[0])})
    await ask_past_day(turn, "gc-date")


@callback("gc-date")
async def group_date_button(turn: Turn, args: list[str]) -> None:
    day = day_from_button(turn, args)
    if not _in_group(turn, "date") or day is None:
        await _expired(turn)
        return
    await _group_date(turn, day)


@step(GROUP_FLOW, "date")
async def group_date_typed(turn: Turn, text: str) -> None:
    day = await read_past_day(turn, text)
    if day is not None:
        await _group_date(turn, day)


async def _group_date(turn: Turn, day: date) -> None:
    await turn.set_dialogue(GROUP_FLOW, "minutes", **{**turn.dialogue.data, "worked_on": day.isoformat()})
    await turn.show(turn.t.gettext("How long did each person give? For example 2, 1.5, 1:30 or 90m."))


@step(GROUP_FLOW, "minutes")
async def group_minutes(turn: Turn, text: str) -> None:
    minutes = parse_duration(text)
    if isinstance(minutes, DurationError):
        await turn.reply(duration_problem(turn, minutes))
        return
    await turn.set_dialogue(GROUP_FLOW, "attendees", **{**turn.dialogue.data, "minutes": minutes})
    await turn.reply(turn.t.gettext("Type the member numbers of everyone who came, separated by spaces or commas "
                                    "(for example: 12, 15, 31)."))


@step(GROUP_FLOW, "attendees")
async def group_attendees(turn: Turn, text: str) -> None:
    _ = turn.t
    parts = [part for part in re.split(r"[\s,;]+", text.strip()) if part]
    if not parts or any(number(part) is None for part in parts):
        await turn.reply(_.gettext("Please type member numbers only, for example: 12, 15, 31."))
        return
    attendees = sorted({number(part) for part in parts})
    await turn.set_dialogue(GROUP_FLOW, "group", **{**turn.dialogue.data, "attendees": attendees})
    await ask_group(turn, 0)


async def ask_group(turn: Turn, page: int) -> None:
    _ = turn.t
    groups, navigation = paged(await turn.services.members.groups(), page, "gc-pg")
    rows = [[button(group.display_name, "gc-grp", group.id)] for group in groups]
    rows += [navigation, [button(_.plain("No group"), "gc-grp", 0)]]
    await turn.show(_.gettext("Should a group's account be credited too (for a group that ran it)?"), keyboard(*rows))


@callback("gc-pg")
async def group_page(turn: Turn, args: list[str]) -> None:
    if not _in_group(turn, "group"):
        await _expired(turn)
        return
    await ask_group(turn, number(args[0]) or 0 if args else 0)


@callback("gc-grp")
async def group_chosen(turn: Turn, args: list[str]) -> None:
    _ = turn.t
    if not _in_group(turn, "group") or not args or number(args[0]) is None:
        await _expired(turn)
        return
    data = {**turn.dialogue.data, "group": number(args[0]) or None}
    await turn.set_dialogue(GROUP_FLOW, "confirm", **data)
    await turn.show(_.ngettext("Credit {duration} to each of {n} person?", "Credit {duration} to each of {n} people?",
                               len(data["attendees"]), duration=_.duration(data["minutes"])),
                    keyboard([button(_.gettext("Yes, credit them"), "gc-ok"), button(_.gettext("Cancel"), "gc-no")]))


@callback("gc-no")
async def group_cancelled(turn: Turn, args: list[str]) -> None:
    if turn.dialogue is not None and turn.dialogue.flow == GROUP_FLOW:
        await turn.end_dialogue()
    await turn.show(turn.t.gettext("Cancelled."))


@callback("gc-ok")
async def group_confirmed(turn: Turn, args: list[str]) -> None:
    _ = turn.t
    if not _in_group(turn, "confirm"):
        await _expired(turn)
        return
    data = turn.dialogue.data
    result = await turn.services.group_credit.credit_group_activity(
        turn.member.id, organisation_id=data["organisation_id"], activity_type_id=data["activity_type_id"],
        worked_on=date.fromisoformat(data["worked_on"]), minutes=data["minutes"],
        attendee_member_ids=data["attendees"], group_member_id=data["group"], idempotency_key=f"gc:{data['key']}")
    if isinstance(result, GroupCredited):
        await turn.end_dialogue()
        await turn.show(_.ngettext("Credited {n} account, {duration} in all.", "Credited {n} accounts, {duration} in all.",
                                   len(result.entries), duration=_.duration(result.total_minutes)))
        return
    numbers = ", ".join(str(member_id) for member_id in result.member_ids)
    problems = {
        GroupCreditRefusal.UNKNOWN_ATTENDEE: _.gettext("These member numbers are not registered members: {numbers}. "
                                                       "Please type the list again.", numbers=numbers),
        GroupCreditRefusal.INCLUDES_COORDINATOR: _.gettext("You can't credit your own hours: leave your number out "
                                                           "and ask another coordinator. Please type the list again."),
        GroupCreditRefusal.TOO_LONG_FOR_ONE_DAY: _.gettext("This would take these members past 12 hours that day: "
                                                           "{numbers}. Please type the list again.", numbers=numbers),
        GroupCreditRefusal.NO_ATTENDEES: _.gettext("Please type member numbers only, for example: 12, 15, 31."),
    }
    if result.reason in problems:
        await turn.set_dialogue(GROUP_FLOW, "attendees", **data)
        await turn.show(problems[result.reason])
        return
    await turn.end_dialogue()
    await turn.show(_.gettext("Sorry, that could not be credited: please check the date and time and start again "
                              "with /groupcredit."))
