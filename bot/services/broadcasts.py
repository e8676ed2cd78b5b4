"""Broadcasts: a coordinator (or an admin) writes to the volunteers their role lets them
reach, in Welsh and/or English, optionally with a shift attached and a post in a
neighbourhood's Telegram group.

The recipients are fixed when the author confirms: in that one transaction the
`broadcast` row, one outbox row per recipient (made by one INSERT ... SELECT from the
audience query, each with its dedupe key), the group post and the author's progress
message are written, and the dialogue is ended. The delivery engine sends them at its
pace; the progress message (its Telegram id recorded by the outbox) is edited by a
leader-only job as they go (`progress_due`), and into the final report once none is
left. Stop withdraws every row not yet gone; a row already in the dispatcher's hand
is rendered as nothing (`content` says the broadcast was stopped). A member who
switched broadcasts off is never sent one: they are left out at confirmation, and
`content` checks again at sending.

Which member may do what is decided here against the database: who may broadcast,
whom they reach (bot/services/audience.py), which shift they may attach, which group
they may post in, who may stop a broadcast or read its report.
"""

from __future__ import annotations

import asyncio
import enum
import json
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import JSON, Integer, String, cast, false, func, insert, literal, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config import Config
from bot.db.broadcast_models import Broadcast
from bot.db.member_settings_models import MemberSettings
from bot.db.models import Member, Neighbourhood, OutboxMessage, OutboxStatus, Shift, ShiftStatus
from bot.db.session import Database
from bot.services import outbox
from bot.services.audience import Audience, AudienceCount, AudienceQuery, Reach, count_audience, reach_of
from bot.services.dialogue_completion import DialogueCompletion, complete, finished_outcome
from bot.services.outbox_payloads import BroadcastGroupPost, BroadcastMessage, BroadcastProgress, OutboxKind
from bot.services.shift_rules import telegram_length

# In UTF-16 units, as Telegram counts (an emoji is two): room for the shift's card within 4,096.
TEXT_MAX = 3000
# A group post carries both languages in one message, with the sign-up links.
GROUP_POST_TEXT_MAX = 3600
CONTENT_FRESH_S = 0.5  # what a recipient's message says is read again this often while it goes out
CONTENT_FORGOTTEN_S = 600.0
# A progress message whose author never received it is not looked at for ever.
PROGRESS_GIVEN_UP_AFTER = timedelta(days=1)
SHIFT_CHOICES = 20


class BroadcastRefusal(enum.StrEnum):
    NOT_ALLOWED = "not_allowed"  # not a coordinator or admin
    NOT_YOURS = "not_yours"  # another coordinator's broadcast (an admin may stop or read any)
    NOT_FOUND = "not_found"
    NO_TEXT = "no_text"
    TEXT_TOO_LONG = "text_too_long"
    SHIFT_NOT_ALLOWED = "shift_not_allowed"  # not of their organisations, cancelled, or started
    GROUP_NOT_ALLOWED = "group_not_allowed"  # no group known for it, or not their neighbourhood
    GROUP_POST_TOO_LONG = "group_post_too_long"  # the two languages together, in the group's one post
    NOBODY = "nobody"  # nobody the filters and their role allow


@dataclass(frozen=True)
class Draft:
    text_en: str = ""
    text_cy: str = ""
    audience: Audience = field(default_factory=Audience)
    shift_id: int | None = None
    group_neighbourhood_id: int | None = None


@dataclass(frozen=True)
class ShiftChoice:
    shift_id: int
    starts_at: datetime
    activity_type_id: int
    neighbourhood_id: int
    venue: str


@dataclass(frozen=True)
class Choices:
    """What the composer may pick from: their shifts to attach, the groups they may post in."""

    shifts: tuple[ShiftChoice, ...]
    group_neighbourhood_ids: tuple[int, ...]


@dataclass(frozen=True)
class Confirmed:
    broadcast_id: int
    recipients: int


@dataclass(frozen=True)
class BroadcastReport:
    broadcast_id: int
    author_member_id: int
    created_at: datetime
    text_en: str
    text_cy: str
    recipients: int  # rows made at confirmation
    delivered: int
    unreachable: int  # blocked the bot, or has no Telegram any more
    opted_out: int  # switched broadcasts off: left out at confirmation, or before theirs went
    failed: int
    withdrawn: int  # taken back by Stop before they went
    pending: int
    stopped: bool
    finished: bool
    group_posted: bool | None  # None: no group post asked for; False: not (yet) posted

    @property
    def done(self) -> int:
        """Recipients dealt with so far ("412 / 1,000 sent")."""
        return self.recipients - self.pending - self.withdrawn


@dataclass(frozen=True)
class BroadcastContent:
    """What a recipient's message says, rendered in their language at sending."""

    text_en: str
    text_cy: str
    author_name: str
    shift_id: int | None


@dataclass(frozen=True)
class ProgressDue:
    """A progress message to edit now: the author's chat, Telegram's message id, the report."""

    chat_id: int
    message_id: int
    language: str | None
    report: BroadcastReport


def progress_key(broadcast_id: int) -> str:
    return f"broadcast:{broadcast_id}:progress"


@dataclass(frozen=True)
class _KnownContent:
    content: BroadcastContent | None  # None: stopped, or gone
    opted_out: frozenset[int]  # recipients who have switched broadcasts off since
    read_at: float  # time.monotonic()


class BroadcastService:
    def __init__(self, db: Database, config: Config, clock: Clock) -> None:
        self.db = db
        self.config = config
        self.clock = clock
        self._content: dict[int, _KnownContent] = {}
        self._reading: dict[int, asyncio.Task[_KnownContent]] = {}

    # -- composing -------------------------------------------------------------------
    async def may_broadcast(self, member_id: int) -> bool:
        async with self.db.read() as session:
            return (await self._reach(session, member_id)).anyone

    async def choices(self, member_id: int) -> Choices | BroadcastRefusal:
        now = self.clock.now()
        async with self.db.read() as session:
            reach = await self._reach(session, member_id)
            if not reach.anyone:
                return BroadcastRefusal.NOT_ALLOWED
            query = select(Shift).where(Shift.status == ShiftStatus.OPEN, Shift.starts_at > now)
            if not reach.everyone:
                query = query.where(Shift.organisation_id.in_(sorted(reach.organisation_ids)))
            shifts = (await session.scalars(query.order_by(Shift.starts_at, Shift.id).limit(SHIFT_CHOICES))).all()
            groups = await self._group_neighbourhoods(session, reach)
        return Choices(tuple(ShiftChoice(s.id, s.starts_at, s.activity_type_id, s.neighbourhood_id, s.venue)
                             for s in shifts), tuple(sorted(groups)))

    async def preview(self, member_id: int, draft: Draft) -> AudienceCount | BroadcastRefusal:
        """The exact number it would go to now, and how many are left out for having
        switched broadcasts off; or why it may not go."""
        async with self.db.read() as session:
            checked = await self._check(session, member_id, draft)
            if isinstance(checked, BroadcastRefusal):
                return checked
            return await count_audience(session, self._query(checked, draft, member_id))

    async def confirm(self, member_id: int, draft: Draft, completion: DialogueCompletion
                      ) -> Confirmed | BroadcastRefusal:
        """Fixes the recipients and queues everything, ending the dialogue in the same
        transaction; a second press finds it done and answers with the same broadcast."""
        now = self.clock.now()
        async with self.db.transaction() as session:
            outcome = await finished_outcome(session, completion)
            if outcome is not None:
                done = await session.get(Broadcast, int(outcome["broadcast_id"]))
                assert done is not None  # written in the transaction that ended the dialogue
                return Confirmed(done.id, done.recipient_count)
            reach = await self._check(session, member_id, draft)
            if isinstance(reach, BroadcastRefusal):
                return reach
            query = self._query(reach, draft, member_id)
            counted = await count_audience(session, query)
            if counted.recipients == 0:
                return BroadcastRefusal.NOBODY
            group_chat_id = (await self._group_chats(session)).get(draft.group_neighbourhood_id or 0)
            broadcast = Broadcast(
                author_member_id=member_id, text_en=draft.text_en.strip(), text_cy=draft.text_cy.strip(),
                shift_id=draft.shift_id, audience=draft.audience.to_json(),
                group_neighbourhood_id=draft.group_neighbourhood_id if group_chat_id else None,
                group_chat_id=group_chat_id, recipient_count=0, opted_out_count=counted.opted_out, created_at=now,
                progress_shown=0)
            session.add(broadcast)
            await session.flush()
            broadcast.recipient_count = await self._queue_recipients(session, broadcast.id, query, now)
            if group_chat_id is not None:
                await outbox.enqueue(session, member_id=member_id,
                                     payload=BroadcastGroupPost(broadcast_id=broadcast.id),
                                     dedupe_key=f"broadcast:{broadcast.id}:group", now=now, chat_id=group_chat_id,
                                     broadcast_id=broadcast.id)
            await outbox.enqueue(session, member_id=member_id, payload=BroadcastProgress(broadcast_id=broadcast.id),
                                 dedupe_key=progress_key(broadcast.id), now=now)
            await complete(session, completion, {"broadcast_id": broadcast.id}, now=now)
            return Confirmed(broadcast.id, broadcast.recipient_count)

    async def _queue_recipients(self, session: AsyncSession, broadcast_id: int, query: AudienceQuery,
                                now: datetime) -> int:
        """One outbox row per recipient, in one statement."""
        payload = json.dumps(BroadcastMessage(broadcast_id=broadcast_id).to_json())
        payload_value = cast(literal(payload), JSON) if self.db.dialect == "postgresql" else literal(payload)
        rows = query.recipients(
            literal(OutboxKind.BROADCAST.value, String), payload_value,
            literal(f"broadcast:{broadcast_id}:", String) + cast(Member.id, String),
            literal(OutboxStatus.PENDING.value, String), literal(now, OutboxMessage.not_before.type),
            literal(0, Integer), literal(now, OutboxMessage.created_at.type),
            literal(int(outbox.Priority.BULK), Integer), literal(broadcast_id, Integer))
        statement = insert(OutboxMessage).from_select(
            ["member_id", "kind", "payload", "dedupe_key", "status", "not_before", "attempts", "created_at",
             "priority", "broadcast_id"], rows)
        await session.execute(statement)
        return int(await session.scalar(select(func.count(OutboxMessage.id)).where(
            OutboxMessage.broadcast_id == broadcast_id, OutboxMessage.kind == OutboxKind.BROADCAST.value)) or 0)

    # -- checks ------------------------------------------------------------------------
    async def _reach(self, session: AsyncSession, member_id: int) -> Reach:
        return await reach_of(session, member_id, self.config.admins.telegram_user_ids)

    async def _check(self, session: AsyncSession, member_id: int, draft: Draft) -> Reach | BroadcastRefusal:
        reach = await self._reach(session, member_id)
        if not reach.anyone:
            return BroadcastRefusal.NOT_ALLOWED
        texts = (draft.text_en.strip(), draft.text_cy.strip())
        if not any(texts):
            return BroadcastRefusal.NO_TEXT
        if any(telegram_length(text) > TEXT_MAX for text in texts):
            return BroadcastRefusal.TEXT_TOO_LONG
        if draft.group_neighbourhood_id is not None and sum(map(telegram_length, texts)) > GROUP_POST_TEXT_MAX:
            return BroadcastRefusal.GROUP_POST_TOO_LONG
        if draft.shift_id is not None:
            shift = await session.get(Shift, draft.shift_id)
            if (shift is None or shift.status is not ShiftStatus.OPEN or shift.starts_at <= self.clock.now()
                    or not reach.covers_organisation(shift.organisation_id)):
                return BroadcastRefusal.SHIFT_NOT_ALLOWED
        if draft.group_neighbourhood_id is not None and \
                draft.group_neighbourhood_id not in await self._group_neighbourhoods(session, reach):
            return BroadcastRefusal.GROUP_NOT_ALLOWED
        return reach

    def _query(self, reach: Reach, draft: Draft, member_id: int) -> AudienceQuery:
        return AudienceQuery(reach, draft.audience, today=self._today(),
                             dbs_valid_years=self.config.shifts.dbs_valid_years, author_member_id=member_id)

    def _today(self) -> date:
        return self.clock.now().astimezone(self.config.tz).date()

    async def _group_chats(self, session: AsyncSession) -> dict[int, int]:
        """Neighbourhood id -> its Telegram group's chat id, for those configured with one."""
        by_slug = {n.slug: n.telegram_group_chat_id for n in self.config.neighbourhoods
                   if n.telegram_group_chat_id is not None}
        if not by_slug:
            return {}
        rows = await session.execute(select(Neighbourhood.id, Neighbourhood.slug).where(
            Neighbourhood.slug.in_(sorted(by_slug))))
        return {neighbourhood_id: by_slug[slug] for neighbourhood_id, slug in rows.all()}

    async def _group_neighbourhoods(self, session: AsyncSession, reach: Reach) -> set[int]:
        return {n for n in await self._group_chats(session) if reach.covers_neighbourhood(n)}

    # -- stopping and reporting ----------------------------------------------------------
    async def stop(self, member_id: int, broadcast_id: int) -> BroadcastReport | BroadcastRefusal:
        """Withdraws every recipient not yet sent; the report as it stands."""
        now = self.clock.now()
        async with self.db.transaction() as session:
            broadcast = await self._readable(session, member_id, broadcast_id)
            if isinstance(broadcast, BroadcastRefusal):
                return broadcast
            if broadcast.finished_at is None and broadcast.stopped_at is None:
                broadcast.stopped_at = now
                await session.execute(update(OutboxMessage).where(
                    OutboxMessage.broadcast_id == broadcast.id, OutboxMessage.status == OutboxStatus.PENDING,
                ).values(status=OutboxStatus.WITHDRAWN))
            report = await _report(session, broadcast)
            # The Stop button is on the progress message, and its answer shows this there.
            broadcast.progress_shown, broadcast.progress_shown_at = report.done, now
        # Committed: what this process knew of it is read again before anything more is sent.
        reading = self._reading.pop(broadcast_id, None)
        if reading is not None:
            reading.cancel()
        self._content.pop(broadcast_id, None)
        return report

    async def report(self, member_id: int, broadcast_id: int) -> BroadcastReport | BroadcastRefusal:
        async with self.db.read() as session:
            broadcast = await self._readable(session, member_id, broadcast_id)
            if isinstance(broadcast, BroadcastRefusal):
                return broadcast
            return await _report(session, broadcast)

    async def history(self, member_id: int, *, limit: int = 10) -> list[BroadcastReport] | BroadcastRefusal:
        """The latest broadcasts this member may read: their own; an admin's, everyone's."""
        async with self.db.read() as session:
            reach = await self._reach(session, member_id)
            query = select(Broadcast)
            if not reach.everyone:
                query = query.where(Broadcast.author_member_id == member_id)
            broadcasts = (await session.scalars(query.order_by(Broadcast.id.desc()).limit(limit))).all()
            if not broadcasts and not reach.anyone:
                return BroadcastRefusal.NOT_ALLOWED
            return [await _report(session, broadcast) for broadcast in broadcasts]

    async def _readable(self, session: AsyncSession, member_id: int, broadcast_id: int
                        ) -> Broadcast | BroadcastRefusal:
        broadcast = await session.get(Broadcast, broadcast_id)
        if broadcast is None:
            return BroadcastRefusal.NOT_FOUND
        if broadcast.author_member_id != member_id and not (await self._reach(session, member_id)).everyone:
            return BroadcastRefusal.NOT_YOURS
        return broadcast

    # -- sending -------------------------------------------------------------------------
    async def content(self, broadcast_id: int, member_id: int | None) -> BroadcastContent | None:
        """What to send; None once it was stopped, or (`member_id`) once they switched
        broadcasts off.

        It runs for every recipient between the pacer's slot and the send, so it must not
        wait on the database there: a send held up a few tens of milliseconds arrives
        bunched with the next ones and Telegram counts 31 in a second. So it answers
        from what this process last read of the broadcast (at most CONTENT_FRESH_S old,
        read again in the background; Stop here drops it at once)."""
        known = self._content.get(broadcast_id)
        if known is None:
            known = await self._read_content(broadcast_id)
        elif time.monotonic() - known.read_at > CONTENT_FRESH_S and broadcast_id not in self._reading:
            task = asyncio.create_task(self._read_content(broadcast_id))
            self._reading[broadcast_id] = task
            task.add_done_callback(lambda _task: self._reading.pop(broadcast_id, None))
        if known.content is None or (member_id is not None and member_id in known.opted_out):
            return None
        return known.content

    async def _read_content(self, broadcast_id: int) -> _KnownContent:
        async with self.db.read() as session:
            row = (await session.execute(
                select(Broadcast.text_en, Broadcast.text_cy, Broadcast.shift_id, Broadcast.stopped_at,
                       Member.display_name).join(Member, Member.id == Broadcast.author_member_id)
                .where(Broadcast.id == broadcast_id))).one_or_none()
            opted_out = frozenset(await session.scalars(select(MemberSettings.member_id).where(
                MemberSettings.broadcasts.is_(False), MemberSettings.member_id.in_(
                    select(OutboxMessage.member_id).where(OutboxMessage.broadcast_id == broadcast_id)))))
        content = None
        if row is not None and row.stopped_at is None:
            content = BroadcastContent(row.text_en, row.text_cy, row.display_name or "", row.shift_id)
        known = _KnownContent(content, opted_out, time.monotonic())
        self._content = {key: value for key, value in self._content.items()
                         if known.read_at - value.read_at < CONTENT_FORGOTTEN_S}
        self._content[broadcast_id] = known
        return known

    async def progress_report(self, broadcast_id: int) -> BroadcastReport | None:
        async with self.db.read() as session:
            broadcast = await session.get(Broadcast, broadcast_id)
            return None if broadcast is None else await _report(session, broadcast)

    async def progress_due(self) -> list[ProgressDue]:
        """Progress messages that say less than has happened, each with the report to
        show; a broadcast with nothing left to send is finished here (once: guarded)."""
        now = self.clock.now()
        due = []
        async with self.db.transaction() as session:
            open_ones = (await session.scalars(select(Broadcast).where(
                Broadcast.created_at > now - PROGRESS_GIVEN_UP_AFTER,
                or_(Broadcast.finished_at.is_(None), Broadcast.progress_shown_at.is_(None),
                    Broadcast.progress_shown_at < Broadcast.finished_at)).order_by(Broadcast.id))).all()
            for broadcast in open_ones:
                report = await _report(session, broadcast)
                if (broadcast.finished_at is None and report.pending == 0
                        and not await _in_hand(session, broadcast, now)):
                    broadcast.finished_at = now
                    report = await _report(session, broadcast)
                shown = await session.execute(select(OutboxMessage.telegram_message_id, Member.telegram_user_id,
                                                     Member.language)
                                              .join(Member, Member.id == OutboxMessage.member_id)
                                              .where(OutboxMessage.dedupe_key == progress_key(broadcast.id)))
                message_id, chat_id, language = shown.one_or_none() or (None, None, None)
                if message_id is None or chat_id is None:
                    continue  # not shown yet: it will say how far it has got when it is sent
                if report.finished or report.done != broadcast.progress_shown:
                    due.append(ProgressDue(chat_id, message_id, language.value if language else None, report))
        return due

    async def progress_shown(self, broadcast_id: int, report: BroadcastReport) -> None:
        async with self.db.transaction() as session:
            await session.execute(update(Broadcast).where(Broadcast.id == broadcast_id).values(
                progress_shown=report.done, progress_shown_at=self.clock.now()))


async def _in_hand(session: AsyncSession, broadcast: Broadcast, now: datetime) -> bool:
    """Rows a dispatcher still holds (withdrawn while in its hand): not finished until they settle."""
    return await session.scalar(select(OutboxMessage.id).where(
        OutboxMessage.broadcast_id == broadcast.id, OutboxMessage.claimed_until.is_not(None),
        OutboxMessage.claimed_until > now).limit(1)) is not None


async def _report(session: AsyncSession, broadcast: Broadcast) -> BroadcastReport:
    """The broadcast's figures from its outbox rows, counted by the database."""
    unreachable = or_(Member.unreachable_at.is_not(None), Member.telegram_user_id.is_(None))
    opted_out = func.coalesce(MemberSettings.broadcasts, true()) == false()
    has_message = OutboxMessage.telegram_message_id.is_not(None)
    rows = (await session.execute(
        select(OutboxMessage.status, has_message, unreachable, opted_out, func.count(OutboxMessage.id))
        .join(Member, Member.id == OutboxMessage.member_id)
        .outerjoin(MemberSettings, MemberSettings.member_id == Member.id)
        .where(OutboxMessage.broadcast_id == broadcast.id, OutboxMessage.kind == OutboxKind.BROADCAST.value)
        .group_by(OutboxMessage.status, has_message, unreachable, opted_out))).all()
    counts = {"delivered": 0, "unreachable": 0, "opted_out": 0, "failed": 0, "withdrawn": 0, "pending": 0}
    for status, sent_one, is_unreachable, is_opted_out, count in rows:
        status = OutboxStatus(status)
        if status is OutboxStatus.SENT:
            # Sent as nothing: they switched broadcasts off meanwhile, or it was stopped in the dispatcher's hand.
            key = "delivered" if sent_one else "opted_out" if is_opted_out else "withdrawn"
        elif status is OutboxStatus.FAILED:
            key = "unreachable" if is_unreachable else "failed"
        else:
            key = "withdrawn" if status is OutboxStatus.WITHDRAWN else "pending"
        counts[key] += int(count)
    group_posted = None
    if broadcast.group_chat_id is not None:
        group_posted = await session.scalar(select(OutboxMessage.telegram_message_id).where(
            OutboxMessage.broadcast_id == broadcast.id,
            OutboxMessage.kind == OutboxKind.BROADCAST_GROUP_POST.value)) is not None
    return BroadcastReport(
        broadcast.id, broadcast.author_member_id, broadcast.created_at, broadcast.text_en, broadcast.text_cy,
        recipients=broadcast.recipient_count, delivered=counts["delivered"], unreachable=counts["unreachable"],
        opted_out=broadcast.opted_out_count + counts["opted_out"], failed=counts["failed"],
        withdrawn=counts["withdrawn"], pending=counts["pending"], stopped=broadcast.stopped_at is not None,
        finished=broadcast.finished_at is not None, group_posted=group_posted)

