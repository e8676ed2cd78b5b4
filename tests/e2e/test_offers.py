"""TSO staff manage offers in the bot: they add one (in both languages) and members see it
in /spend; they pause it and members no longer do; nobody else can; a Welsh member of staff
does it all in Welsh."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.db.models import Role, SpendKind
from bot.i18n import translator
from bot.services.offers import OfferDraft
from bot.services.spending import OpportunitySeed
from tests.e2e.conftest import BotUnderTest, grant, register, wait_for
from tests.e2e.test_shifts import member_id
from tests.e2e.test_welsh_life import everything_shown
from tests.e2e.welsh_judge import judge, judge_file_name

CY = translator("cy", ZoneInfo("Europe/London"))


def labels(message) -> list[str]:  # noqa: ANN001
    return [button.text for row in message.buttons for button in row]


async def directory(user) -> list[str]:  # noqa: ANN001
    await user.send_text("/spend")
    return labels(await wait_for(user, "pend"))


async def test_staff_add_an_offer_and_members_see_it_in_spend(bot: BotUnderTest) -> None:
    gwen, sam = bot.user(8001, "Gwen"), bot.user(8002, "Sam")
    await register(bot, gwen)
    await register(bot, sam)
    await grant(bot, 8001, Role.STAFF, "splott-community")

    await gwen.send_text("🏷 Manage offers")  # staff's main-menu button
    assert "There are no offers yet" in (await gwen.next_message()).text
    await gwen.press("➕ Add an offer")
    assert "leisure centre or council venue" in (await gwen.next_event()).text  # one organisation: not asked
    await gwen.press("Community")
    assert "in English" in (await gwen.next_event()).text
    await gwen.send_text("Knitting circle")
    await gwen.next_message()
    await gwen.send_text("Cylch gwau")
    await gwen.next_message()
    await gwen.send_text("Wool and needles provided; all welcome.")
    await gwen.next_message()
    await gwen.press("Skip")  # no Welsh description
    await gwen.next_event()
    await gwen.send_text("Splott Library")
    await gwen.next_message()
    await gwen.send_text("lots")
    assert "couldn't read that price" in (await gwen.next_message()).text
    await gwen.send_text("1,5")
    assert "each week" in (await gwen.next_message()).text
    await gwen.send_text("0")
    assert "1 to 100" in (await gwen.next_message()).text
    await gwen.send_text("2")
    summary = await gwen.next_message()
    assert "Knitting circle" in summary.text and "Cylch gwau" in summary.text
    assert "1 hour 30 minutes of time credits" in summary.text and "At most 2 vouchers a week" in summary.text
    await gwen.press("✅ Add it")
    added = await gwen.next_event()
    assert "members can find Knitting circle in /spend now" in added.text

    assert any("Knitting circle" in label for label in await directory(sam))

    await gwen.press("⏸ Pause")
    assert "Paused: members no longer see Knitting circle" in (await gwen.next_event()).text
    assert not any("Knitting circle" in label for label in await directory(sam))
    await gwen.press("▶️ Resume")
    assert "Resumed" in (await gwen.next_event()).text
    assert any("Knitting circle" in label for label in await directory(sam))

    await gwen.press("✏️ Edit")
    await gwen.next_event()
    await gwen.press("Price")
    await gwen.next_event()
    await gwen.send_text("1")
    assert "Saved." in (await gwen.next_message()).text
    assert any(label == "Knitting circle – 1 time credit" for label in await directory(sam))


async def test_volunteers_and_other_organisations_cannot_manage_offers(bot: BotUnderTest) -> None:
    sam, gwen = bot.user(8101, "Sam"), bot.user(8102, "Gwen")
    await register(bot, sam)
    await register(bot, gwen)
    await grant(bot, 8102, Role.STAFF, "ely-hub")
    await bot.services.spending.upsert_opportunities([OpportunitySeed(
        slug="swim", organisation="cardiff-council", kind="corporate", name_en="Swimming session",
        name_cy="Sesiwn nofio", venue="Splott Pool", cost_minutes=60)])
    await sam.send_text("/offers")
    assert "Only TSO staff and admins can manage offers." in (await wait_for(sam, "offers")).text
    await gwen.send_text("/offers")
    listing = await gwen.next_message()
    assert "Swimming session" not in " ".join(labels(listing))  # the council's, not Ely's
    swim = (await bot.services.spending.directory())[0].id
    query = await gwen.press_data(listing.message_id, f"off-p:{swim}:1")
    assert "Only staff of that organisation" in (await gwen.callback_answer(query))["text"]
    assert [item.id for item in await bot.services.spending.directory()] == [swim]  # still on offer


async def spend_labels(user) -> list[str]:  # noqa: ANN001
    await user.send_text("/spend")
    return labels(await user.next_message())


async def test_a_welsh_member_of_staff_edits_pauses_and_resumes_an_offer_in_welsh(bot: BotUnderTest) -> None:
    gwen = bot.user(8201, "Gwen", language_code="cy")
    ceri, sam = bot.user(8202, "Ceri", language_code="cy"), bot.user(8203, "Sam")
    await register(bot, gwen, language="Cymraeg", neighbourhood="Sblot")
    await register(bot, ceri, language="Cymraeg", neighbourhood="Sblot")
    await register(bot, sam)
    await grant(bot, 8201, Role.STAFF, "splott-community")
    splott = next(item.id for item in await bot.services.reference.organisations() if item.slug == "splott-community")
    await bot.services.offers.add(await member_id(bot, 8201), OfferDraft(
        organisation_id=splott, kind=SpendKind.COMMUNITY, name_en="Knitting circle", name_cy="Cylch gwau",
        venue="Splott Library", cost_minutes=60))

    await gwen.send_text("/offers")
    await gwen.next_message()
    await gwen.press(f"Cylch gwau – {CY.credits(60)}")
    assert "Yn Saesneg: Knitting circle" in (await gwen.next_event()).text  # the other language's name
    await gwen.press(CY.plain("✏️ Edit"))
    await gwen.next_event()
    await gwen.press(CY.plain("Name in Welsh"))
    await gwen.next_event()
    await gwen.send_text("Cylch gwau a chrosio")
    assert "✅ Wedi'i gadw." in (await gwen.next_message()).text
    # The change is the Welsh name's: Welsh members read it, English members the English one still.
    assert any(label.startswith("Cylch gwau a chrosio") for label in await spend_labels(ceri))
    assert any(label.startswith("Knitting circle") for label in await spend_labels(sam))

    await gwen.press(CY.plain("⏸ Pause"))
    assert "Cylch gwau a chrosio" in (await gwen.next_event()).text
    for member in (ceri, sam):
        assert not any("Cylch gwau" in label or "Knitting" in label for label in await spend_labels(member))
    await gwen.press(CY.plain("▶️ Resume"))
    await gwen.next_event()
    assert any(label.startswith("Cylch gwau a chrosio") for label in await spend_labels(ceri))
    assert any(label.startswith("Knitting circle") for label in await spend_labels(sam))

    # Every word she was shown is judged, but for the greeting's English half, before she chose Welsh.
    greeting = f"message #{gwen.events[0].message_id}:"
    names = ["Gwen", "Knitting circle", "Cylch gwau a chrosio", "Cylch gwau", "Splott Library"]
    english = [f"{where}: {verdict}" for where, what, is_file_name in everything_shown(bot.emulator, gwen)
               if not (verdict := judge_file_name(what) if is_file_name else judge(what, names)).welsh]
    english = [line for line in english if not line.startswith(greeting)]
    assert english == [], "English shown to a Welsh member of staff:\n" + "\n".join(english)
