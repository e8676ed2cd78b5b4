"""End to end: a PTB Application polling the emulator, nothing mocked."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters

from bot.emulator import EmulatedUser, TelegramEmulator


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None and update.effective_user is not None
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Eto / Again", callback_data="again")]])
    await update.message.reply_text(
        f"<i>{update.effective_user.language_code}</i>: {update.message.text}",
        parse_mode="HTML",
        reply_markup=keyboard,
    )


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None
    await update.message.reply_text(f"start args={context.args}")


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None and query.message is not None
    await query.answer("Iawn!")
    await query.edit_message_text(f"{query.message.text} ✓")


def build_app(emu: TelegramEmulator) -> Application:
    app = Application.builder().token(emu.token).base_url(emu.base_url).base_file_url(emu.base_file_url).build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.add_handler(CallbackQueryHandler(pressed))
    return app


@pytest.fixture
async def running(emu: TelegramEmulator) -> AsyncIterator[Callable[[], Application]]:
    """Starts the app polling; the test may stop it early to simulate a restart."""
    apps: list[Application] = []

    async def launch() -> Application:
        app = build_app(emu)
        await app.initialize()
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=10)
        apps.append(app)
        return app

    yield launch  # type: ignore[misc]
    for app in apps:
        await shutdown(app)


async def shutdown(app: Application) -> None:
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    await app.shutdown()


async def test_echo_and_callback_round_trip(emu: TelegramEmulator, ceri: EmulatedUser, running) -> None:
    await running()
    await ceri.send_text("/start shift_12")
    assert (await ceri.next_message(timeout=2)).text == "start args=['shift_12']"

    await ceri.send_text("Helo")
    reply = await ceri.next_message(timeout=2)
    assert reply.text == "cy: Helo"
    assert reply.button_labels() == ["Eto / Again"]

    query_id = await ceri.press("Again")
    assert await ceri.callback_answer(query_id, timeout=2) == {"text": "Iawn!", "show_alert": False}
    edit = await ceri.next_event(timeout=2)
    assert edit.edited and edit.message_id == reply.message_id
    assert edit.text == "cy: Helo ✓" and edit.buttons == []
    await ceri.expect_silence(0.1)

    assert emu.unanswered_callback_queries() == []
    assert emu.rejections == []


async def test_restart_confirms_offset_and_redelivery_replays(
    emu: TelegramEmulator, ceri: EmulatedUser, running
) -> None:
    first = await running()
    update_id = await ceri.send_text("unwaith")
    assert (await ceri.next_message(timeout=2)).text == "cy: unwaith"
    await shutdown(first)  # PTB confirms the offset on the way out

    await running()
    await ceri.expect_silence(0.1)  # nothing replayed after a clean restart
    await emu.redeliver(update_id)
    again = await ceri.next_message(timeout=2)
    assert again.text == "cy: unwaith"
    assert emu.rejections == []
