"""The services one bot process uses, built once from configuration.

Handlers reach services through this object; nothing here knows Telegram.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass

from bot.clock import Clock
from bot.config import Config
from bot.db.session import Database
from bot.services.dialogues import DialogueService
from bot.services.members import MemberService
from bot.services.outbox import OutboxService
from bot.services.privacy import PrivacyService


@dataclass
class Services:
    db: Database
    config: Config
    clock: Clock
    members: MemberService
    dialogues: DialogueService
    privacy: PrivacyService
    outbox: OutboxService

    @classmethod
    def build(cls, db: Database, config: Config, clock: Clock) -> "Services":
        return cls(
            db=db, config=config, clock=clock,
            members=MemberService(db, config, clock),
            dialogues=DialogueService(db, clock),
            privacy=PrivacyService(db, clock),
            outbox=OutboxService(db, clock, worker=worker_name()),
        )


def worker_name() -> str:
    """Names this process in outbox leases, so an operator can tell replicas apart."""
    return f"{socket.gethostname()[:30]}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
