"""The weekly limit on a spend opportunity: how many vouchers one member may take for it
in a week (Monday to Sunday in the scheme's time zone).

A partner sets a limit when an offer is scarce (a swim a week, one cafe lunch a week), so
one member cannot take every place. Cancelled vouchers and vouchers that expired unused
were refunded, so they do not count; issued and redeemed ones do.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Voucher, VoucherStatus

COUNTED = (VoucherStatus.ISSUED, VoucherStatus.REDEEMED)


def week_bounds(now: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The local week containing `now`, as UTC [start, end): Monday 00:00 to the next
    Monday 00:00 on the wall clock, so a week when the clocks change is 167 or 169 hours."""
    today = now.astimezone(tz).date()
    monday = today - timedelta(days=today.weekday())
    start = datetime.combine(monday, time(0), tzinfo=tz)
    end = datetime.combine(monday + timedelta(days=7), time(0), tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


async def vouchers_this_week(session: AsyncSession, *, member_id: int, opportunity_id: int,
                             now: datetime, tz: ZoneInfo) -> int:
    start, end = week_bounds(now, tz)
    return int(await session.scalar(select(func.count(Voucher.id)).where(
        Voucher.member_id == member_id, Voucher.spend_opportunity_id == opportunity_id,
        Voucher.status.in_(COUNTED), Voucher.issued_at >= start, Voucher.issued_at < end)) or 0)


async def weekly_limit_reached(session: AsyncSession, *, member_id: int, opportunity_id: int,
                               weekly_limit: int | None, now: datetime, tz: ZoneInfo) -> bool:
    """True when one more voucher would pass the offer's weekly limit for this member.

    The caller holds the member's account lock (taken before posting), so two taps at
    once cannot both see room for the last voucher of the week."""
    if weekly_limit is None:
        return False
    taken = await vouchers_this_week(session, member_id=member_id, opportunity_id=opportunity_id, now=now, tz=tz)
    return taken >= weekly_limit
