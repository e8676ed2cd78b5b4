"""Residents without a smartphone: a coordinator records them as members (no Telegram
account) and then logs hours and spends credits for them."""

from __future__ import annotations

import enum

from sqlalchemy import insert

from bot.clock import Clock
from bot.db.models import AuditEvent, Member, MemberKind, Neighbourhood, Role
from bot.db.session import Database
from bot.services import roles
from bot.services.accounts import member_account
from bot.services.dialogue_completion import DialogueCompletion, complete, finished_outcome
from bot.services.members import NameProblem, check_display_name
from bot.services.time_entries import row_exists

__all__ = ["PeopleService", "RecordRefusal"]


class RecordRefusal(enum.StrEnum):
    NOT_COORDINATOR = "not_coordinator"  # of no organisation at all
    UNKNOWN_NEIGHBOURHOOD = "unknown_neighbourhood"
    NAME_EMPTY = "name_empty"
    NAME_TOO_LONG = "name_too_long"
    NAME_NOT_TEXT = "name_not_text"


class PeopleService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def record_member_without_telegram(self, coordinator_member_id: int, *, display_name: str,
                                             neighbourhood_id: int | None,
                                             completion: DialogueCompletion | None = None) -> int | RecordRefusal:
        """A resident without a smartphone, recorded by a coordinator who logs hours for them.
        With `completion`, the dialogue ends in the same transaction, and pressed again
        it answers with the member the first press recorded."""
        name = check_display_name(display_name or "")
        async with self.db.transaction() as session:
            if completion is not None and (done := await finished_outcome(session, completion)) is not None:
                return int(done["member_id"])
            if not await roles.organisations_with_role(session, coordinator_member_id, Role.COORDINATOR):
                return RecordRefusal.NOT_COORDINATOR
            if isinstance(name, NameProblem):
                return {NameProblem.EMPTY: RecordRefusal.NAME_EMPTY,
                        NameProblem.TOO_LONG: RecordRefusal.NAME_TOO_LONG}.get(name, RecordRefusal.NAME_NOT_TEXT)
            if neighbourhood_id is not None and not await row_exists(session, Neighbourhood, neighbourhood_id):
                return RecordRefusal.UNKNOWN_NEIGHBOURHOOD
            now = self.clock.now()
            member = Member(kind=MemberKind.INDIVIDUAL, telegram_user_id=None, display_name=name, language=None,
                            neighbourhood_id=neighbourhood_id, registered_at=now,
                            recorded_by_member_id=coordinator_member_id)
            session.add(member)
            await session.flush()
            await member_account(session, member.id)
            await session.execute(insert(AuditEvent.__table__).values(
                at=now, actor_member_id=coordinator_member_id, action="member.recorded_without_telegram",
                details={"member_id": member.id}))
            if completion is not None:
                await complete(session, completion, {"member_id": member.id}, now=now)
            return member.id
