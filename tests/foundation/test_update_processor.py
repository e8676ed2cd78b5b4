"""The update processor keeps each chat's updates in arrival order while different
chats run side by side, never more than its bound at once."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime

from hypothesis import given, settings, strategies as st
from telegram import Chat, Message, Update

from bot.update_processor import ChatOrderedProcessor

EPOCH = 1_700_000_000


def update(update_id: int, chat_id: int) -> Update:
    message = Message(update_id, datetime.fromtimestamp(EPOCH, UTC), Chat(chat_id, Chat.PRIVATE))
    return Update(update_id, message=message)


@settings(max_examples=25, deadline=None)
@given(chats=st.lists(st.integers(1, 6), min_size=1, max_size=60), seed=st.integers(0, 2**16))
def test_each_chat_in_order_different_chats_side_by_side(chats: list[int], seed: int) -> None:
    async def run() -> None:
        processor = ChatOrderedProcessor(4)
        pauses = random.Random(seed)
        handled: list[tuple[int, int]] = []
        running: dict[str, int] = {"now": 0, "most": 0}

        async def handle(update_id: int, chat_id: int) -> None:
            running["now"] += 1
            running["most"] = max(running["most"], running["now"])
            await asyncio.sleep(pauses.random() / 500)  # handlers take different times
            handled.append((chat_id, update_id))
            running["now"] -= 1

        # As python-telegram-bot does it: one task per update, created in arrival order.
        await asyncio.gather(*(asyncio.create_task(processor.process_update(update(n, chat), handle(n, chat)))
                               for n, chat in enumerate(chats)))
        for chat in set(chats):
            assert [n for c, n in handled if c == chat] == [n for n, c in enumerate(chats) if c == chat]
        assert running["most"] <= min(4, len(set(chats)))
        assert processor.chats_waiting == 0  # nothing kept for chats that went quiet

    asyncio.run(run())


async def test_a_busy_chat_does_not_take_the_slots_other_chats_need() -> None:
    processor = ChatOrderedProcessor(2)
    release = asyncio.Event()

    async def slow() -> None:
        await release.wait()

    async def quick() -> None:
        pass

    # Ten updates queued behind one slow update of chat 1: chat 2 still runs.
    busy = [asyncio.create_task(processor.process_update(update(n, 1), slow())) for n in range(10)]
    await asyncio.wait_for(processor.process_update(update(10, 2), quick()), 1)
    release.set()
    await asyncio.gather(*busy)
