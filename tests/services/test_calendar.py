"""Shifts as .ics files, read back with icalendar: London wall times either side of
the clock change, a VTIMEZONE that agrees, stable UIDs, cancelled events."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from icalendar import Calendar

from bot.services.calendar import CalendarService, shift_uid
from shift_helpers import LONDON, World, london, world  # noqa: F401  (world is a fixture)


def _events(ics: bytes) -> dict[str, object]:
    calendar = Calendar.from_ical(ics)
    return {str(event["UID"]): event for event in calendar.events}


async def test_both_sides_of_the_october_clock_change(world: World) -> None:
    world.clock.set(datetime(2026, 10, 1, 9, tzinfo=timezone.utc))
    calendars = CalendarService(world.db, world.config, world.clock)
    saturday = await world.shift(starts_at=london(2026, 10, 24, 10), hours=2)  # BST
    monday = await world.shift(starts_at=london(2026, 10, 26, 10), hours=2)  # GMT, after 25 Oct

    for shift_id, utc_hour in ((saturday, 9), (monday, 10)):
        ics = await calendars.shift_ics(shift_id, language="en")
        assert ics is not None
        calendar = Calendar.from_ical(ics)
        [event] = calendar.events
        assert "DTSTART;TZID=Europe/London:202610" in ics.decode()
        start, end = event.start, event.end
        assert (start.hour, start.minute, end.hour) == (10, 0, 12)
        assert str(start.tzinfo) == "Europe/London"
        assert start.astimezone(timezone.utc).hour == utc_hour
        assert start.astimezone(timezone.utc) == datetime(2026, 10, start.day, utc_hour, tzinfo=timezone.utc)
        # The VTIMEZONE in the file gives the same offsets as zoneinfo (for readers that use it).
        [vtimezone] = calendar.timezones
        assert vtimezone.tz_name == "Europe/London"
        from_file = vtimezone.to_tz()
        local = start.replace(tzinfo=None)
        assert from_file.utcoffset(local) == timedelta(hours=1 if utc_hour == 9 else 0)
        assert calendar.get_missing_tzids() == set()


async def test_a_shift_event_in_welsh_and_english(world: World) -> None:
    calendars = CalendarService(world.db, world.config, world.clock)
    shift_id = await world.shift(activity="day-centre", latitude=51.4816, longitude=-3.1528,
                                 description_en="Tea and company", description_cy="Te a chwmni")
    welsh = _events(await calendars.shift_ics(shift_id, language="cy", url="https://t.me/coprod_test_bot?start=s1"))
    english = _events(await calendars.shift_ics(shift_id, language="en"))
    uid = shift_uid(shift_id)
    assert uid == f"shift-{shift_id}@coprod-bot"
    cy, en = welsh[uid], english[uid]
    assert str(cy["SUMMARY"]) == "Canolfan ddydd i bobl hŷn" and str(en["SUMMARY"]) == "Seniors' day centre"
    assert str(cy["DESCRIPTION"]) == "Te a chwmni\n\nYmddiriedolaeth Gymunedol Sblot"
    assert str(en["DESCRIPTION"]) == "Tea and company\n\nSplott Community Trust"
    assert str(en["LOCATION"]) == "Splott Community Centre, Muirton Road, Cardiff"
    assert str(en["STATUS"]) == "CONFIRMED"
    assert (en["GEO"].latitude, en["GEO"].longitude) == (51.4816, -3.1528)
    assert str(cy["URL"]) == "https://t.me/coprod_test_bot?start=s1" and "URL" not in en
    assert en["DTSTAMP"].dt == world.clock.now()
    assert await calendars.shift_ics(99_999) is None


async def test_an_empty_description_falls_back_to_the_other_language(world: World) -> None:
    calendars = CalendarService(world.db, world.config, world.clock)
    shift_id = await world.shift(description_en="Bring gloves", description_cy="")
    event = _events(await calendars.shift_ics(shift_id, language="cy"))[shift_uid(shift_id)]
    assert str(event["DESCRIPTION"]).startswith("Bring gloves")


async def test_a_members_calendar(world: World) -> None:
    calendars = CalendarService(world.db, world.config, world.clock)
    me = await world.member("Rhys", language="cy")
    now = world.clock.now()
    booked = await world.shift(starts_at=now + timedelta(days=2))
    later = await world.shift(starts_at=now + timedelta(days=9), activity="holiday-activities", requires_dbs=False)
    left = await world.shift(starts_at=now + timedelta(days=3))
    rebooked = await world.shift(starts_at=now + timedelta(days=4))
    cancelled = await world.shift(starts_at=now + timedelta(days=5))
    full = await world.shift(starts_at=now + timedelta(days=6), capacity=1)
    someone_elses = await world.shift(starts_at=now + timedelta(days=7))
    for shift_id in (booked, later, left, rebooked, cancelled):
        await world.shifts.sign_up(me, shift_id)
    await world.shifts.leave(me, left)
    await world.shifts.leave(me, rebooked)
    await world.shifts.sign_up(me, rebooked)
    await world.shifts.cancel_shift(world.coordinator, cancelled)
    await world.shifts.sign_up(await world.member("Other"), full)
    await world.shifts.join_waitlist(me, full)
    await world.shifts.sign_up(await world.member("Other 2"), someone_elses)

    ics = await calendars.member_shifts_ics(
        me, url_for=lambda shift_id: f"https://t.me/coprod_test_bot?start={shift_id}")
    events = _events(ics)
    assert set(events) == {shift_uid(s) for s in (booked, later, left, rebooked, cancelled)}
    status = {uid: str(event["STATUS"]) for uid, event in events.items()}
    assert status == {shift_uid(booked): "CONFIRMED", shift_uid(later): "CONFIRMED",
                      shift_uid(rebooked): "CONFIRMED", shift_uid(left): "CANCELLED",
                      shift_uid(cancelled): "CANCELLED"}
    assert str(events[shift_uid(later)]["SUMMARY"]) == "Gweithgareddau gwyliau i blant"  # the member's language
    assert str(events[shift_uid(booked)]["URL"]).endswith(f"start={booked}")
    english = _events(await calendars.member_shifts_ics(me, language="en"))
    assert str(english[shift_uid(later)]["SUMMARY"]) == "Children's holiday activities"

    # Long past shifts drop out; a member with nothing gets a valid, empty calendar.
    world.clock.advance(days=40)
    assert _events(await calendars.member_shifts_ics(me)) == {}
    assert Calendar.from_ical(await calendars.member_shifts_ics(await world.member("New"))).events == []


async def test_a_weekly_series_across_the_march_change(world: World) -> None:
    world.clock.set(datetime(2026, 3, 1, 9, tzinfo=timezone.utc))
    calendars = CalendarService(world.db, world.config, world.clock)
    me = await world.member()
    created = await world.shifts.create_shifts(world.coordinator, world.draft(starts_at=london(2026, 3, 23, 10)),
                                               repeat_weeks=2)
    for shift_id in created.shift_ids:  # type: ignore[union-attr]
        await world.shifts.sign_up(me, shift_id)
    events = sorted(Calendar.from_ical(await calendars.member_shifts_ics(me)).events, key=lambda e: e.start)
    assert [(e.start.astimezone(LONDON).hour, e.start.astimezone(timezone.utc).hour) for e in events] == [
        (10, 10), (10, 9)]
