"""A resident registers, in Welsh or English, and the bot remembers across restarts."""

from __future__ import annotations

from sqlalchemy import select

from bot.db.models import Member
from tests.e2e.conftest import BotUnderTest, register


async def test_registers_in_english(bot: BotUnderTest) -> None:
    user = bot.user(1001, "Sam", language_code="en-GB")
    await user.send_text("/start")
    welcome = await user.next_message()
    assert "Cymraeg" in welcome.button_labels()[0] and "English" in welcome.button_labels()[1]
    assert welcome.button_labels()[1].startswith("✅")  # preselected from Telegram's language
    await user.press("English")
    consent = await user.next_event()
    assert "privacy" in consent.text.lower()
    await user.press("I agree")
    ask_name = await user.next_event()
    assert "What should we call you?" in ask_name.text
    await user.send_text("Sam Jones")
    ask_hood = await user.next_message()
    assert "Splott" in ask_hood.button_labels()
    await user.press("Splott")
    done = await user.next_event()
    assert "You're registered, Sam Jones!" in done.text
    menu = await user.next_message()
    assert menu.reply_keyboard, "the main menu keyboard is shown"

    async with bot.services.db.transaction() as session:
        member = await session.scalar(select(Member).where(Member.telegram_user_id == 1001))
    assert member.display_name == "Sam Jones" and member.language.value == "en"
    assert member.consented_at is not None


async def test_registers_in_welsh_and_is_answered_in_welsh(bot: BotUnderTest) -> None:
    user = bot.user(1002, "Ceri", language_code="cy")
    await user.send_text("/start")
    welcome = await user.next_message()
    assert welcome.button_labels()[0] == "✅ Cymraeg"
    await user.press("Cymraeg")
    consent = await user.next_event()
    assert "preifatrwydd" in consent.text.lower()
    await user.press(1)
    await user.next_event()  # asked for a name
    await user.press(1)  # use "Ceri"
    ask_hood = await user.next_event()
    assert "Sblot" in ask_hood.button_labels()
    await user.press("Sblot")
    done = await user.next_event()
    assert "Ceri" in done.text and "registered" not in done.text
    await user.next_message()
    await user.send_text("/help")
    help_text = await user.next_message()
    assert "/language" in help_text.text and "What you can do" not in help_text.text


async def test_language_choice_survives_a_restart(bot: BotUnderTest) -> None:
    user = bot.user(1003, "Alys", language_code="en")
    await register(bot, user, language="Cymraeg", neighbourhood="Sblot")
    await bot.restart()
    await user.send_text("/me")
    profile = await user.next_message()
    assert "Iaith: Cymraeg" in profile.text


async def test_half_finished_registration_survives_a_restart(bot: BotUnderTest) -> None:
    user = bot.user(1004, "Dafydd", language_code="cy")
    await user.send_text("/start")
    await user.next_message()
    await user.press("Cymraeg")
    await user.next_event()
    await user.press(1)
    await user.next_event()  # asked for a name
    await bot.restart()
    await user.send_text("Dafydd ap Gwilym")
    ask_hood = await user.next_message()
    assert "Dafydd ap Gwilym" in ask_hood.text  # the bot carried on, in Welsh
    await user.press("Trelái")
    done = await user.next_event()
    assert "Dafydd ap Gwilym" in done.text
