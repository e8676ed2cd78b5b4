"""/summary: TSO staff's weekly figures on demand (this week so far, last week, or an
earlier week), for the scopes their role covers (admins: any), with the CSV, .xlsx and
PNG attached on request; and the rendering of the weekly push.

Every button names a scope and a week; whether the member may see that scope is asked
of the service at each press, never taken from the button.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.db.models import Role
from bot.i18n import N_, Markup, Translator, translator
from bot.reports.files import Format, file_name, render
from bot.reports.text import scope_name, summary_messages
from bot.services.container import Services
from bot.services.outbox_payloads import OutboxKind, WeeklySummary
from bot.services.summary.model import Scope, ScopeKind
from bot.services.summary.service import OnDemand
from bot.services.summary.weeks import BadWeek, IsoWeek
from handlers.base import MemberTurn
from handlers.callback_data import CallbackData
from handlers.notifications import Rendered, renders
from handlers.routing import Router
from handlers.widgets import button, keyboard

ONLY_STAFF = N_("Only TSO staff can see the weekly summaries.")
STAFF = {Role.STAFF, Role.ADMIN}
EARLIER_WEEKS = 12

router = Router("summaries")
router.menu_item(78, N_("📊 Weekly summary"), "summary")

Kind = Literal["s", "o", "n"]
KINDS: dict[Kind, ScopeKind] = {"s": ScopeKind.SCHEME, "o": ScopeKind.ORGANISATION, "n": ScopeKind.NEIGHBOURHOOD}
CODES: dict[ScopeKind, Kind] = {kind: code for code, kind in KINDS.items()}
FORMATS: dict[Literal["c", "x", "p"], Format] = {"c": Format.CSV, "x": Format.XLSX, "p": Format.PNG}


@dataclass(frozen=True)
class PickScope(CallbackData, prefix="sum-s"):
    kind: Kind
    scope_id: int


@dataclass(frozen=True)
class EarlierWeeks(CallbackData, prefix="sum-e"):
    kind: Kind
    scope_id: int


@dataclass(frozen=True)
class ShowWeek(CallbackData, prefix="sum-w"):
    kind: Kind
    scope_id: int
    year: int
    week: int


@dataclass(frozen=True)
class Attach(CallbackData, prefix="sum-f"):
    kind: Kind
    scope_id: int
    year: int
    week: int
    format: Literal["c", "x", "p"]


def _scope_fields(scope: Scope) -> tuple[Kind, int]:
    return CODES[scope.kind], scope.id or 0


async def _allowed(turn: MemberTurn, kind: Kind, scope_id: int) -> Scope | None:
    """The scope, if this member may see it now (asked of the database at every press)."""
    for scope in await turn.services.summaries.scopes_for(turn.member.id):
        if _scope_fields(scope) == (kind, scope_id):
            return scope
    return None


@router.command("summary", roles=STAFF, refusal=ONLY_STAFF)
async def summary(turn: MemberTurn, args: list[str]) -> None:
    _ = turn.t
    scopes = await turn.services.summaries.scopes_for(turn.member.id)
    if not scopes:
        await turn.reply(_.gettext("You are not staff of an organisation, so there is no summary to show."))
        return
    week: IsoWeek | None = None
    if args:
        try:
            week = IsoWeek.parse(args[0])
        except BadWeek:
            await turn.reply(_.gettext("Please write the week like this: /summary 2026-W48"))
            return
    if len(scopes) == 1:
        if week is not None:
            await _send(turn, scopes[0], week)
        else:
            await _weeks(turn, scopes[0])
        return
    rows = [[button(scope_name(_, scope).unescape(), PickScope(*_scope_fields(scope)))] for scope in scopes]
    if week is not None:
        rows = [[button(scope_name(_, scope).unescape(), ShowWeek(*_scope_fields(scope), week.year, week.week))]
                for scope in scopes]
    await turn.reply(_.gettext("<b>Weekly summary</b>\nWhich one?"), keyboard(*rows))


@router.callback(PickScope, roles=STAFF, refusal=ONLY_STAFF)
async def pick_scope(turn: MemberTurn, data: PickScope) -> None:
    scope = await _allowed(turn, data.kind, data.scope_id)
    if scope is None:
        await turn.answer(turn.t.gettext(ONLY_STAFF), alert=True)
        return
    await _weeks(turn, scope)


async def _weeks(turn: MemberTurn, scope: Scope) -> None:
    _ = turn.t
    this = turn.services.summaries.current_week()
    kind, scope_id = _scope_fields(scope)
    await turn.show(_.gettext("<b>Weekly summary: {scope}</b>\nWhich week?", scope=scope_name(_, scope)), keyboard(
        [button(_.plain("This week so far"), ShowWeek(kind, scope_id, this.year, this.week))],
        [button(_.plain("Last week"), ShowWeek(kind, scope_id, this.shifted(-1).year, this.shifted(-1).week))],
        [button(_.plain("An earlier week"), EarlierWeeks(kind, scope_id))]))


@router.callback(EarlierWeeks, roles=STAFF, refusal=ONLY_STAFF)
async def earlier_weeks(turn: MemberTurn, data: EarlierWeeks) -> None:
    _ = turn.t
    scope = await _allowed(turn, data.kind, data.scope_id)
    if scope is None:
        await turn.answer(_.gettext(ONLY_STAFF), alert=True)
        return
    this = turn.services.summaries.current_week()
    weeks = [this.shifted(-offset) for offset in range(2, 2 + EARLIER_WEEKS)]
    rows = [[button(_.plain("Week {number}: {monday} to {sunday}", number=_.number(week.week),
                            monday=_.date(week.monday, "d MMM"), sunday=_.date(week.sunday, "d MMM yyyy")),
                    ShowWeek(data.kind, data.scope_id, week.year, week.week))] for week in weeks]
    await turn.show(_.gettext("<b>Weekly summary: {scope}</b>\nWhich week? (Or send /summary 2026-W48 for any "
                              "week.)", scope=scope_name(_, scope)), keyboard(*rows))


def _week_of(year: int, number: int) -> IsoWeek | None:
    try:
        return IsoWeek(year, number)
    except BadWeek:
        return None


@router.callback(ShowWeek, roles=STAFF, refusal=ONLY_STAFF)
async def show_week(turn: MemberTurn, data: ShowWeek) -> None:
    scope = await _allowed(turn, data.kind, data.scope_id)
    week = _week_of(data.year, data.week)
    if scope is None or week is None:
        await turn.answer(turn.t.gettext(ONLY_STAFF) if scope is None else None, alert=scope is None)
        return
    await turn.answer()
    await _send(turn, scope, week)


def attachment_buttons(t: Translator, scope: Scope, week: IsoWeek) -> InlineKeyboardMarkup:
    kind, scope_id = _scope_fields(scope)
    labels = {"c": t.plain("📄 CSV file"), "x": t.plain("📗 Spreadsheet (.xlsx)"), "p": t.plain("📈 Chart (PNG)")}
    row: list[InlineKeyboardButton] = [button(labels[code], Attach(kind, scope_id, week.year, week.week, code))
                                       for code in FORMATS]
    return keyboard(row)


def _note(t: Translator, shown: OnDemand) -> Markup | None:
    if shown.sent is None:
        return None
    note = t.gettext("<i>As it was sent on {date}.</i>", date=t.datetime(shown.sent.created_at))
    if shown.recomputed_differs:
        note += Markup("\n") + t.gettext("⚠️ Worked out again now, the figures differ from what was sent (hours "
                                         "approved or corrected since).")
    return note


async def _send(turn: MemberTurn, scope: Scope, week: IsoWeek) -> None:
    shown = await turn.services.summaries.on_demand(scope, week)
    messages = summary_messages(turn.t, shown.summary, note=_note(turn.t, shown))
    for index, message in enumerate(messages):
        last = index == len(messages) - 1
        await turn.reply(message, attachment_buttons(turn.t, scope, week) if last else None)


@router.callback(Attach, roles=STAFF, refusal=ONLY_STAFF)
async def attach(turn: MemberTurn, data: Attach) -> None:
    _ = turn.t
    scope = await _allowed(turn, data.kind, data.scope_id)
    week = _week_of(data.year, data.week)
    if scope is None or week is None:
        await turn.answer(_.gettext(ONLY_STAFF) if scope is None else None, alert=scope is None)
        return
    await turn.answer()
    shown = await turn.services.summaries.on_demand(scope, week)
    format_ = FORMATS[data.format]
    await turn.context.bot.send_document(
        turn.chat_id, document=render(_, shown.summary, format_), filename=file_name(_, shown.summary, format_),
        caption=_.gettext("Weekly summary: {scope}, week {week}", scope=scope_name(_, scope), week=str(week)))


@renders(OutboxKind.WEEKLY_SUMMARY)
async def render_weekly_summary(services: Services, t: Translator, payload: WeeklySummary,
                                member_id: int) -> Rendered | None:
    """One part of a summary as it was stored, in the language it was counted in."""
    snapshot = await services.summaries.snapshot(payload.snapshot_id)
    if snapshot is None:
        return None
    reader = translator(payload.language, services.config.tz, services.config.scheme.default_language)
    messages = summary_messages(reader, snapshot.summary)
    if payload.part >= len(messages):
        return None
    last = payload.part == len(messages) - 1
    return Rendered(messages[payload.part],
                    attachment_buttons(reader, snapshot.summary.scope, snapshot.summary.week) if last else None)

