"""Demo people: a member in every role, so `/as NAME` shows each side of the bot."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from bot.db.models import Role
from bot.services.container import Services
from bot.services.hours import LoggedEntry
from bot.services.reference import activity_types, neighbourhoods, organisations
from bot.services.shift_authoring import ShiftDraft, ShiftsCreated
from bot.services.spending import OpportunitySeed


class DemoClock:
    """The system clock, which the seed winds back for a moment to book a shift that has
    ended by the time the demo starts (the services refuse to book one in the past)."""

    def __init__(self) -> None:
        self._offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    @contextmanager
    def back(self, by: timedelta) -> Iterator[None]:
        self._offset = -by
        try:
            yield
        finally:
            self._offset = timedelta(0)


@dataclass(frozen=True)
class Persona:
    key: str
    telegram_user_id: int
    name: str
    language: str
    neighbourhood: str | None
    roles: tuple[tuple[Role, str | None], ...] = ()
    registered: bool = True
    describe: str = ""


PERSONAS = (
    Persona("ceri", 1001, "Ceri", "cy", "ely", describe="resident, speaks Welsh"),
    Persona("sam", 1002, "Sam", "en", "splott", describe="resident, speaks English"),
    Persona("rhiannon", 2001, "Rhiannon", "cy", "ely", ((Role.COORDINATOR, "ely-caerau-trust"),),
            describe="volunteer coordinator, Ely and Caerau Community Trust"),
    Persona("tom", 2002, "Tom", "en", "splott", ((Role.COORDINATOR, "splott-hub"),
                                                 (Role.COORDINATOR, "tremorfa-playscheme")),
            describe="volunteer coordinator, Splott Community Hub"),
    Persona("gareth", 3001, "Gareth", "en", None, ((Role.STAFF, "coproduction-network"),),
            describe="TSO staff, Cardiff Co-production Network"),
    Persona("leisure", 4001, "Leisure desk", "en", None, ((Role.PARTNER, "cardiff-council"),),
            describe="partner staff at a council leisure centre"),
    Persona("admin", 9001, "Admin", "en", None, ((Role.ADMIN, None),), describe="scheme administrator"),
    Persona("newcomer", 5001, "Nia", "cy", None, registered=False,
            describe="not registered yet: try /start"),
)


async def seed_demo(services: Services) -> None:
    hoods = {item.slug: item.id for item in await neighbourhoods(services.db)}
    for persona in PERSONAS:
        if not persona.registered:
            continue
        await services.members.register(persona.telegram_user_id, language=persona.language,
                                        display_name=persona.name,
                                        neighbourhood_id=hoods.get(persona.neighbourhood or ""))
        for role, organisation in persona.roles:
            await services.members.grant(actor_member_id=None, role=role,
                                         telegram_user_id=persona.telegram_user_id,
                                         organisation_slug=organisation)


OPPORTUNITIES = (
    OpportunitySeed(slug="swim-eastern", organisation="cardiff-council", kind="corporate",
                    name_en="Swimming session", name_cy="Sesiwn nofio", venue="Eastern Leisure Centre",
                    cost_minutes=60, neighbourhood="llanrumney",
                    description_en="One adult swim, any public session.",
                    description_cy="Un sesiwn nofio i oedolyn, unrhyw sesiwn gyhoeddus."),
    OpportunitySeed(slug="gym-ely", organisation="cardiff-council", kind="corporate",
                    name_en="Gym session", name_cy="Sesiwn yn y gampfa", venue="Western Leisure Centre",
                    cost_minutes=60, neighbourhood="ely"),
    OpportunitySeed(slug="cafe-lunch", organisation="splott-hub", kind="community",
                    name_en="Community cafe lunch", name_cy="Cinio yn y caffi cymunedol", venue="Splott Community Hub",
                    cost_minutes=60, neighbourhood="splott",
                    description_en="Soup, a sandwich and a cuppa, cooked by volunteers.",
                    description_cy="Cawl, brechdan a phaned, wedi'u coginio gan wirfoddolwyr."),
    OpportunitySeed(slug="coast-trip", organisation="ely-caerau-trust", kind="community",
                    name_en="Family trip to Barry Island", name_cy="Trip teulu i Ynys y Barri",
                    venue="Ely and Caerau Community Trust", cost_minutes=180, neighbourhood="ely"),
)


async def seed_activity(services: Services, clock: DemoClock) -> None:
    """Spend opportunities, a group, upcoming shifts and some credits, so every menu has
    something in it; a shift that has just ended and one about to start, so attendance and
    reminders can be tried at once."""
    await services.spending.upsert_opportunities(OPPORTUNITIES)
    hoods = {item.slug: item.id for item in await neighbourhoods(services.db)}
    await services.members.create_group("Tremorfa Allotment Group", neighbourhood_id=hoods["splott"])
    ids = {item.slug: item.id for item in [*await organisations(services.db), *await activity_types(services.db)]}
    by_key: dict[str, int] = {}  # persona key: member id
    for persona in PERSONAS:
        if persona.registered:
            member = await services.members.by_telegram_id(persona.telegram_user_id)
            assert member is not None, persona.key  # registered above
            by_key[persona.key] = member.id
    tz = services.config.tz
    today = services.clock.now().astimezone(tz).date()
    plans = [  # (coordinator, organisation, activity, neighbourhood, venue, days ahead, start, hours, places, weeks)
        ("rhiannon", "ely-caerau-trust", "day-centre", "ely", "Ely Day Centre", 2, time(10), 3, 4, 4),
        ("rhiannon", "ely-caerau-trust", "holiday-activities", "ely", "Caerau Park", 5, time(13), 2.5, 6, 1),
        ("tom", "splott-hub", "community-hub", "splott", "Splott Community Hub", 1, time(9, 30), 2, 3, 6),
        ("tom", "tremorfa-playscheme", "holiday-activities", "splott", "Tremorfa Park", 9, time(10), 4, 8, 1),
    ]
    for key, organisation, activity, hood, venue, ahead, start, hours, places, weeks in plans:
        local = datetime.combine(today + timedelta(days=ahead), start, tzinfo=tz)
        await services.shifts.create_shifts(by_key[key], ShiftDraft(
            organisation_id=ids[organisation], activity_type_id=ids[activity], neighbourhood_id=hoods[hood],
            venue=venue, starts_at=local.astimezone(UTC),
            ends_at=(local + timedelta(hours=hours)).astimezone(UTC), capacity=places, minimum=1,
            description_en="Friendly help needed; we'll show you what to do.",
            description_cy="Angen help cyfeillgar; byddwn ni'n dangos i chi beth i'w wneud."), repeat_weeks=weeks)
    # Ceri has given time already (approved by Rhiannon); Sam's hours wait for Tom.
    ceri, sam = by_key["ceri"], by_key["sam"]
    for days_ago, minutes in ((6, 180), (3, 150)):
        logged = await services.hours.log_hours(
            ceri, organisation_id=ids["ely-caerau-trust"], activity_type_id=ids["day-centre"],
            worked_on=today - timedelta(days=days_ago), minutes=minutes, note=None, submitted_by_member_id=ceri,
            idempotency_key=f"demo:ceri:{days_ago}")
        assert isinstance(logged, LoggedEntry), logged
        await services.hours.approve(logged.entry_id, coordinator_member_id=by_key["rhiannon"])
    await services.hours.log_hours(
        sam, organisation_id=ids["splott-hub"], activity_type_id=ids["community-hub"],
        worked_on=today - timedelta(days=1), minutes=120, note="Helped at the food bank table",
        submitted_by_member_id=sam, idempotency_key="demo:sam:1")
    await _seed_just_ended_and_about_to_start(services, clock, by_key, ids, hoods)


async def _seed_just_ended_and_about_to_start(services: Services, clock: DemoClock, by_key: dict[str, int],
                                              ids: dict[str, int], hoods: dict[str, int]) -> None:
    """Tom's hub shift ended 20 minutes ago with Ceri and Sam booked (Tom is asked who came);
    Ceri is booked on one starting in two hours (she is reminded)."""
    now = services.clock.now().replace(second=0, microsecond=0)
    now -= timedelta(minutes=now.minute % 5)  # times a person would choose: 09:35, not 09:37
    ended = now - timedelta(minutes=20)
    starts = ended - timedelta(hours=2)
    with clock.back(timedelta(hours=3)):  # before it started, when booking it was still allowed
        created = await services.shifts.create_shifts(by_key["tom"], _hub_shift(ids, hoods, starts, ended))
        assert isinstance(created, ShiftsCreated), created
        for key in ("ceri", "sam"):
            await services.shifts.sign_up(by_key[key], created.shift_ids[0])
    soon = now + timedelta(hours=2)
    with clock.back(timedelta(hours=1)):  # booked before her 2-hour reminder time, so it is due now
        created = await services.shifts.create_shifts(by_key["tom"],
                                                      _hub_shift(ids, hoods, soon, soon + timedelta(hours=2)))
        assert isinstance(created, ShiftsCreated), created
        await services.shifts.sign_up(by_key["ceri"], created.shift_ids[0])
    await services.shifts.queue_due()  # now, not at the worker's first round: both show at once


def _hub_shift(ids: dict[str, int], hoods: dict[str, int], starts: datetime, ends: datetime) -> ShiftDraft:
    return ShiftDraft(
        organisation_id=ids["splott-hub"], activity_type_id=ids["community-hub"], neighbourhood_id=hoods["splott"],
        venue="Splott Community Hub", starts_at=starts, ends_at=ends, capacity=4, minimum=1,
        description_en="Sorting the food bank shelves.", description_cy="Trefnu silffoedd y banc bwyd.")
