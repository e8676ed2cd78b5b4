"""Who may do what. Every privileged action asks here, against the database.

Admins come from two places: grants in the database, and the Telegram user ids listed
in configuration (so a fresh installation has someone who can grant the first roles).
"""

from __future__ import annotations

import enum
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Member, MemberKind, Role, RoleGrant, Shift, ShiftStatus


async def is_admin(session: AsyncSession, member_id: int, config_admin_ids: Collection[int]) -> bool:
    if await session.scalar(select(RoleGrant.id).where(
            RoleGrant.member_id == member_id, RoleGrant.role == Role.ADMIN)) is not None:
        return True
    telegram_user_id = await session.scalar(select(Member.telegram_user_id).where(Member.id == member_id))
    return telegram_user_id is not None and telegram_user_id in config_admin_ids


def admin_from(grants: Collection[tuple[Role, int | None]], telegram_user_id: int | None,
               config_admin_ids: Collection[int]) -> bool:
    """`is_admin` for a member whose grants are already read (loading a member reads them)."""
    return any(role is Role.ADMIN for role, _organisation in grants) or (
        telegram_user_id is not None and telegram_user_id in config_admin_ids)


async def organisations_with_role(session: AsyncSession, member_id: int, role: Role) -> set[int]:
    """The organisations in which the member holds the role."""
    rows = await session.scalars(select(RoleGrant.organisation_id).where(
        RoleGrant.member_id == member_id, RoleGrant.role == role, RoleGrant.organisation_id.is_not(None)))
    return {organisation_id for organisation_id in rows if organisation_id is not None}


async def has_role(session: AsyncSession, member_id: int, role: Role, organisation_id: int) -> bool:
    return organisation_id in await organisations_with_role(session, member_id, role)


async def roles_of(session: AsyncSession, member_id: int) -> set[tuple[Role, int | None]]:
    rows = await session.execute(select(RoleGrant.role, RoleGrant.organisation_id).where(
        RoleGrant.member_id == member_id))
    return {(role, organisation_id) for role, organisation_id in rows.all()}


async def members_with_role(session: AsyncSession, role: Role, organisation_id: int) -> list[int]:
    """Member ids holding the role in the organisation (e.g. the coordinators to alert)."""
    rows = await session.scalars(select(RoleGrant.member_id).where(
        RoleGrant.role == role, RoleGrant.organisation_id == organisation_id).order_by(RoleGrant.member_id))
    return list(rows)


async def may_act_for(session: AsyncSession, coordinator_member_id: int, member_id: int) -> bool:
    """A coordinator acts for a member only if that member is a person without Telegram
    recorded by a coordinator of one of the same organisations (never for a group, and
    never across organisations)."""
    member = await session.get(Member, member_id)
    if (member is None or member.kind is not MemberKind.INDIVIDUAL or member.telegram_user_id is not None
            or member.erased_at is not None or member.recorded_by_member_id is None):
        return False
    mine = await organisations_with_role(session, coordinator_member_id, Role.COORDINATOR)
    theirs = await organisations_with_role(session, member.recorded_by_member_id, Role.COORDINATOR)
    return bool(mine & theirs)


class Unchangeable(enum.Enum):
    """Why a coordinator may no longer act on a shift (edit it, cancel it, find cover)."""

    NOT_FOUND = enum.auto()
    NOT_COORDINATOR = enum.auto()
    CANCELLED = enum.auto()
    STARTED = enum.auto()


async def changeable_shift(session: AsyncSession, coordinator_member_id: int, shift: Shift | None,
                           now: datetime) -> Shift | Unchangeable:
    """The shift (as the caller read it, locked or not) if this member coordinates its
    organisation and it is neither cancelled nor started; else why not."""
    if shift is None:
        return Unchangeable.NOT_FOUND
    if not await has_role(session, coordinator_member_id, Role.COORDINATOR, shift.organisation_id):
        return Unchangeable.NOT_COORDINATOR
    if shift.status is ShiftStatus.CANCELLED:
        return Unchangeable.CANCELLED
    if now >= shift.starts_at:
        return Unchangeable.STARTED
    return shift
