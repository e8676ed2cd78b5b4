"""Messages are markupsafe Markup: parameters escaped once, the mark kept when joined."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from markupsafe import Markup

from bot.i18n import Translator

T = Translator("en", ZoneInfo("Europe/London"))


def test_a_parameter_is_escaped_and_the_catalogues_markup_kept() -> None:
    text = T.gettext("<b>{name}</b> (member number {number})", name="<Ceri> & Jo", number=7)
    assert isinstance(text, Markup)
    assert text == "<b>&lt;Ceri&gt; &amp; Jo</b> (member number 7)"


def test_markup_passed_as_a_parameter_or_joined_is_not_escaped_twice() -> None:
    name = T.gettext("✅ {name} – credited", name="<Ceri>")
    line = T.gettext("Note: {note}", note=name)
    assert line == "Note: ✅ &lt;Ceri&gt; – credited"
    joined = Markup("\n").join([line, "Tom & <Ann>"])  # the plain text is escaped, the Markup is not
    assert joined == "Note: ✅ &lt;Ceri&gt; – credited\nTom &amp; &lt;Ann&gt;"
    assert "\n\n" + name == Markup("\n\n✅ &lt;Ceri&gt; – credited")


def test_durations_and_credits_stay_markup_inside_other_messages() -> None:
    assert T.gettext("Time given: {duration}", duration=T.duration(150)) == "Time given: 2 hours 30 minutes"
    assert isinstance(T.credits(90), Markup) and isinstance(T.duration(-30), Markup)


def test_a_bilingual_field_is_escaped_and_a_button_label_is_plain() -> None:
    assert T.pick("Tea & <cake>", "") == "Tea &amp; &lt;cake&gt;"
    assert T.plain("❌ No-show") == "❌ No-show" and not isinstance(T.plain("❌ No-show"), Markup)
