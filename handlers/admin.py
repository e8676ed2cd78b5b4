"""Admins granting and revoking roles from inside the bot.

`/grant ROLE TELEGRAM_USER_ID [ORGANISATION]` asks for confirmation; what is to be
granted waits in the admin's dialogue row, so the confirm button carries nothing worth
forging, and the service checks the presser is an admin again when it is pressed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.db.models import Role
from bot.i18n import N_, translator
from bot.services.members import GrantOutcome
from handlers.base import MemberTurn
from handlers.callback_data import CallbackData
from handlers.command_menu import refresh_command_menu
from handlers.refusals import RefusalTable, Say
from handlers.routing import Router
from handlers.widgets import button, keyboard
from handlers.wording import role_label

FLOW = "grant"

router = Router("admin")
router.menu_item(95, N_("🔑 Grant a role"), "grant")


@dataclass(frozen=True)
class ConfirmGrant(CallbackData, prefix="grant"):
    answer: Literal["yes", "no"]


GRANTS = RefusalTable(GrantOutcome, {
    GrantOutcome.GRANTED: Say(N_("Done: the role is granted.")),
    GrantOutcome.ALREADY_HELD: Say(N_("They already hold that role.")),
    GrantOutcome.REVOKED: Say(N_("Done: the role is revoked.")),
    GrantOutcome.NOT_HELD: Say(N_("They do not hold that role.")),
    GrantOutcome.NOT_ADMIN: Say(N_("Only admins can grant or revoke roles.")),
    GrantOutcome.UNKNOWN_MEMBER: Say(N_("No registered member has that Telegram id.")),
    GrantOutcome.UNKNOWN_ORGANISATION: Say(N_("There is no organisation with that short name.")),
    GrantOutcome.ORGANISATION_REQUIRED: Say(N_("That role needs an organisation's short name.")),
    GrantOutcome.ORGANISATION_NOT_ALLOWED: Say(N_("The admin role is not tied to an organisation.")),
})


async def _ask(turn: MemberTurn, args: list[str], *, grant: bool) -> None:
    _ = turn.t
    roles = {role.value: role for role in Role}
    telegram_user_id = args[1] if len(args) in (2, 3) else ""
    # Telegram user ids run to ten digits and more, past what `number` accepts.
    if (len(args) not in (2, 3) or args[0].lower() not in roles or not telegram_user_id.isascii()
            or not telegram_user_id.isdigit() or len(telegram_user_id) > 15):
        await turn.reply(_.gettext("Write it like this: /{command} ROLE TELEGRAM_USER_ID [ORGANISATION]\n"
                                   "Roles: coordinator, staff, partner, admin.",
                                   command="grant" if grant else "revoke"))
        return
    role = roles[args[0].lower()]
    organisation = args[2].lower() if len(args) == 3 else None
    await turn.set_dialogue(FLOW, "confirm", grant=grant, role=role.value, telegram_user_id=int(telegram_user_id),
                            organisation=organisation)
    where = " (" + organisation + ")" if organisation else ""
    question = (_.gettext("Grant the role {role} to Telegram user {user}{where}?", role=role_label(_, role),
                          user=args[1], where=where)
                if grant else
                _.gettext("Revoke the role {role} from Telegram user {user}{where}?", role=role_label(_, role),
                          user=args[1], where=where))
    await turn.reply(question, keyboard([button(_.gettext("Confirm"), ConfirmGrant("yes")),
                                         button(_.gettext("Cancel"), ConfirmGrant("no"))]))


@router.command("grant", roles={Role.ADMIN})
async def grant(turn: MemberTurn, args: list[str]) -> None:
    await _ask(turn, args, grant=True)


@router.command("revoke", roles={Role.ADMIN})
async def revoke(turn: MemberTurn, args: list[str]) -> None:
    await _ask(turn, args, grant=False)


# A non-admin pressing a forged button finds no grant dialogue (expired) or, if their role
# went meanwhile, is refused: they learn nothing and change nothing.
@router.callback(ConfirmGrant, roles={Role.ADMIN}, flow=FLOW, steps={"confirm"})
async def confirmed(turn: MemberTurn, data: ConfirmGrant) -> None:
    _ = turn.t
    pending = turn.state.data
    if data.answer != "yes":
        await turn.end_dialogue()
        await turn.show(_.gettext("Nothing was changed."))
        return
    # The change ends the dialogue in its own transaction: pressed again (or handled
    # again after a crash), "Confirm" is answered as the first press was.
    change = turn.services.members.grant if pending["grant"] else turn.services.members.revoke
    outcome = await change(actor_member_id=turn.member.id, role=Role(pending["role"]),
                           telegram_user_id=pending["telegram_user_id"], organisation_slug=pending["organisation"],
                           completion=turn.completion())
    await turn.show(GRANTS.say(turn.t, outcome))
    if outcome in (GrantOutcome.GRANTED, GrantOutcome.REVOKED):
        target = await turn.services.members.by_telegram_id(pending["telegram_user_id"])
        if target is not None:  # their command menu now shows (or hides) the role's commands
            await refresh_command_menu(turn.context, pending["telegram_user_id"], target,
                                       translator(target.language, turn.services.config.tz))
