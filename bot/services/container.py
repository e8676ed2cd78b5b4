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
from bot.services.activity_types import ActivityTypeService
from bot.services.attendance import AttendanceService
from bot.services.broadcasts import BroadcastService
from bot.services.calendar import CalendarService
from bot.services.cover import FindCover
from bot.services.dbs import DbsService
from bot.services.dialogues import DialogueService
from bot.services.digest import CoordinatorDigests
from bot.services.group_credit import GroupCreditService
from bot.services.hours import HoursService
from bot.services.inbox import InboxService
from bot.services.ledger import Ledger
from bot.services.member_settings import MemberSettingsService
from bot.services.members import MemberService
from bot.services.offers import OfferService
from bot.services.outbox import OutboxService
from bot.services.people import PeopleService
from bot.services.privacy import PrivacyService
from bot.services.reference_cache import ReferenceCache
from bot.services.rota import RotaService
from bot.services.shifts import ShiftService
from bot.services.spending import SpendingService
from bot.services.summary.delivery import SummaryDelivery
from bot.services.summary.service import SummaryService
from bot.services.transfers import TransferService
from bot.services.voucher_desk import VoucherDesk


@dataclass
class Services:
    db: Database
    config: Config
    clock: Clock
    members: MemberService
    member_settings: MemberSettingsService
    dialogues: DialogueService
    privacy: PrivacyService
    outbox: OutboxService
    inbox: InboxService
    ledger: Ledger
    hours: HoursService
    group_credit: GroupCreditService
    people: PeopleService
    spending: SpendingService
    desk: VoucherDesk
    transfers: TransferService
    shifts: ShiftService
    attendance: AttendanceService
    dbs: DbsService
    calendar: CalendarService
    activity_types: ActivityTypeService
    offers: OfferService
    rota: RotaService
    cover: FindCover
    digests: CoordinatorDigests
    reference: ReferenceCache
    broadcasts: BroadcastService
    summaries: SummaryService
    summary_delivery: SummaryDelivery

    @classmethod
    def build(cls, db: Database, config: Config, clock: Clock) -> Services:
        ledger = Ledger(config.ledger)
        shifts = ShiftService(db, config, clock)
        reference = ReferenceCache(db)
        worker = worker_name()
        return cls(
            db=db, config=config, clock=clock, ledger=ledger,
            hours=HoursService(db, config, clock, ledger),
            group_credit=GroupCreditService(db, config, clock, ledger),
            people=PeopleService(db, clock),
            spending=SpendingService(db, config, clock, ledger),
            desk=VoucherDesk(db, clock),
            transfers=TransferService(db, config, clock, ledger),
            members=MemberService(db, config, clock),
            member_settings=MemberSettingsService(db, clock),
            dialogues=DialogueService(db, clock),
            privacy=PrivacyService(db, clock, shifts),
            shifts=shifts,
            attendance=AttendanceService(db, config, clock, ledger),
            dbs=DbsService(db, config, clock),
            calendar=CalendarService(db, config, clock),
            offers=OfferService(db, config, clock),
            rota=RotaService(db, config, clock),
            cover=FindCover(db, config, clock),
            digests=CoordinatorDigests(db, config, clock),
            activity_types=ActivityTypeService(db, config, clock, on_change=reference.invalidate),
            reference=reference,
            outbox=OutboxService(db, clock, worker=worker, max_attempts=config.delivery.max_attempts),
            inbox=InboxService(db, worker=worker),
            broadcasts=BroadcastService(db, config, clock),
            summaries=SummaryService(db, config, clock),
            summary_delivery=SummaryDelivery(db, config, clock),
        )


def worker_name() -> str:
    """Names this process in outbox and inbox leases, so an operator can tell replicas apart."""
    return f"{socket.gethostname()[:30]}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
