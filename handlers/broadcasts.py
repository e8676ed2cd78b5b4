"""/broadcast and /broadcasts: coordinators and admins write to the volunteers they reach.

The dialogue asks for the message in Welsh, then in English (either may be skipped,
not both), then shows the audience: the filters as toggles (neighbourhoods, activity
types, DBS-cleared only; they combine), a shift to attach, a neighbourhood group to
post in, and the exact number it would reach now. Preview shows the message as a
recipient sees it; Send fixes the recipients (the broadcast service, in one
transaction). The progress message comes through the outbox and is edited by the
worker's `edit_progress` job until it becomes the report; its Stop button withdraws
what has not gone. The dispatcher checks the role at the first press; the service
decides everything else against the database.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.error import BadRequest, RetryAfter, TelegramError
from telegram.ext import ContextTypes

from bot.db.models import Role, ShiftStatus
from bot.delivery.lanes import BULK
from bot.i18n import N_, Markup, Translator, translator
from bot.services import outbox_payloads as payloads
from bot.services.audience import Audience, AudienceCount
from bot.services.broadcasts import TEXT_MAX, BroadcastContent, BroadcastRefusal, BroadcastReport, Draft
from bot.services.container import Services
from bot.services.outbox_payloads import OutboxKind
from bot.services.shift_rules import telegram_length
from handlers.base import MemberTurn, services_of
from handlers.broadcast_buttons import (
    AttachShift,
    BackToAudience,
    CancelBroadcast,
    ChooseShift,
    PreviewBroadcast,
    SendBroadcast,
    SkipLanguage,
    StopBroadcast,
    ToggleActivity,
    ToggleDbs,
    ToggleGroup,
    ToggleNeighbourhood,
)
from handlers.notifications import Rendered, renders
from handlers.refusals import RefusalTable, Say
from handlers.routing import Router
from handlers.shift_buttons import SignUp
from handlers.shifts import card_text, see_button
from handlers.widgets import button, keyboard

log = logging.getLogger(__name__)

FLOW = "broadcast"
SENDERS = {Role.COORDINATOR, Role.ADMIN}
ONLY_SENDERS = N_("Only coordinators and admins can send broadcasts.")
LIST_LENGTH = 10
# Telegram allows one message (an edit counts) a second in a chat; the progress message is
# edited at most this often, and not in the moment after it arrived or after Stop edited it.
PROGRESS_EVERY_S = 2.5

router = Router("broadcasts", expired=N_("That button has expired. Send /broadcast to start again."))
router.menu_item(68, N_("📣 Broadcast"), "broadcast")

REFUSALS = RefusalTable(BroadcastRefusal, {
    BroadcastRefusal.NOT_ALLOWED: Say(ONLY_SENDERS),
    BroadcastRefusal.NOT_YOURS: Say(N_("Only the coordinator who sent it, or an admin, can do that.")),
    BroadcastRefusal.NOT_FOUND: Say(N_("That broadcast no longer exists.")),
    BroadcastRefusal.NO_TEXT: Say(N_("Please write the message in Welsh or English (or both).")),
    BroadcastRefusal.TEXT_TOO_LONG: Say(N_("That is too long for one message: please keep it under 3,000 "
                                           "characters.")),
    BroadcastRefusal.SHIFT_NOT_ALLOWED: Say(N_("That shift can't be attached: it isn't one of your "
                                               "organisations' upcoming shifts.")),
    BroadcastRefusal.GROUP_NOT_ALLOWED: Say(N_("The bot can't post in that neighbourhood's group for you.")),
    BroadcastRefusal.GROUP_POST_TOO_LONG: Say(N_("The Welsh and the English together are too long for one post "
                                                 "in the group: keep them under 3,600 characters together, "
                                                 "or leave the group out.")),
    BroadcastRefusal.NOBODY: Say(N_("Nobody you can reach matches those choices. Change them and try again.")),
})


# --------------------------------------------------------------------------- the dialogue


@router.command("broadcast", roles=SENDERS, refusal=ONLY_SENDERS)
async def broadcast(turn: MemberTurn, args: list[str]) -> None:
    if not await turn.services.broadcasts.may_broadcast(turn.member.id):
        await turn.reply(REFUSALS.say(turn.t, BroadcastRefusal.NOT_ALLOWED))
        return
    await turn.set_dialogue(FLOW, "cy", hoods=[], activities=[], dbs=False, shift=None, group=None)
    await _ask_text(turn, "cy")


async def _ask_text(turn: MemberTurn, language: str) -> None:
    _ = turn.t
    question = (_.gettext("📣 <b>New broadcast</b>. Type the message in Welsh, or press Skip to write it in "
                          "English only.") if language == "cy"
                else _.gettext("Now type it in English, or press Skip to send it in Welsh only. Each volunteer "
                               "gets it in their own language where you wrote it."))
    markup = keyboard([button(_.plain("Skip"), SkipLanguage())], [button(_.plain("Cancel"), CancelBroadcast())])
    await turn.show(question, markup)


@router.step(FLOW, "cy", roles=SENDERS, refusal=ONLY_SENDERS)
async def typed_welsh(turn: MemberTurn, text: str) -> None:
    await _take_text(turn, "cy", text)


@router.step(FLOW, "en", roles=SENDERS, refusal=ONLY_SENDERS)
async def typed_english(turn: MemberTurn, text: str) -> None:
    await _take_text(turn, "en", text)


async def _take_text(turn: MemberTurn, language: str, text: str) -> None:
    text = text.strip()
    if telegram_length(text) > TEXT_MAX:
        await turn.reply(REFUSALS.say(turn.t, BroadcastRefusal.TEXT_TOO_LONG))
        return
    await _after_text(turn, language, text)


@router.callback(SkipLanguage, roles=SENDERS, refusal=ONLY_SENDERS, flow=FLOW, steps=("cy", "en"))
async def skip_language(turn: MemberTurn, data: SkipLanguage) -> None:
    await _after_text(turn, turn.state.step, "")


async def _after_text(turn: MemberTurn, language: str, text: str) -> None:
    data = {**turn.state.data, f"text_{language}": text}
    if language == "cy":
        await turn.set_dialogue(FLOW, "en", **data)
        await _ask_text(turn, "en")
        return
    if not data.get("text_cy") and not data.get("text_en"):
        await turn.set_dialogue(FLOW, "cy", **data)
        await turn.reply(REFUSALS.say(turn.t, BroadcastRefusal.NO_TEXT))
        await _ask_text(turn, "cy")
        return
    await turn.set_dialogue(FLOW, "audience", **data)
    await show_audience(turn)


def draft_of(data: dict[str, Any]) -> Draft:
    return Draft(text_en=str(data.get("text_en") or ""), text_cy=str(data.get("text_cy") or ""),
                 audience=Audience(frozenset(data.get("hoods") or ()), frozenset(data.get("activities") or ()),
                                   bool(data.get("dbs"))),
                 shift_id=data.get("shift"), group_neighbourhood_id=data.get("group"))


def _mark(chosen: bool) -> str:
    return "✅ " if chosen else ""


async def show_audience(turn: MemberTurn, notice: str | None = None) -> None:
    _ = turn.t
    data = turn.state.data
    draft = draft_of(data)
    services = turn.services
    counted = await services.broadcasts.preview(turn.member.id, draft)
    choices = await services.broadcasts.choices(turn.member.id)
    if isinstance(counted, BroadcastRefusal) or isinstance(choices, BroadcastRefusal):
        refusal = counted if isinstance(counted, BroadcastRefusal) else choices
        assert isinstance(refusal, BroadcastRefusal)
        await _refused(turn, refusal)
        return
    neighbourhoods = await services.reference.neighbourhoods()
    activities = await services.reference.activity_types()
    lines: list[str] = [_.gettext("📣 <b>Who should get it?</b> Everyone you can reach: the volunteers of your "
                       "organisations. Narrow it down below; the choices combine.")]
    if notice:
        lines.insert(0, notice)
    lines.append(_reach_line(_, counted))
    rows: list[Sequence[InlineKeyboardButton]] = []
    rows += [[button(_mark(item.id in draft.audience.neighbourhood_ids) + "📍 " + item.name(turn.language),
                     ToggleNeighbourhood(item.id))] for item in neighbourhoods]
    rows += [[button(_mark(item.id in draft.audience.activity_type_ids) + "🏷 " + item.name(turn.language),
                     ToggleActivity(item.id))] for item in activities]
    rows.append([button(_mark(draft.audience.dbs_cleared) + _.plain("🛡 DBS-cleared only"), ToggleDbs())])
    shift_label = _.plain("🗓 Attach a shift")
    if draft.shift_id is not None:
        chosen = next((shift for shift in choices.shifts if shift.shift_id == draft.shift_id), None)
        shift_label = "✅ 🗓 " + (_shift_label(turn, chosen.starts_at, chosen.activity_type_id, activities)
                                 if chosen is not None else _.plain("A shift"))
    rows.append([button(shift_label, ChooseShift())])
    names = {item.id: item.name(turn.language) for item in neighbourhoods}
    rows += [[button(_mark(draft.group_neighbourhood_id == hood) + _.plain("💬 Also post in the {name} group",
                                                                         name=names.get(hood, "?")),
                     ToggleGroup(hood))] for hood in choices.group_neighbourhood_ids]
    rows.append([button(_.plain("👀 Preview"), PreviewBroadcast()), button(_.plain("Cancel"), CancelBroadcast())])
    await turn.show(Markup("\n\n").join(lines), keyboard(*rows))


def _reach_line(t: Translator, counted: AudienceCount) -> str:
    line = t.ngettext("👥 It would go to {n} volunteer now.", "👥 It would go to {n} volunteers now.",
                      counted.recipients)
    if counted.opted_out:
        line += " " + t.ngettext("{n} member has switched broadcasts off and is left out.",
                                 "{n} members have switched broadcasts off and are left out.", counted.opted_out)
    return line


def _shift_label(turn: MemberTurn, starts_at: Any, activity_type_id: int, activities: Sequence[Any]) -> str:
    t = turn.t
    name = next((item.name(turn.language) for item in activities if item.id == activity_type_id), "")
    return f"{t.date(t.local_date(starts_at), 'EEE d MMM')} {t.time(starts_at)} · {name}"[:60]


async def _toggle(turn: MemberTurn, key: str, value: int) -> None:
    data = dict(turn.state.data)
    chosen = set(data.get(key) or ())
    chosen ^= {value}
    data[key] = sorted(chosen)
    await turn.set_dialogue(FLOW, "audience", **data)
    await show_audience(turn)


@router.callback(ToggleNeighbourhood, roles=SENDERS, refusal=ONLY_SENDERS, flow=FLOW, steps=("audience",))
async def toggle_neighbourhood(turn: MemberTurn, data: ToggleNeighbourhood) -> None:
    await _toggle(turn, "hoods", data.neighbourhood_id)


@router.callback(ToggleActivity, roles=SENDERS, refusal=ONLY_SENDERS, flow=FLOW, steps=("audience",))
async def toggle_activity(turn: MemberTurn, data: ToggleActivity) -> None:
    await _toggle(turn, "activities", data.activity_type_id)


@router.callback(ToggleDbs, roles=SENDERS, refusal=ONLY_SENDERS, flow=FLOW, steps=("audience",))
async def toggle_dbs(turn: MemberTurn, data: ToggleDbs) -> None:
    await turn.set_dialogue(FLOW, "audience", **{**turn.state.data, "dbs": not turn.state.data.get("dbs")})
    await show_audience(turn)


@router.callback(ToggleGroup, roles=SENDERS, refusal=ONLY_SENDERS, flow=FLOW, steps=("audience",))
async def toggle_group(turn: MemberTurn, data: ToggleGroup) -> None:
    group = None if turn.state.data.get("group") == data.neighbourhood_id else data.neighbourhood_id
    if group is not None:
        # Said when the group is chosen, not at Preview, and the group is left unchosen.
        counted = await turn.services.broadcasts.preview(turn.member.id, draft_of({**turn.state.data, "group": group}))
        if counted is BroadcastRefusal.GROUP_POST_TOO_LONG:
            await _refused(turn, counted)
            return
    await turn.set_dialogue(FLOW, "audience", **{**turn.state.data, "group": group})
    await show_audience(turn)


@router.callback(ChooseShift, roles=SENDERS, refusal=ONLY_SENDERS, flow=FLOW, steps=("audience",))
async def choose_shift(turn: MemberTurn, data: ChooseShift) -> None:
    _ = turn.t
    choices = await turn.services.broadcasts.choices(turn.member.id)
    if isinstance(choices, BroadcastRefusal):
        await _refused(turn, choices)
        return
    activities = await turn.services.reference.activity_types()
    rows: list[Sequence[InlineKeyboardButton]] = [
        [button(_shift_label(turn, item.starts_at, item.activity_type_id, activities) + f" · {item.venue}"[:40],
                AttachShift(item.shift_id))] for item in choices.shifts]
    rows.append([button(_.plain("No shift"), AttachShift(0)), button(_.plain("◀ Back"), BackToAudience())])
    await turn.set_dialogue(FLOW, "shift", **turn.state.data)
    await turn.show(_.gettext("Which shift should it show, with a Sign up button?") if choices.shifts
                    else _.gettext("Your organisations have no upcoming shifts to attach."), keyboard(*rows))


@router.callback(AttachShift, roles=SENDERS, refusal=ONLY_SENDERS, flow=FLOW, steps=("shift",))
async def attach_shift(turn: MemberTurn, data: AttachShift) -> None:
    await turn.set_dialogue(FLOW, "audience", **{**turn.state.data, "shift": data.shift_id or None})
    await show_audience(turn)


@router.callback(BackToAudience, roles=SENDERS, refusal=ONLY_SENDERS, flow=FLOW, steps=("shift", "preview"))
async def back_to_audience(turn: MemberTurn, data: BackToAudience) -> None:
    await turn.set_dialogue(FLOW, "audience", **turn.state.data)
    await show_audience(turn)


@router.callback(PreviewBroadcast, roles=SENDERS, refusal=ONLY_SENDERS, flow=FLOW, steps=("audience",))
async def preview(turn: MemberTurn, data: PreviewBroadcast) -> None:
    _ = turn.t
    draft = draft_of(turn.state.data)
    counted = await turn.services.broadcasts.preview(turn.member.id, draft)
    if isinstance(counted, BroadcastRefusal):
        await _refused(turn, counted)
        return
    if counted.recipients == 0:
        await turn.answer(REFUSALS.say(_, BroadcastRefusal.NOBODY), alert=True)
        return
    content = BroadcastContent(draft.text_en, draft.text_cy, turn.member.display_name, draft.shift_id)
    shown = await _message(turn.services, _, content, turn.member.id)
    await turn.set_dialogue(FLOW, "preview", **turn.state.data)
    lines = [_.gettext("This is how it will look (Welsh speakers get the Welsh, the others the English):"),
             "───", shown.text, "───", _reach_line(_, counted)]
    await turn.show(Markup("\n\n").join(lines), keyboard(
        [button(_.ngettext("📣 Send it to {n} volunteer", "📣 Send it to {n} volunteers", counted.recipients),
                SendBroadcast())],
        [button(_.plain("◀ Change"), BackToAudience()), button(_.plain("Cancel"), CancelBroadcast())]))


@router.callback(SendBroadcast, roles=SENDERS, refusal=ONLY_SENDERS, flow=FLOW, steps=("preview",))
async def send(turn: MemberTurn, data: SendBroadcast) -> None:
    _ = turn.t
    confirmed = await turn.services.broadcasts.confirm(turn.member.id, draft_of(turn.state.data), turn.completion())
    if isinstance(confirmed, BroadcastRefusal):
        await _refused(turn, confirmed)
        return
    # A notice rather than a new message: the progress message follows at once through the
    # outbox, and Telegram allows one message a second in a chat. The preview stays, without its buttons.
    await turn.answer(_.ngettext("📣 Sending it to {n} volunteer.", "📣 Sending it to {n} volunteers.",
                                 confirmed.recipients))
    pressed = turn.query.message if turn.query is not None else None
    if isinstance(pressed, Message):
        try:
            await pressed.edit_reply_markup(None)
        except BadRequest as error:
            log.info("could not take the buttons off a sent broadcast's preview: %s", error)


@router.callback(CancelBroadcast, roles=SENDERS, refusal=ONLY_SENDERS, flow=FLOW)
async def cancel(turn: MemberTurn, data: CancelBroadcast) -> None:
    await turn.end_dialogue()
    await turn.show(turn.t.gettext("Nothing was sent."))


async def _refused(turn: MemberTurn, refusal: BroadcastRefusal) -> None:
    await turn.refuse(REFUSALS.say(turn.t, refusal))


# --------------------------------------------------------------------------- progress, Stop, reports


def progress_text(t: Translator, report: BroadcastReport) -> Markup:
    done, total = t.number(report.done), t.number(report.recipients)
    if not report.finished:
        if report.stopped:
            return t.gettext("⏹ Stopping: {done} / {total} sent; the rest are withdrawn.", done=done, total=total)
        return t.gettext("📣 Sending your broadcast: {done} / {total} sent.", done=done, total=total)
    title = (t.gettext("⏹ <b>Broadcast stopped</b>: {done} / {total} sent.", done=done, total=total)
             if report.stopped else t.gettext("✅ <b>Broadcast sent</b>: {done} / {total}.", done=done, total=total))
    return Markup("\n").join([title, figures(t, report)])


def figures(t: Translator, report: BroadcastReport) -> Markup:
    lines = [t.gettext("Delivered: {n}", n=t.number(report.delivered)),
             t.gettext("Unreachable (blocked the bot): {n}", n=t.number(report.unreachable)),
             t.gettext("Switched broadcasts off: {n}", n=t.number(report.opted_out)),
             t.gettext("Failed: {n}", n=t.number(report.failed))]
    if report.withdrawn:
        lines.append(t.gettext("Withdrawn by Stop: {n}", n=t.number(report.withdrawn)))
    if report.group_posted is not None:
        lines.append(t.gettext("💬 Posted in the group.") if report.group_posted
                     else t.gettext("💬 Not posted in the group (yet)."))
    return Markup("\n").join(lines)


def progress_keyboard(t: Translator, report: BroadcastReport) -> InlineKeyboardMarkup | None:
    if report.finished or report.stopped:
        return None
    return keyboard([button(t.plain("⏹ Stop"), StopBroadcast(report.broadcast_id))])


@router.callback(StopBroadcast, roles=SENDERS, refusal=ONLY_SENDERS)
async def stop(turn: MemberTurn, data: StopBroadcast) -> None:
    report = await turn.services.broadcasts.stop(turn.member.id, data.broadcast_id)
    if isinstance(report, BroadcastRefusal):
        await _refused(turn, report)
        return
    await turn.answer(turn.t.gettext("Stopped: nothing more will be sent."))
    await turn.show(progress_text(turn.t, report), progress_keyboard(turn.t, report))
    _last_edits(turn.context)[report.broadcast_id] = time.monotonic()


async def _paced(context: ContextTypes.DEFAULT_TYPE, chat_id: int) -> dict[str, str] | None:
    """A slot in the delivery's timetable for an edit the worker makes while the broadcast
    itself is going out at full pace: it waits its turn like one more bulk message (and
    then passes the rate limiter as one), rather than squeezing into a second already full."""
    dispatcher = context.application.bot_data.get("dispatcher")
    if dispatcher is None:
        return None
    pacer = dispatcher.pacer
    while True:
        now = time.monotonic()
        at = pacer.earliest(chat_id, now)
        if at <= now:
            pacer.take(chat_id, now, slot=at)
            return BULK
        await asyncio.sleep(at - now)


def _last_edits(context: ContextTypes.DEFAULT_TYPE) -> dict[int, float]:
    """When this process last changed each progress message (a pace, not a record: the
    database says what it shows)."""
    edits: dict[int, float] = context.application.bot_data.setdefault("broadcast_progress_edits", {})
    return edits


@router.command("broadcasts", roles=SENDERS, refusal=ONLY_SENDERS)
async def broadcasts(turn: MemberTurn, args: list[str]) -> None:
    _ = turn.t
    history = await turn.services.broadcasts.history(turn.member.id, limit=LIST_LENGTH)
    if isinstance(history, BroadcastRefusal):
        await turn.reply(REFUSALS.say(_, history))
        return
    if not history:
        await turn.reply(_.gettext("No broadcasts yet. Send /broadcast to write one."))
        return
    lines = [_.ngettext("<b>The last {n} broadcast</b>", "<b>The last {n} broadcasts</b>", len(history))]
    for report in history:
        text = report.text_cy if turn.language == "cy" and report.text_cy else report.text_en or report.text_cy
        summary = text if len(text) <= 60 else text[:59] + "…"
        lines.append(Markup("\n").join([
            Markup("<b>{when}</b> · {summary}").format(when=_.datetime(report.created_at, opens_line=True),
                                                       summary=summary),
            progress_text(_, report) if not report.finished else figures(_, report)]))
    await turn.reply(Markup("\n\n").join(lines))


async def edit_progress(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The worker's job (leader only): each progress message that says less than has
    happened is edited; the last edit turns it into the report. At most one edit per
    broadcast each time it runs (every few seconds)."""
    services = services_of(context)
    edits = _last_edits(context)
    for due in await services.broadcasts.progress_due():
        now = time.monotonic()
        last = edits.setdefault(due.report.broadcast_id, now)  # first seen: it has only just arrived
        if now - last < PROGRESS_EVERY_S:
            continue
        t = translator(due.language, services.config.tz, services.config.scheme.default_language)
        try:
            bot: Any = context.bot  # typed for the default rate limiter, which takes no arguments
            await bot.edit_message_text(progress_text(t, due.report), chat_id=due.chat_id, message_id=due.message_id,
                                        reply_markup=progress_keyboard(t, due.report),
                                        rate_limit_args=await _paced(context, due.chat_id))
        except RetryAfter:
            continue  # shown next time
        except BadRequest as error:  # unchanged, or deleted by its author: nothing more to show there
            if "not modified" not in str(error).lower():
                log.info("could not edit the progress of broadcast %s: %s", due.report.broadcast_id, error)
        except TelegramError as error:
            log.info("could not edit the progress of broadcast %s: %s", due.report.broadcast_id, error)
            continue
        finally:
            edits[due.report.broadcast_id] = time.monotonic()
        await services.broadcasts.progress_shown(due.report.broadcast_id, due.report)
        if due.report.finished:
            edits.pop(due.report.broadcast_id, None)


# --------------------------------------------------------------------------- what is sent


async def _message(services: Services, t: Translator, content: BroadcastContent, member_id: int) -> Rendered:
    """A recipient's message: the author's words in their language (or the other, marked),
    and the attached shift's card with a Sign up button while it is open to them."""
    text = t.gettext("📣 <b>{name}</b>:", name=content.author_name) + Markup("\n\n") + t.pick(content.text_en,
                                                                                          content.text_cy)
    if content.shift_id is None:
        return Rendered(text)
    card = await services.shifts.shift_card(content.shift_id, member_id=member_id)
    if card is None or card.status is not ShiftStatus.OPEN:
        return Rendered(text)
    buttons = [see_button(t, card)]
    if card.my_status is None:
        buttons.insert(0, button(t.plain("✋ Sign up"), SignUp(card.shift_id)))
    return Rendered(text + Markup("\n\n") + card_text(t, card, None), keyboard(buttons))


@renders(OutboxKind.BROADCAST)
async def render_broadcast(services: Services, t: Translator, payload: payloads.BroadcastMessage,
                           member_id: int) -> Rendered | None:
    content = await services.broadcasts.content(payload.broadcast_id, member_id)
    return None if content is None else await _message(services, t, content, member_id)


@renders(OutboxKind.BROADCAST_GROUP_POST)
async def render_group_post(services: Services, t: Translator, payload: payloads.BroadcastGroupPost,
                            member_id: int) -> Rendered | None:
    """In a group everyone reads one message: the Welsh and the English, and the shift's
    link (a button there would be pressed by people who are not members yet)."""
    content = await services.broadcasts.content(payload.broadcast_id, None)
    if content is None:
        return None
    parts = [Markup("📣 ") + Markup.escape(text) for text in (content.text_cy, content.text_en) if text]
    if content.shift_id is not None and services.config.telegram.bot_username:
        link = f"https://t.me/{services.config.telegram.bot_username}?start=shift_{content.shift_id}"
        welsh, english = (translator(language, services.config.tz) for language in ("cy", "en"))
        parts.append(Markup(" / ").join([welsh.gettext("Sign up: {link}", link=link),
                                         english.gettext("Sign up: {link}", link=link)]))
    return Rendered(Markup("\n\n").join(parts))


@renders(OutboxKind.BROADCAST_PROGRESS)
async def render_progress(services: Services, t: Translator, payload: payloads.BroadcastProgress,
                          member_id: int) -> Rendered | None:
    report = await services.broadcasts.progress_report(payload.broadcast_id)
    return None if report is None else Rendered(progress_text(t, report), progress_keyboard(t, report))
