"""What every service that posts to the ledger is made of: the database, the settings,
the clock and the ledger (the container's one, shared, or its own)."""

from __future__ import annotations

from bot.clock import Clock
from bot.config import Config
from bot.db.session import Database
from bot.services.ledger import Ledger


class CreditingService:
    def __init__(self, db: Database, config: Config, clock: Clock, ledger: Ledger | None = None) -> None:
        self.db = db
        self.config = config
        self.clock = clock
        self.ledger = ledger or Ledger(config.ledger)
