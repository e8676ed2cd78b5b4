"""Shifts as iCalendar (.ics) files, for a member's phone or computer calendar.

Each shift is a VEVENT whose UID is stable (f"shift-{id}@coprod-bot"), so importing a
newer file updates the event rather than duplicating it, and a cancelled shift (or a
booking the member cancelled) arrives as STATUS:CANCELLED. Times are written in
Europe/London (DTSTART;TZID=Europe/London:...) with the matching VTIMEZONE built from
zoneinfo by icalendar (`Calendar.add_missing_timezones`), so a 10:00 shift shows at
10:00 whichever side of a clock change it falls.

SUMMARY is the activity's name, DESCRIPTION the shift's description (falling back to
the other language when one is empty) and the organisation's name, in the language
asked for; LOCATION is the venue and address; GEO is added when the shift has a
location, URL when the caller gives one (e.g. the bot's deep link to the shift).

No notifications, no writes: read-only transactions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event
from sqlalchemy import Row, Select, select

from bot.clock import Clock
from bot.config import Config
from bot.db.models import (
    ActivityType,
    Member,
    Organisation,
    Shift,
    ShiftSignup,
    ShiftStatus,
    SignupStatus,
)
from bot.db.session import Database

PRODID = "-//coprod-bot//Cardiff timebank shifts//EN"
# How far back a member's calendar reaches (so a cancellation still reaches the phone).
PAST_DAYS = 30


def shift_uid(shift_id: int) -> str:
    return f"shift-{shift_id}@coprod-bot"


@dataclass(frozen=True)
class CalendarShift:
    """What one VEVENT shows; built from the database or directly in tests."""

    shift_id: int
    starts_at: datetime  # aware
    ends_at: datetime
    activity_en: str
    activity_cy: str
    organisation_en: str
    organisation_cy: str
    venue: str
    address: str
    description_en: str
    description_cy: str
    latitude: float | None = None
    longitude: float | None = None
    cancelled: bool = False
    url: str | None = None


def build_calendar(shifts: Iterable[CalendarShift], *, tz: ZoneInfo, language: str, now: datetime,
                   name: str | None = None) -> bytes:
    """The .ics bytes for these shifts, in `language` ("cy" or "en")."""
    welsh = language == "cy"
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    if name:
        calendar.add("x-wr-calname", name)
    shifts = sorted(shifts, key=lambda s: (s.starts_at, s.shift_id))
    for shift in shifts:
        event = Event()
        event.add("uid", shift_uid(shift.shift_id))
        event.add("dtstamp", now)
        event.add("dtstart", shift.starts_at.astimezone(tz))
        event.add("dtend", shift.ends_at.astimezone(tz))
        event.add("summary", shift.activity_cy if welsh else shift.activity_en)
        event.add("location", ", ".join(part for part in (shift.venue, shift.address) if part))
        first, second = ((shift.description_cy, shift.description_en) if welsh
                         else (shift.description_en, shift.description_cy))
        organisation = shift.organisation_cy if welsh else shift.organisation_en
        event.add("description", "\n\n".join(part for part in ((first or second).strip(), organisation) if part))
        if shift.latitude is not None and shift.longitude is not None:
            event.add("geo", (shift.latitude, shift.longitude))
        if shift.url:
            event.add("url", shift.url)
        event.add("status", "CANCELLED" if shift.cancelled else "CONFIRMED")
        calendar.add_component(event)
    if shifts:
        # VTIMEZONE rules covering every event, from zoneinfo.
        calendar.add_missing_timezones(
            first_date=date(min(s.starts_at.astimezone(tz).year for s in shifts), 1, 1),
            last_date=date(max(s.ends_at.astimezone(tz).year for s in shifts) + 2, 1, 1))
    return bytes(calendar.to_ical())


class CalendarService:
    def __init__(self, db: Database, config: Config, clock: Clock) -> None:
        self.db = db
        self.config = config
        self.clock = clock

    async def shift_ics(self, shift_id: int, *, language: str = "en", url: str | None = None) -> bytes | None:
        """One shift as an .ics file; None when there is no such shift."""
        async with self.db.transaction() as session:
            row = (await session.execute(_shift_query().where(Shift.id == shift_id))).first()
        if row is None:
            return None
        return build_calendar([_calendar_shift(row, cancelled=row.Shift.status is ShiftStatus.CANCELLED, url=url)],
                              tz=self.config.tz, language=language, now=self.clock.now())

    async def member_shifts_ics(self, member_id: int, *, language: str | None = None,
                                url_for: Callable[[int], str] | None = None) -> bytes:
        """The member's booked shifts (from PAST_DAYS ago on) as one .ics file.

        Bookings the member cancelled, and shifts cancelled by the organisation, are
        included as STATUS:CANCELLED so a calendar that imported them drops them;
        waitlist places are not (they are not yet a commitment). `language` defaults to
        the member's own.
        """
        now = self.clock.now()
        async with self.db.transaction() as session:
            member = await session.get(Member, member_id)
            if language is None:
                language = (member.language.value if member is not None and member.language is not None
                            else self.config.scheme.default_language)
            rows = (await session.execute(
                _shift_query().add_columns(ShiftSignup.status.label("signup_status"))
                .join(ShiftSignup, ShiftSignup.shift_id == Shift.id)
                .where(ShiftSignup.member_id == member_id, ShiftSignup.booked_at.is_not(None),
                       ShiftSignup.status.in_((SignupStatus.BOOKED, SignupStatus.CANCELLED)),
                       Shift.ends_at >= now - timedelta(days=PAST_DAYS))
                .order_by(Shift.starts_at, ShiftSignup.id))).all()
        events: dict[int, CalendarShift] = {}
        for row in rows:
            live = row.signup_status is SignupStatus.BOOKED
            cancelled = row.Shift.status is ShiftStatus.CANCELLED or not live
            # A member who cancelled and booked again has two sign-ups: the live one wins.
            if row.Shift.id in events and cancelled:
                continue
            events[row.Shift.id] = _calendar_shift(row, cancelled=cancelled,
                                                   url=url_for(row.Shift.id) if url_for else None)
        return build_calendar(events.values(), tz=self.config.tz, language=language, now=now,
                              name=self.config.scheme.name)


def _shift_query() -> Select[Shift, ActivityType, Organisation]:
    return (select(Shift, ActivityType, Organisation)
            .join(ActivityType, ActivityType.id == Shift.activity_type_id)
            .join(Organisation, Organisation.id == Shift.organisation_id))


def _calendar_shift(row: Row[Shift, ActivityType, Organisation], *, cancelled: bool, url: str | None) -> CalendarShift:
    shift: Shift = row.Shift
    return CalendarShift(
        shift_id=shift.id, starts_at=shift.starts_at, ends_at=shift.ends_at,
        activity_en=row.ActivityType.name_en, activity_cy=row.ActivityType.name_cy,
        organisation_en=row.Organisation.name_en, organisation_cy=row.Organisation.name_cy,
        venue=shift.venue, address=shift.address, description_en=shift.description_en,
        description_cy=shift.description_cy, latitude=shift.latitude, longitude=shift.longitude,
        cancelled=cancelled, url=url)
