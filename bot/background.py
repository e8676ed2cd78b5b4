"""Background tasks of a process (polling nudges, the leader's lease, the dispatcher's
loops, the emulator's webhook pusher), and the one way they are stopped."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any


async def cancel_and_wait(*tasks: asyncio.Task[Any] | None) -> None:
    """Cancel the tasks (None: none was started) and wait until each has ended, so that
    nothing it does overlaps what the caller closes next. All are cancelled before any is
    waited for, so they wind down together; one that had failed raises its error here."""
    running = [task for task in tasks if task is not None]
    for task in running:
        task.cancel()
    for task in running:
        with contextlib.suppress(asyncio.CancelledError):
            await task
