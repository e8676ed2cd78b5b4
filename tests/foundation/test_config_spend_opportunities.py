"""[[spend_opportunities]] in the configuration: the example is a scheme members can
spend in, and each mistake is one line naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_config
from bot.db.models import SpendKind

ROOT = Path(__file__).resolve().parents[2]

BASE = """
[[neighbourhoods]]
slug = "splott"
name_en = "Splott"
name_cy = "Sblot"

[[organisations]]
slug = "council"
kind = "corporate_partner"
name_en = "Council"
name_cy = "Cyngor"
"""

OFFER = {"slug": '"swim"', "organisation": '"council"', "kind": '"corporate"', "name_en": '"Swim"',
         "name_cy": '"Nofio"', "venue": '"Pool"', "price_credits": "1"}


def offer(**changes: str | None) -> str:
    fields = {**OFFER, **changes}
    return "\n[[spend_opportunities]]\n" + "\n".join(f"{k} = {v}" for k, v in fields.items() if v is not None) + "\n"


def test_the_example_offers_a_leisure_centre_and_community_spending() -> None:
    config = load_config(ROOT / "config.example.toml", environ={}, require_file=True)
    offers = {offer.slug: offer for offer in config.spend_opportunities}
    assert {offer.kind for offer in offers.values()} == {SpendKind.CORPORATE, SpendKind.COMMUNITY}
    assert any("Leisure Centre" in offer.venue for offer in offers.values() if offer.kind is SpendKind.CORPORATE)
    assert all(offer.name_cy and offer.name_en and offer.cost_minutes > 0 for offer in offers.values())
    assert offers["tremorfa-craft-class"].cost_minutes == 90


def test_a_good_offer_is_read_with_its_price_in_minutes(tmp_path: Path) -> None:
    file = tmp_path / "c.toml"
    file.write_text(BASE + offer(price_credits="0.25", weekly_limit="2", neighbourhood='"splott"'))
    (item,) = load_config(file, environ={}).spend_opportunities
    assert (item.cost_minutes, item.weekly_limit, item.neighbourhood, item.active) == (15, 2, "splott", True)


@pytest.mark.parametrize(("changes", "expected"), [
    ({"organisation": '"nobody"'}, "spend_opportunities[0].organisation: 'nobody' is not the slug"),
    ({"neighbourhood": '"atlantis"'}, "spend_opportunities[0].neighbourhood: 'atlantis' is not the slug"),
    ({"kind": '"shop"'}, "spend_opportunities.0.kind"),
    ({"price_credits": "0"}, "spend_opportunities.0.price_credits"),
    ({"price_credits": "0.01"}, "spend_opportunities.0.price_credits: Value error, must be a whole number of minutes"),
    ({"price_credits": '"one"'}, "spend_opportunities.0.price_credits"),
    ({"weekly_limit": "0"}, "spend_opportunities.0.weekly_limit"),
    ({"venue": None}, "spend_opportunities.0.venue: missing"),
    ({"name_cy": '""'}, "spend_opportunities.0.name_cy"),
    ({"cost": "1"}, "spend_opportunities.0.cost: unknown key"),
    ({"slug": '"Swim Session"'}, "spend_opportunities.0.slug"),
])
def test_a_mistake_in_an_offer_names_the_key(tmp_path: Path, changes: dict, expected: str) -> None:
    file = tmp_path / "bad.toml"
    file.write_text(BASE + offer(**changes))
    with pytest.raises(ConfigError) as raised:
        load_config(file, environ={})
    assert str(raised.value).startswith(expected) and "\n" not in str(raised.value)


def test_two_offers_with_one_slug_are_refused(tmp_path: Path) -> None:
    file = tmp_path / "bad.toml"
    file.write_text(BASE + offer() + offer())
    with pytest.raises(ConfigError, match=r"^spend_opportunities: Value error, slug 'swim' appears twice"):
        load_config(file, environ={})


def test_the_command_line_says_it_in_one_line_and_exits_2(tmp_path: Path) -> None:
    from tests.foundation.test_config_and_cli import run_cli

    (tmp_path / "config.toml").write_text(BASE + offer(organisation='"nobody"'))
    result = run_cli("db", "upgrade", cwd=tmp_path, env={"PYTHONPATH": str(ROOT)})
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        "coprod-bot: spend_opportunities[0].organisation: 'nobody' is not the slug of any [[organisations]] entry"]
