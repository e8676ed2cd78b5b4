"""Building the python-telegram-bot Application around the services."""

from __future__ import annotations

import logging

from telegram import BotCommand, BotCommandScopeDefault, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, Defaults

from bot.i18n import LANGUAGES, translator
from bot.services.container import Services

log = logging.getLogger(__name__)

OUTBOX_INTERVAL_SECONDS = 2.0


def build_application(services: Services, *, poll_timeout: float = 10.0,
                      outbox_interval: float = OUTBOX_INTERVAL_SECONDS) -> Application:
    # Imported here: handlers import telegram, and bot/ must stay importable without it.
    import handlers

    config = services.config
    application = (
        ApplicationBuilder()
        .token(config.telegram.token)
        .base_url(config.telegram.base_url)
        .base_file_url(config.telegram.base_file_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)))
        # Telegram allows about 30 messages a second overall; retry politely when told to wait.
        .rate_limiter(AIORateLimiter(max_retries=2))
        .get_updates_read_timeout(poll_timeout + 5)
        .post_init(_post_init)
        .build()
    )
    application.bot_data["services"] = services
    handlers.register(application)
    application.job_queue.run_repeating(handlers.notifications.dispatch_outbox,
                                        interval=outbox_interval, first=0.1, name="outbox")
    return application


async def _post_init(application: Application) -> None:
    """Command menus in Welsh and English; the default list in the scheme's language."""
    from handlers.account import COMMAND_HELP

    services: Services = application.bot_data["services"]
    config = services.config
    everyone = [item for item in COMMAND_HELP if item.role is None]

    def commands(language: str) -> list[BotCommand]:
        t = translator(language, config.tz)
        return [BotCommand(item.command, t.gettext(item.description)) for item in everyone]

    await application.bot.set_my_commands(commands(config.scheme.default_language), scope=BotCommandScopeDefault())
    for language in LANGUAGES:
        await application.bot.set_my_commands(commands(language), scope=BotCommandScopeDefault(),
                                              language_code=language)
    if not config.telegram.bot_username:
        me = await application.bot.get_me()
        application.bot_data["bot_username"] = me.username
    else:
        application.bot_data["bot_username"] = config.telegram.bot_username
