"""Reference data held in the process for handlers: read once, dropped when this process
changes it, and at most a few seconds old when another process does."""

from __future__ import annotations

from sqlalchemy import update

from bot.clock import FrozenClock
from bot.config import Config
from bot.db.models import Neighbourhood
from bot.db.session import Database
from bot.services.activity_types import ActivityTypeService, Flag
from bot.services.reference_cache import ReferenceCache


class Ticking:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def rename_splott(db: Database, name: str) -> None:
    """What another process (or an operator's sync) does behind this one's back."""
    async with db.transaction() as session:
        await session.execute(update(Neighbourhood).where(Neighbourhood.slug == "splott").values(name_en=name))


def splott(names: list) -> str:  # noqa: ANN001
    return next(item.name_en for item in names if item.slug == "splott")


async def test_a_change_elsewhere_shows_once_the_short_ttl_has_passed(db: Database, reference: dict[str, int]) -> None:
    ticking = Ticking()
    cache = ReferenceCache(db, ttl_seconds=30, monotonic=ticking)
    assert splott(await cache.neighbourhoods()) == "Splott"
    await rename_splott(db, "Sblot-on-Sea")
    ticking.now = 29
    assert splott(await cache.neighbourhoods()) == "Splott"  # held: no read per screen
    ticking.now = 31
    assert splott(await cache.neighbourhoods()) == "Sblot-on-Sea"
    assert (await cache.names()).neighbourhoods[reference["splott"]].name_en == "Sblot-on-Sea"


async def test_invalidating_reads_afresh_at_once(db: Database, reference: dict[str, int]) -> None:
    cache = ReferenceCache(db, ttl_seconds=3600, monotonic=Ticking())
    await cache.neighbourhoods()
    await rename_splott(db, "Splott East")
    cache.invalidate()
    assert splott(await cache.neighbourhoods()) == "Splott East"


async def test_setting_an_activity_flag_drops_the_cache(db: Database, config: Config, clock: FrozenClock,
                                                       reference: dict[str, int], make_member) -> None:  # noqa: ANN001
    from bot.db.models import Role
    from bot.services.members import MemberService

    cache = ReferenceCache(db, ttl_seconds=3600, monotonic=Ticking())
    activity_types = ActivityTypeService(db, config, clock, on_change=cache.invalidate)
    staff = await make_member("Staff", telegram_user_id=7001)
    await MemberService(db, config, clock).grant(actor_member_id=None, role=Role.STAFF, telegram_user_id=7001,
                                                 organisation_slug="splott-community")
    await cache.neighbourhoods()
    await rename_splott(db, "Renamed meanwhile")
    await activity_types.set_flag(staff, reference["community-hub"], Flag.REPLACES_REDUCED_SERVICE, True)
    assert splott(await cache.neighbourhoods()) == "Renamed meanwhile"


async def test_volunteering_organisations_leave_out_corporate_partners(db: Database, reference: dict[str, int]) -> None:
    slugs = {item.slug for item in await ReferenceCache(db).volunteering_organisations()}
    assert "cardiff-council" not in slugs and "splott-community" in slugs
