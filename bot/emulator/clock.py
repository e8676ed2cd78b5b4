"""A hand-driven clock for the emulator's rate limits and callback deadlines.

``TelegramEmulator(clock=ManualClock())`` lets a test jump 15 seconds ahead
instead of sleeping through them.
"""

from __future__ import annotations


class ManualClock:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
