"""A coordinator who needs a DBS check of their own cannot record it themselves."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.db.models import DbsCheck, Member, Role
from tests.e2e.conftest import BotUnderTest, grant, register


async def test_a_coordinator_cannot_record_their_own_dbs_check(bot: BotUnderTest) -> None:
    tom = bot.user(6101, "Tom")
    await register(bot, tom)
    await grant(bot, 6101, Role.COORDINATOR, "splott-community")
    async with bot.services.db.read() as session:
        own_number = await session.scalar(select(Member.id).where(Member.telegram_user_id == 6101))
    await tom.send_text(f"/dbs {own_number} 1/11/2026")
    assert "can't record your own DBS check" in (await tom.next_message()).text
    async with bot.services.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(DbsCheck)) == 0


async def test_a_coordinator_sees_which_organisation_recorded_a_check_in_either_language(bot: BotUnderTest) -> None:
    tom, gareth = bot.user(6111, "Tom"), bot.user(6112, "Gareth", language_code="cy")
    sam = bot.user(6113, "Sam")
    await register(bot, tom)
    await register(bot, gareth, language="Cymraeg", neighbourhood="Trelái")
    await register(bot, sam)
    await grant(bot, 6111, Role.COORDINATOR, "splott-community")
    await grant(bot, 6112, Role.COORDINATOR, "ely-hub")
    async with bot.services.db.read() as session:
        sam_number = await session.scalar(select(Member.id).where(Member.telegram_user_id == 6113))

    await gareth.send_text(f"/dbs {sam_number}")
    assert "Does dim gwiriad DBS wedi'i gofnodi ar gyfer Sam" in (await gareth.next_message()).text
    await tom.send_text(f"/dbs {sam_number} 1/11/2026")
    assert "Recorded for Splott Community Trust: DBS check of 1 November 2026" in (await tom.next_message()).text

    # Ely's coordinator sees whose check it is (it counts for Ely's shifts too: the default).
    await gareth.send_text(f"/dbs {sam_number}")
    seen = (await gareth.next_message()).text
    assert f"Sam (rhif aelod {sam_number}): gwiriad DBS dyddiedig 1 Tachwedd 2026" in seen
    assert "wedi'i gofnodi gan Ymddiriedolaeth Gymunedol Sblot" in seen and "31 Hydref 2029" in seen
    await tom.send_text(f"/dbs {sam_number}")
    assert "recorded by Splott Community Trust, valid until 31 October 2029" in (await tom.next_message()).text
    await sam.send_text(f"/dbs {sam_number}")  # a volunteer sees nobody's
    assert "Only coordinators can record DBS checks" in (await sam.next_message()).text


async def test_the_roster_of_a_shift_needing_dbs_says_whose_check_counts(bot: BotUnderTest) -> None:
    from datetime import date, datetime

    from tests.e2e.test_shifts import make_shift, member_id

    tom = bot.user(6121, "Tom")
    rhi = bot.user(6122, "Rhiannon", language_code="cy")
    await register(bot, tom)
    await register(bot, rhi, language="Cymraeg", neighbourhood="Sblot")
    for coordinator in (6121, 6122):
        await grant(bot, coordinator, Role.COORDINATOR, "splott-community")
    gareth = bot.user(6123, "Gareth")
    await register(bot, gareth)
    await grant(bot, 6123, Role.COORDINATOR, "ely-hub")
    shift_id = await make_shift(bot, 6121, local_start=datetime(2026, 12, 9, 10), activity="holiday-activities")
    sam, ann = bot.user(6124, "Sam"), bot.user(6125, "Ann")
    for volunteer, recorder in ((sam, 6123), (ann, 6121)):  # Sam's check is Ely's, Ann's Splott's
        await register(bot, volunteer)
        volunteer_id = await member_id(bot, volunteer.user_id)
        await bot.services.dbs.record_dbs_check(await member_id(bot, recorder), volunteer_id, date(2026, 11, 1))
        assert (await bot.services.shifts.sign_up(volunteer_id, shift_id)).value == "booked"

    await tom.send_text("/rota")
    await tom.next_message()
    await tom.press("Wed 9 Dec 10:00")
    roster = (await tom.next_event()).text
    assert "Sam: booked · 🛡 DBS check recorded by Ely Community Hub" in roster
    assert "Ann: booked · 🛡 DBS check recorded by Splott Community Trust" in roster
    await rhi.send_text("/rota")
    await rhi.next_message()
    await rhi.press("Mer 9 Rhag 10:00")
    assert "Sam: wedi cofrestru · 🛡 gwiriad DBS wedi'i gofnodi gan Hyb Cymunedol Trelái" in (
        await rhi.next_event()).text
