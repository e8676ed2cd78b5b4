"""Who may press what: every privileged command and button the registry declares, against
each kind of member, as the dispatcher decides it at the first press.

The table below is the scheme's policy written out. It must name every privileged
command and button the registry has, and no others: a new privileged command without a
row here fails, and so does a command whose role was dropped.

"Coordinator elsewhere" (of another organisation) passes the role check; which shift or
entry is theirs is the services' rule, asked before any prompt
(tests/e2e/test_authorisation.py presses each such button as one).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

import handlers
from bot.db.models import MemberKind, Role
from bot.services.members import MemberView
from handlers.routing import Needs


def persona(grants: set[tuple[Role, int | None]] = frozenset(), *, admin: bool = False) -> MemberView:  # type: ignore[assignment]
    return MemberView(id=1, kind=MemberKind.INDIVIDUAL, telegram_user_id=1, display_name="Sam", language="en",
                      neighbourhood_id=None, registered_at=datetime(2026, 1, 1, tzinfo=UTC),
                      is_admin=admin, grants=frozenset(grants))


OTHER_ORGANISATION = 2
PERSONAS = {
    "volunteer": persona(),
    "coordinator elsewhere": persona({(Role.COORDINATOR, OTHER_ORGANISATION)}),
    "partner": persona({(Role.PARTNER, 3)}),
    "staff": persona({(Role.STAFF, 1)}),
    "admin": persona({(Role.ADMIN, None)}, admin=True),
}

COORDINATORS = {"coordinator elsewhere"}
STAFF_AND_ADMINS = {"staff", "admin"}
PARTNERS = {"partner"}
ADMINS = {"admin"}

# route -> the personas the dispatcher lets through; everyone else is refused at once.
POLICY: dict[str, set[str]] = {
    **{f"command /{name}": COORDINATORS for name in ("approvals", "newshift", "people", "groupcredit")},
    # A DBS check is recorded by another coordinator or by TSO staff (never by oneself).
    "command /dbs": COORDINATORS | {"staff"},
    "command /activities": STAFF_AND_ADMINS,
    "command /redeem": PARTNERS,
    "command /grant": ADMINS,
    "command /revoke": ADMINS,
    # hours
    "button appr": COORDINATORS, "button appr-all": COORDINATORS,
    # creating, editing and cancelling shifts
    **{f"button {prefix}": COORDINATORS for prefix in (
        "nsh-act", "nsh-org", "nsh-hood", "nsh-skip", "nsh-dbs", "nsh-rep", "nsh-create",
        "shc-edit", "shc-field", "shc-cancel")},
    # attendance
    "button att": COORDINATORS, "button att-m": COORDINATORS, "button att-ok": COORDINATORS,
    # members without Telegram, and crediting a whole activity
    **{f"button {prefix}": COORDINATORS for prefix in (
        "ppl", "ppl-pg", "ppl-add", "ppl-hood", "ppl-log", "ppl-spend", "ppl-buy",
        "gc-act", "gc-org", "gc-date", "gc-pg", "gc-grp", "gc-no", "gc-ok")},
    "button act-t": STAFF_AND_ADMINS,
    # the rota
    "command /rota": COORDINATORS, "button rota": COORDINATORS, "button rota-s": COORDINATORS,
    # offers (spend opportunities) managed in the bot
    "command /offers": STAFF_AND_ADMINS,
    **{f"button {prefix}": STAFF_AND_ADMINS for prefix in (
        "off-l", "off-c", "off-a", "off-o", "off-k", "off-skip", "off-clr", "off-ok", "off-x", "off-xe", "off-e",
        "off-f", "off-p")},
    "button grant": ADMINS,
    # broadcasts: coordinators and admins; whom they reach and whose broadcast they may stop is the service's
    "command /broadcast": COORDINATORS | ADMINS, "command /broadcasts": COORDINATORS | ADMINS,
    **{f"button {prefix}": COORDINATORS | ADMINS for prefix in (
        "bc-skip", "bc-n", "bc-a", "bc-d", "bc-sl", "bc-s", "bc-g", "bc-p", "bc-b", "bc-ok", "bc-x", "bc-stop")},
    # weekly summaries: which scope is the service's rule, asked at every press
    "command /summary": STAFF_AND_ADMINS,
    **{f"button {prefix}": STAFF_AND_ADMINS for prefix in ("sum-s", "sum-e", "sum-w", "sum-f")},
    # Find cover sends a shift to volunteers: a coordinator's (of that shift's organisation, the service checks).
    "button cover": COORDINATORS,
}


def privileged_routes() -> dict[str, Needs]:
    registry = handlers.build_registry()
    routes = {f"command /{name}": route.needs for name, route in registry.commands.items()}
    routes |= {f"button {prefix}": route.needs for prefix, route in registry.callbacks.items()}
    return {key: needs for key, needs in routes.items() if needs.roles}


def test_the_policy_names_every_privileged_command_and_button() -> None:
    declared = set(privileged_routes())
    assert declared - set(POLICY) == set(), "privileged, but no row in POLICY: add one"
    assert set(POLICY) - declared == set(), "a row in POLICY for what is no longer privileged"


@pytest.mark.parametrize("route", sorted(POLICY))
@pytest.mark.parametrize("who", sorted(PERSONAS))
def test_each_role_is_let_through_or_refused_at_the_first_press(route: str, who: str) -> None:
    needs = privileged_routes()[route]
    assert needs.allows(PERSONAS[who]) is (who in POLICY[route])


def test_someone_not_registered_passes_no_role_check() -> None:
    assert not any(needs.allows(None) for needs in privileged_routes().values())
