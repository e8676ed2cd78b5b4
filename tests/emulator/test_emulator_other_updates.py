"""What else a user (or a channel) can send: stickers, photos, contacts, location pins,
edited messages, messages in groups and channel posts, each read by python-telegram-bot
as the Telegram type it is."""

from __future__ import annotations

import pytest
import telegram

from bot.emulator import EmulatedUser, TelegramEmulator


async def _only_update(bot: telegram.Bot) -> telegram.Update:
    updates = await bot.get_updates()
    assert len(updates) == 1
    await bot.get_updates(offset=updates[0].update_id + 1)
    return updates[0]


async def test_stickers_photos_contacts_and_pins_arrive_as_their_kinds(bot: telegram.Bot, ceri: EmulatedUser) -> None:
    await ceri.send_sticker("🐉")
    message = (await _only_update(bot)).message
    assert message.sticker is not None and message.sticker.emoji == "🐉" and message.text is None
    await ceri.send_photo(caption="<b>me</b>")
    message = (await _only_update(bot)).message
    assert message.photo and message.caption == "<b>me</b>"
    await ceri.send_contact("+447700900123", "Alys", user_id=1002)
    message = (await _only_update(bot)).message
    assert (message.contact.phone_number, message.contact.user_id) == ("+447700900123", 1002)
    await ceri.send_location(51.48, -3.15)
    message = (await _only_update(bot)).message
    assert (message.location.latitude, message.location.longitude) == (51.48, -3.15)
    assert message.chat.type == "private" and message.from_user.id == 1001


async def test_an_edited_message_keeps_its_id_and_carries_the_new_text(bot: telegram.Bot,
                                                                       ceri: EmulatedUser) -> None:
    await ceri.send_text("/shifts")
    original = (await _only_update(bot)).message
    await ceri.edit_message(original.message_id, "Splott")
    update = await _only_update(bot)
    assert update.message is None and update.edited_message is not None
    edited = update.edited_message
    assert (edited.message_id, edited.text, edited.entities) == (original.message_id, "Splott", ())
    assert edited.edit_date is not None
    with pytest.raises(KeyError):
        await ceri.edit_message(999, "never sent")


async def test_group_messages_and_channel_posts_come_from_their_chats(emu: TelegramEmulator, bot: telegram.Bot,
                                                                      ceri: EmulatedUser) -> None:
    await ceri.send_in_group(-100500, "/start@coprod_test_bot hello")
    message = (await _only_update(bot)).message
    assert (message.chat.id, message.chat.type, message.from_user.id) == (-100500, "supergroup", 1001)
    assert message.entities[0].type == "bot_command" and message.entities[0].offset == 0
    emu.channel_post(-100600, "News")
    update = await _only_update(bot)
    assert update.channel_post is not None and update.effective_user is None
    assert (update.channel_post.chat.type, update.channel_post.text) == ("channel", "News")
    with pytest.raises(ValueError):
        emu.channel_post(5, "not a channel")
    with pytest.raises(ValueError):
        await ceri.send_in_group(5, "not a group")
