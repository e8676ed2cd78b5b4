"""Starting and stopping a bot process: migrations, reference data, polling."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from telegram import Update
from telegram.ext import Application

from bot.app import build_application, enqueue_abandoned
from bot.clock import Clock, SystemClock
from bot.config import Config
from bot.db.migrate import schema_lock, upgrade
from bot.db.session import Database
from bot.delivery.roles import ProcessRole
from bot.services.container import Services
from bot.services.reference import sync_reference_data

log = logging.getLogger(__name__)

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


async def prepare(config: Config, *, clock: Clock | None = None, migrate: bool = True) -> Services:
    """Opens the database, applies migrations and syncs reference data, under the
    schema lock so processes starting together take turns."""
    db = Database.from_url(config.database.url, echo=config.database.echo)
    try:
        async with schema_lock(db):
            if migrate:
                await upgrade(db)
            await sync_reference_data(db, config)
    except BaseException:
        await db.dispose()
        raise
    return Services.build(db, config, clock or SystemClock())


async def start_application(services: Services, *, role: ProcessRole = ProcessRole.ALL, poll_timeout: float = 10.0,
                            outbox_interval: float = 0.5,
                            before_work: Callable[[AnyApplication], None] | None = None,
                            share_of: int = 1) -> AnyApplication:
    """The application built and started, its worker (if any) standing for the lease;
    taking updates in is left to the caller (polling or a webhook). `before_work` sees
    the application before the worker starts (to hook into its terms)."""
    application = build_application(services, poll_timeout=poll_timeout, outbox_interval=outbox_interval,
                                    role=role, share_of=share_of)
    await application.initialize()
    if application.post_init is not None:  # run_polling would call it; we start by hand
        await application.post_init(application)
    await application.start()
    if before_work is not None:
        before_work(application)
    if role.works:
        application.bot_data["worker"].start()
    return application


async def start_polling(services: Services, *, poll_timeout: float = 10.0, outbox_interval: float = 0.5,
                        role: ProcessRole = ProcessRole.ALL,
                        before_work: Callable[[AnyApplication], None] | None = None) -> AnyApplication:
    """Starts this process's role: polling for the ingress, the leader-guarded jobs and
    dispatcher for the worker, both for `all`."""
    application = await start_application(services, role=role, poll_timeout=poll_timeout,
                                          outbox_interval=outbox_interval, before_work=before_work)
    if role.takes_updates:
        # What a previous process received and never handled goes first.
        await enqueue_abandoned(application)
        assert application.updater is not None  # built with the default updater
        await application.updater.start_polling(poll_interval=0.0, timeout=int(poll_timeout),
                                                allowed_updates=Update.ALL_TYPES)
        log.info("bot is polling for updates")
    return application


async def stop(application: AnyApplication) -> None:
    worker = application.bot_data.get("worker")
    if worker is not None:
        await worker.stop()
    if application.updater is not None and application.updater.running:
        await application.updater.stop()
    if application.running:
        await application.stop()  # handles every update already queued
    services: Services = application.bot_data["services"]
    try:
        await services.inbox.release()
    except Exception:
        log.warning("could not let go of this process's inbox claims", exc_info=True)
    await application.shutdown()
