"""The buttons of /offers (typed callback data, handlers/callback_data.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.db.models import SpendKind
from handlers.callback_data import CallbackData

# The dialogue's typed fields.
TextField = Literal["name_en", "name_cy", "description_en", "description_cy", "venue", "price", "limit"]
# Adding asks them all in this order; editing offers each.
FIELDS: tuple[TextField, ...] = ("name_en", "name_cy", "description_en", "description_cy", "venue", "price", "limit")


@dataclass(frozen=True)
class OffersPage(CallbackData, prefix="off-l"):
    page: int = 0


@dataclass(frozen=True)
class OfferCard(CallbackData, prefix="off-c"):
    offer_id: int


@dataclass(frozen=True)
class AddOffer(CallbackData, prefix="off-a"):
    pass


@dataclass(frozen=True)
class ChooseOrganisation(CallbackData, prefix="off-o"):
    organisation_id: int


@dataclass(frozen=True)
class ChooseKind(CallbackData, prefix="off-k"):
    kind: SpendKind


@dataclass(frozen=True)
class SkipField(CallbackData, prefix="off-skip"):
    """Adding: leave a description empty, or the weekly limit off."""


@dataclass(frozen=True)
class ClearField(CallbackData, prefix="off-clr"):
    """Editing: empty a description, or lift the weekly limit."""


@dataclass(frozen=True)
class SaveOffer(CallbackData, prefix="off-ok"):
    pass


@dataclass(frozen=True)
class LeaveAdding(CallbackData, prefix="off-x"):
    """Leaves adding an offer."""


@dataclass(frozen=True)
class LeaveEditing(CallbackData, prefix="off-xe"):
    """Leaves editing an offer, back to its card."""

    offer_id: int


@dataclass(frozen=True)
class EditOffer(CallbackData, prefix="off-e"):
    offer_id: int


@dataclass(frozen=True)
class EditOfferField(CallbackData, prefix="off-f"):
    offer_id: int
    field: TextField


@dataclass(frozen=True)
class PauseOffer(CallbackData, prefix="off-p"):
    """Carries the state it sets, so a second tap changes nothing more."""

    offer_id: int
    paused: bool
