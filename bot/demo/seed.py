"""Demo people: a member in every role, so `/as NAME` shows each side of the bot."""

from __future__ import annotations

from dataclasses import dataclass

from bot.db.models import Role
from bot.services.container import Services
from bot.services.reference import neighbourhoods


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
