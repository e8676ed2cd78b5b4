"""Building the python-telegram-bot Application around the services."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from telegram import BotCommandScopeDefault, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import Application, ApplicationBuilder, ContextTypes, Defaults
from telegram.request import HTTPXRequest

from bot.delivery.dispatcher import Dispatcher, DispatcherSettings
from bot.delivery.lanes import TwoLanes
from bot.delivery.pacing import PaceLimits, Pacer
from bot.delivery.roles import ProcessRole
from bot.delivery.worker import ScheduledJob, Worker
from bot.i18n import LANGUAGES, translator
from bot.metrics import Metrics
from bot.services.container import Services
from bot.services.inbox import marks_committed
from bot.tolerant_bot import TolerantBot
from bot.update_processor import ChatOrderedProcessor

log = logging.getLogger(__name__)

OUTBOX_INTERVAL_SECONDS = 0.5  # how often an idle dispatcher looks for due notifications
VOUCHER_EXPIRY_INTERVAL_SECONDS = 15 * 60
REMINDER_INTERVAL_SECONDS = 5 * 60
BROADCAST_PROGRESS_INTERVAL_SECONDS = 3  # a broadcast's progress message is edited at most this often
HOUSEKEEPING_INTERVAL_SECONDS = 60 * 60
SUMMARY_INTERVAL_SECONDS = 60  # the weekly summary goes within a minute of its time
# Updates of different chats handled at once: enough that a slow write for one member
# never holds up the others, few enough to stay inside the database's connection pool.
UPDATES_RUNNING = 16


class InboxApplication(Application[Any, Any, Any, Any, Any, Any]):
    """Marks each update handled in the inbox once its handlers have run. An update whose
    handling was cut short by the process dying stays "received" and is handled by the
    next process; one handed on only to move the offset (see TolerantBot) is not marked.
    Updates run concurrently (ChatOrderedProcessor), so the mark is made per update, in
    the task that handled it, each chat's in its order."""

    async def process_update(self, update: object) -> None:
        services: Services = self.bot_data["services"]
        # The update's look-ups (member, dialogue, what the handler reads) share one
        # read-only transaction (bot/db/session.py).
        with marks_committed() as marked:
            async with services.db.reads_together():
                await super().process_update(update)
        bot = self.bot
        if isinstance(update, Update) and isinstance(bot, TolerantBot) and bot.inbox is not None \
                and update.update_id in bot.claimed:
            deferred = bot.deferred_for(update.update_id)
            if deferred is not None:
                await bot.inbox.hand_back(update.update_id, after=timedelta(seconds=deferred))
                log.warning("update %s handed back to the inbox: Telegram held its answer back; "
                            "it is handled again in %.0f s", update.update_id, deferred)
            elif update.update_id not in marked:  # a dialogue step's transaction marked it already
                await bot.inbox.mark_handled(update.update_id)
            bot.handled(update.update_id)


async def enqueue_abandoned(application: Application[Any, Any, Any, Any, Any, Any]) -> int:
    """Takes over updates a dead process received and never handled (or this process
    let go of when it last stopped) and queues them ahead of anything new."""
    bot = application.bot
    if not isinstance(bot, TolerantBot) or bot.inbox is None:
        return 0
    entries = await bot.inbox.claim_abandoned()
    bot.claim(entries)
    for entry in entries:
        try:
            update = Update.de_json(entry.payload, bot)
        except Exception:
            update = Update(entry.update_id)
        await application.update_queue.put(update)
    if entries:
        log.info("took over %s update(s) left unhandled: %s", len(entries), [e.update_id for e in entries])
    return len(entries)


def build_application(services: Services, *, poll_timeout: float = 10.0,
                      outbox_interval: float = OUTBOX_INTERVAL_SECONDS,
                      role: ProcessRole = ProcessRole.ALL,
                      share_of: int = 1) -> Application[Any, Any, Any, Any, Any, Any]:
    """`share_of`: how many processes send as this bot at once (webhook replicas): this
    one keeps to its share of the bot's rate."""
    # Imported here: handlers import telegram, and bot/ must stay importable without it.
    import handlers
    from handlers import observed

    config = services.config
    pacer = Pacer(PaceLimits(overall_per_s=config.delivery.bulk_ceiling_per_second(
        counts_answers=role.takes_updates) / share_of))
    bot = TolerantBot(
        config.telegram.token,
        base_url=config.telegram.base_url,
        base_file_url=config.telegram.base_file_url,
        defaults=Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)),
        # Two lanes: answers to members go at once (counted by the pacer); the outbox's
        # sends are paced by the dispatcher under Telegram's limits (bot/delivery).
        rate_limiter=TwoLanes(pacer),
        request=HTTPXRequest(connection_pool_size=64),
        get_updates_request=HTTPXRequest(read_timeout=poll_timeout + 5),
        inbox=services.inbox,
    )
    # Different chats' updates side by side, one chat's in order (bot/update_processor.py).
    application = (ApplicationBuilder().application_class(InboxApplication).bot(bot).post_init(_post_init)
                   .concurrent_updates(ChatOrderedProcessor(UPDATES_RUNNING)).build())
    application.bot_data["services"] = services
    application.bot_data["role"] = role
    metrics = application.bot_data["metrics"] = Metrics()
    if role.takes_updates:
        handlers.register(application)
        observed.install(application, metrics)  # a log line and metrics per update
        # The inbox: this process's claims renewed, and what a dead one left taken over.
        lease = services.inbox.lease.total_seconds()
        assert application.job_queue is not None  # python-telegram-bot's job-queue extra is installed
        application.job_queue.run_repeating(_tend_inbox, interval=lease / 3, first=lease / 3, name="inbox")
    if role.works:
        dispatcher = Dispatcher(
            services.outbox, handlers.notifications.telegram_sender(services, bot), pacer,
            on_unreachable=services.members.mark_unreachable,
            settings=DispatcherSettings(concurrency=config.delivery.concurrency, idle_s=outbox_interval,
                                        lease=timedelta(seconds=config.delivery.lease_seconds)))
        application.bot_data["dispatcher"] = dispatcher
        metrics.read_delivery_from(lambda: dispatcher.stats)
        application.bot_data["worker"] = Worker(application, services, dispatcher, [
            ScheduledJob(_expire_vouchers, VOUCHER_EXPIRY_INTERVAL_SECONDS, 5, "voucher-expiry"),
            ScheduledJob(_queue_reminders, REMINDER_INTERVAL_SECONDS, 3, "shift-reminders"),
            ScheduledJob(handlers.broadcasts.edit_progress, BROADCAST_PROGRESS_INTERVAL_SECONDS,
                         BROADCAST_PROGRESS_INTERVAL_SECONDS, "broadcast-progress"),
            ScheduledJob(_housekeeping, HOUSEKEEPING_INTERVAL_SECONDS, 60, "housekeeping"),
            ScheduledJob(_queue_weekly_summaries, SUMMARY_INTERVAL_SECONDS, 7, "weekly-summaries"),
        ])
    return application


async def _tend_inbox(context: ContextTypes.DEFAULT_TYPE) -> None:
    """This process is alive, so the updates it holds stay its own; and another process
    that held some may have died since this one started, or a chat's updates may be
    waiting for an older one to come free."""
    services: Services = context.application.bot_data["services"]
    await services.inbox.renew()
    await enqueue_abandoned(context.application)


async def _queue_reminders(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Reminders before shifts, coordinators' alerts and digests, attendance prompts after
    shifts, recorded in the outbox once each (dedupe keys), however many processes run this."""
    services: Services = context.application.bot_data["services"]
    await services.shifts.queue_due()
    await services.digests.queue_due()


async def _housekeeping(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Forgets what can no longer matter: updates Telegram can no longer send again, and
    dialogues left for a week. Safe from several processes: deleting twice deletes nothing."""
    services: Services = context.application.bot_data["services"]
    updates = await services.inbox.purge_handled()
    dialogues = await services.dialogues.purge_stale()
    if updates or dialogues:
        log.info("housekeeping: forgot %s handled update(s) and %s stale dialogue(s)", updates, dialogues)


async def _queue_weekly_summaries(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The weekly summary to TSO staff once its local time has come (and a missed one
    when the worker comes back), once each: the outbox's dedupe keys are the memory."""
    services: Services = context.application.bot_data["services"]
    await services.summary_delivery.queue_due()


async def _expire_vouchers(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Refund vouchers past their date. Safe from several processes: each voucher closes once."""
    services: Services = context.application.bot_data["services"]
    await services.spending.expire_vouchers()


async def _post_init(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Command menus in Welsh and English; the default list in the scheme's language.
    Members get a menu of their own (language and roles) when they register or change."""
    from handlers.command_menu import commands_for

    services: Services = application.bot_data["services"]
    config = services.config
    default = commands_for(translator(config.scheme.default_language, config.tz), None)
    await application.bot.set_my_commands(default, scope=BotCommandScopeDefault())
    for language in LANGUAGES:
        await application.bot.set_my_commands(commands_for(translator(language, config.tz), None),
                                              scope=BotCommandScopeDefault(), language_code=language)
    if not config.telegram.bot_username:
        me = await application.bot.get_me()
        application.bot_data["bot_username"] = me.username
    else:
        application.bot_data["bot_username"] = config.telegram.bot_username
