"""A broadcast to a thousand members through the emulator with Telegram's limits on (no
per-chat burst: a second message to a chat within a second is a 429): composed and confirmed
in the bot by an admin, every recipient reached once, no 429, the progress message edited
as it goes, and the report's figures equal to what the emulator counted."""

from __future__ import annotations

import asyncio
import re
from collections import Counter

from bot.clock import FrozenClock
from bot.db.session import Database
from bot.emulator import EmulatedUser, TelegramEmulator
from tests.delivery.queueing import FIRST_USER_ID, add_members
from tests.delivery.test_delivery_emulator import bot_config, log_flood_control, strict  # noqa: F401  (fixture)
from tests.e2e.conftest import ADMIN_ID, running_bot

MEMBERS = 1000
BLOCKED = 7  # blocked the bot before it went: unreachable in the report


async def step(user: EmulatedUser, action: str | int, *, text: bool = False):  # noqa: ANN201
    """One step of the admin's dialogue, a little over a second apart: one chat gets at
    most one message a second, and these emulator limits refuse a second one."""
    await asyncio.sleep(1.1)
    if text:
        await user.send_text(str(action))
    else:
        await user.press(action)
    return await user.next_event(timeout=10)


async def test_a_thousand_recipient_broadcast_goes_once_to_each_without_a_429_and_reports_what_happened(
        strict: TelegramEmulator, db: Database, clock: FrozenClock) -> None:  # noqa: F811
    await add_members(db, MEMBERS, now=clock.now())
    users = [strict.user(FIRST_USER_ID + n) for n in range(MEMBERS)]
    for user in users[:BLOCKED]:
        user.blocked = True
    judged = log_flood_control(strict)
    async with running_bot(strict, bot_config(strict, db), clock) as bot:  # asserts no rejections at the end
        admin = bot.user(ADMIN_ID, "Admin")
        # Registered already (registering sends two messages within a second, which these limits refuse).
        await bot.services.members.register(ADMIN_ID, language="en", display_name="Admin", neighbourhood_id=None)
        await step(admin, "/broadcast", text=True)
        await step(admin, "Skip")
        audience = await step(admin, "The summer fair needs you!", text=True)
        assert "It would go to 1,000 volunteers now." in audience.text
        await step(admin, "Preview")
        await asyncio.sleep(1.1)
        await admin.press("📣")
        shown: list[str] = []
        deadline = asyncio.get_running_loop().time() + 120
        while asyncio.get_running_loop().time() < deadline:
            event = await admin.next_event(timeout=60)
            shown.append(event.text)
            if "Broadcast sent" in event.text:
                break
        others = [rejection for rejection in strict.rejections if rejection[1] != 403]
        assert others == [], [(at, chat) for at, chat, ok in judged if not ok]  # only the members who blocked the bot refused it: not one 429
        strict.forget_rejections("sendMessage")
    assert all(accepted for _, _, accepted in judged), "a 429"
    received = Counter(message.chat_id for user in users for message in user.messages)
    assert received == Counter({FIRST_USER_ID + n: 1 for n in range(BLOCKED, MEMBERS)})
    report = shown[-1]
    assert "Broadcast sent</b>: 1,000 / 1,000" in report or "Broadcast sent: 1,000 / 1,000" in report
    delivered = int(re.search(r"Delivered: ([\d,]+)", report).group(1).replace(",", ""))
    unreachable = int(re.search(r"Unreachable \(blocked the bot\): ([\d,]+)", report).group(1).replace(",", ""))
    assert (delivered, unreachable) == (sum(received.values()), BLOCKED)
    assert "Failed: 0" in report and "Switched broadcasts off: 0" in report
    # Progress as it went: counts that only grow, with the thousands written as people read them.
    counts = [int(found.replace(",", "")) for text in shown
              for found in re.findall(r"Sending your broadcast: ([\d,]+) / 1,000 sent", text)]
    assert len(counts) >= 3 and counts == sorted(counts) and counts[-1] < MEMBERS
