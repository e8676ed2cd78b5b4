"""Asking coordinators for attendance once a shift has ended.

A clock job calls `queue_attendance_prompts`; each (shift, coordinator) pair is told
once, whichever process or restart runs the job, because the outbox's dedupe_key
records that the prompt was queued.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.clock import Clock
from bot.db.models import Role, RoleGrant, Shift, ShiftStatus
from bot.db.session import Database
from bot.services.outbox import enqueue

# Shifts that ended longer ago than this are left alone: a coordinator who did not
# answer in a week will not be nagged forever.
LOOK_BACK = timedelta(days=7)


async def queue_attendance_prompts(db: Database, clock: Clock) -> int:
    now = clock.now()
    queued = 0
    async with db.transaction() as session:
        rows = await session.execute(
            select(Shift.id, RoleGrant.member_id)
            .join(RoleGrant, (RoleGrant.organisation_id == Shift.organisation_id) & (RoleGrant.role == Role.COORDINATOR))
            .where(Shift.status == ShiftStatus.OPEN, Shift.ends_at <= now, Shift.ends_at > now - LOOK_BACK,
                   Shift.attendance_confirmed_at.is_(None), Shift.booked_count > 0))
        for shift_id, coordinator_id in rows.all():
            if await enqueue(session, member_id=coordinator_id, kind="attendance_due", payload={"shift_id": shift_id},
                             dedupe_key=f"attendance_due:{shift_id}:{coordinator_id}", now=now):
                queued += 1
    return queued
