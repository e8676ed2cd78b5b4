"""Members: registration, language, profile, and role grants.

Before a resident consents nothing about them is stored as a member; what they choose
during registration waits in their dialogue row. The member row is written in one
transaction with its ledger account when they finish.
"""

from __future__ import annotations

import enum
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config import Config
from bot.db.models import AuditEvent, Language, Member, MemberKind, Neighbourhood, Organisation, Role, RoleGrant
from bot.db.session import Database
from bot.services import roles
from bot.services.accounts import member_account
from bot.services.dialogue_completion import DialogueCompletion, complete, finished_outcome

DISPLAY_NAME_MAX = 64


@dataclass(frozen=True)
class MemberView:
    id: int
    kind: MemberKind
    telegram_user_id: int | None
    display_name: str
    language: str
    neighbourhood_id: int | None
    registered_at: datetime
    is_admin: bool
    grants: frozenset[tuple[Role, int | None]]

    def has_role(self, role: Role) -> bool:
        return self.is_admin if role is Role.ADMIN else any(r is role for r, _ in self.grants)

    def organisations_with(self, role: Role) -> set[int]:
        return {organisation for r, organisation in self.grants if r is role and organisation is not None}


class NameProblem(enum.Enum):
    EMPTY = "empty"
    TOO_LONG = "too_long"
    NOT_TEXT = "not_text"


def check_display_name(raw: str) -> str | NameProblem:
    """What a member may be called: printable text, 1 to 64 characters."""
    name = " ".join(raw.split())
    if not name:
        return NameProblem.EMPTY
    if len(name) > DISPLAY_NAME_MAX:
        return NameProblem.TOO_LONG
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in name):
        return NameProblem.NOT_TEXT
    if name.startswith("/"):
        return NameProblem.NOT_TEXT
    return name


class GrantOutcome(enum.Enum):
    GRANTED = "granted"
    ALREADY_HELD = "already_held"
    REVOKED = "revoked"
    NOT_HELD = "not_held"
    NOT_ADMIN = "not_admin"
    UNKNOWN_MEMBER = "unknown_member"
    UNKNOWN_ORGANISATION = "unknown_organisation"
    ORGANISATION_REQUIRED = "organisation_required"
    ORGANISATION_NOT_ALLOWED = "organisation_not_allowed"


class MemberService:
    def __init__(self, db: Database, config: Config, clock: Clock) -> None:
        self.db = db
        self.config = config
        self.clock = clock

    # -- lookups -------------------------------------------------------------------
    async def by_telegram_id(self, telegram_user_id: int) -> MemberView | None:
        """Every update's first look-up: the member and their roles in one statement."""
        async with self.db.read() as session:
            rows = (await session.execute(
                select(Member, RoleGrant.role, RoleGrant.organisation_id)
                .outerjoin(RoleGrant, RoleGrant.member_id == Member.id)
                .where(Member.telegram_user_id == telegram_user_id, Member.registered_at.is_not(None)))).all()
            if not rows:
                return None
            grants = {(role, organisation_id) for _member, role, organisation_id in rows if role is not None}
            return await self._view(session, rows[0][0], grants)

    async def by_id(self, member_id: int) -> MemberView | None:
        """A registered, not erased member."""
        async with self.db.read() as session:
            member = await session.get(Member, member_id)
            if member is None or member.registered_at is None or member.erased_at is not None:
                return None
            return await self._view(session, member)

    async def _view(self, session: AsyncSession, member: Member,
                    grants: set[tuple[Role, int | None]] | None = None) -> MemberView:
        """`grants`: the member's roles, when the caller read them with the member."""
        assert member.registered_at is not None, "a view is only of a registered member"  # callers filter on it
        if grants is None:
            grants = await roles.roles_of(session, member.id)
        # From the grants just read: every update loads a member, so the statements
        # roles.is_admin would make are saved on each.
        is_admin = roles.admin_from(grants, member.telegram_user_id, self.config.admins.telegram_user_ids)
        return MemberView(
            id=member.id, kind=member.kind, telegram_user_id=member.telegram_user_id,
            display_name=member.display_name or "", language=(member.language or self.config.scheme.default_language),
            neighbourhood_id=member.neighbourhood_id, registered_at=member.registered_at,
            is_admin=is_admin, grants=frozenset(grants),
        )

    async def groups(self) -> list[MemberView]:
        """Group members (community groups holding credits), for giving to."""
        async with self.db.read() as session:
            rows = (await session.scalars(select(Member).where(
                Member.kind == MemberKind.GROUP, Member.registered_at.is_not(None),
                Member.erased_at.is_(None)).order_by(Member.display_name))).all()
            return [await self._view(session, row) for row in rows]

    async def recorded_members(self, coordinator_member_id: int) -> list[MemberView]:
        """Members without Telegram this coordinator may act for (see roles.may_act_for)."""
        async with self.db.read() as session:
            rows = (await session.scalars(select(Member).where(
                Member.telegram_user_id.is_(None), Member.kind == MemberKind.INDIVIDUAL,
                Member.recorded_by_member_id.is_not(None), Member.erased_at.is_(None),
                Member.registered_at.is_not(None)).order_by(Member.display_name, Member.id))).all()
            return [await self._view(session, row) for row in rows
                    if await roles.may_act_for(session, coordinator_member_id, row.id)]

    async def may_act_for(self, coordinator_member_id: int, member_id: int) -> bool:
        async with self.db.read() as session:
            return await roles.may_act_for(session, coordinator_member_id, member_id)

    async def create_group(self, display_name: str, *, neighbourhood_id: int | None) -> int:
        """A community group as a member of the timebank, holding credits of its own."""
        name = check_display_name(display_name)
        if isinstance(name, NameProblem):
            raise ValueError(f"group name refused: {name.value}")
        async with self.db.transaction() as session:
            group = Member(kind=MemberKind.GROUP, display_name=name, neighbourhood_id=neighbourhood_id,
                           registered_at=self.clock.now(), language=Language(self.config.scheme.default_language))
            session.add(group)
            await session.flush()
            await member_account(session, group.id)
            return group.id

    # -- registration ----------------------------------------------------------------
    async def register(self, telegram_user_id: int, *, language: str, display_name: str,
                       neighbourhood_id: int | None) -> MemberView:
        """Creates the member and their account; re-registering updates the same row."""
        name = check_display_name(display_name)
        if isinstance(name, NameProblem):
            raise ValueError(f"display name refused: {name.value}")
        now = self.clock.now()
        async with self.db.transaction() as session:
            if neighbourhood_id is not None and await session.get(Neighbourhood, neighbourhood_id) is None:
                neighbourhood_id = None
            member = await session.scalar(select(Member).where(Member.telegram_user_id == telegram_user_id))
            if member is None:
                member = Member(kind=MemberKind.INDIVIDUAL, telegram_user_id=telegram_user_id)
                session.add(member)
            member.language = Language(language)
            member.display_name = name
            member.neighbourhood_id = neighbourhood_id
            member.consented_at = member.consented_at or now
            member.registered_at = member.registered_at or now
            member.unreachable_at = None
            await session.flush()
            await member_account(session, member.id)
            return await self._view(session, member)

    async def set_language(self, member_id: int, language: str) -> None:
        async with self.db.transaction() as session:
            member = await session.get(Member, member_id)
            if member is not None:
                member.language = Language(language)

    async def set_neighbourhood(self, member_id: int, neighbourhood_id: int | None) -> None:
        async with self.db.transaction() as session:
            member = await session.get(Member, member_id)
            if member is not None and (neighbourhood_id is None
                                       or await session.get(Neighbourhood, neighbourhood_id) is not None):
                member.neighbourhood_id = neighbourhood_id

    async def mark_unreachable(self, telegram_user_id: int) -> None:
        """Telegram said the member blocked the bot: stop sending until they come back."""
        async with self.db.transaction() as session:
            member = await session.scalar(select(Member).where(Member.telegram_user_id == telegram_user_id))
            if member is not None and member.unreachable_at is None:
                member.unreachable_at = self.clock.now()

    async def mark_reachable(self, member_id: int) -> None:
        async with self.db.transaction() as session:
            member = await session.get(Member, member_id)
            if member is not None and member.unreachable_at is not None:
                member.unreachable_at = None

    # -- roles -----------------------------------------------------------------------
    async def grant(self, *, actor_member_id: int | None, role: Role, telegram_user_id: int,
                    organisation_slug: str | None, completion: DialogueCompletion | None = None) -> GrantOutcome:
        """actor None means the shell (`coprod-bot grant`), trusted as the operator. With
        `completion`, the admin's confirmation dialogue ends in the same transaction, and
        pressed again it answers as the first press was answered."""
        return await self._change_grant(actor_member_id, role, telegram_user_id, organisation_slug, grant=True,
                                        completion=completion)

    async def revoke(self, *, actor_member_id: int | None, role: Role, telegram_user_id: int,
                     organisation_slug: str | None, completion: DialogueCompletion | None = None) -> GrantOutcome:
        return await self._change_grant(actor_member_id, role, telegram_user_id, organisation_slug, grant=False,
                                        completion=completion)

    async def _change_grant(self, actor_member_id: int | None, role: Role, telegram_user_id: int,
                            organisation_slug: str | None, *, grant: bool,
                            completion: DialogueCompletion | None) -> GrantOutcome:
        async with self.db.transaction() as session:
            if completion is not None and (done := await finished_outcome(session, completion)) is not None:
                return GrantOutcome(done["grant"])
            outcome = await self._grant_in(session, actor_member_id, role, telegram_user_id, organisation_slug,
                                           grant=grant)
            if completion is not None:  # a refusal ends the dialogue too: it is the answer to that press
                await complete(session, completion, {"grant": outcome.value}, now=self.clock.now())
            return outcome

    async def _grant_in(self, session: AsyncSession, actor_member_id: int | None, role: Role,
                        telegram_user_id: int, organisation_slug: str | None, *, grant: bool) -> GrantOutcome:
        if actor_member_id is not None and not await roles.is_admin(
                session, actor_member_id, self.config.admins.telegram_user_ids):
            return GrantOutcome.NOT_ADMIN
        member = await session.scalar(select(Member).where(Member.telegram_user_id == telegram_user_id))
        if member is None:
            return GrantOutcome.UNKNOWN_MEMBER
        organisation_id = None
        if role.needs_organisation:
            if not organisation_slug:
                return GrantOutcome.ORGANISATION_REQUIRED
            organisation_id = await session.scalar(
                select(Organisation.id).where(Organisation.slug == organisation_slug))
            if organisation_id is None:
                return GrantOutcome.UNKNOWN_ORGANISATION
        elif organisation_slug:
            return GrantOutcome.ORGANISATION_NOT_ALLOWED
        existing = await session.scalar(select(RoleGrant).where(
            RoleGrant.member_id == member.id, RoleGrant.role == role,
            RoleGrant.organisation_id.is_(None) if organisation_id is None
            else RoleGrant.organisation_id == organisation_id))
        if grant and existing is not None:
            return GrantOutcome.ALREADY_HELD
        if not grant and existing is None:
            return GrantOutcome.NOT_HELD
        if grant:
            session.add(RoleGrant(member_id=member.id, role=role, organisation_id=organisation_id,
                                  granted_by_member_id=actor_member_id, granted_at=self.clock.now()))
        else:
            await session.delete(existing)
        session.add(AuditEvent(at=self.clock.now(), actor_member_id=actor_member_id,
                               action="role_granted" if grant else "role_revoked",
                               details={"member_id": member.id, "role": role.value,
                                        "organisation": organisation_slug}))
        return GrantOutcome.GRANTED if grant else GrantOutcome.REVOKED

    async def grantees(self) -> list[tuple[str, int | None, Role, str | None]]:
        """Everyone holding a role: (name, telegram id, role, organisation slug)."""
        async with self.db.transaction() as session:
            rows = await session.execute(
                select(Member.display_name, Member.telegram_user_id, RoleGrant.role, Organisation.slug)
                .join(RoleGrant, RoleGrant.member_id == Member.id)
                .outerjoin(Organisation, Organisation.id == RoleGrant.organisation_id)
                .order_by(Member.id, RoleGrant.role))
            return [(name or "", telegram_id, role, slug) for name, telegram_id, role, slug in rows.all()]
