"""What a weekly summary says, as figures only: no member's name, id or number.

These are the shapes a summary is built in, stored in (a snapshot is this JSON) and
rendered from (text, CSV, .xlsx, PNG). Labels keep both languages, so a snapshot reads
as it did when it was sent even after a neighbourhood is renamed or members are erased.
Amounts are whole minutes; rates are worked out by the renderers from the counts here.
"""

from __future__ import annotations

import enum
import hashlib
import json

from pydantic import BaseModel, ConfigDict

from bot.services.summary.weeks import IsoWeek


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ScopeKind(enum.StrEnum):
    SCHEME = "scheme"
    ORGANISATION = "organisation"
    NEIGHBOURHOOD = "neighbourhood"


class Label(_Frozen):
    en: str
    cy: str

    def __call__(self, language: str) -> str:
        return self.cy if language == "cy" else self.en


class Scope(_Frozen):
    kind: ScopeKind
    id: int | None = None  # None for the whole scheme
    slug: str = ""
    label: Label = Label(en="The whole scheme", cy="Y cynllun cyfan")

    @property
    def key(self) -> str:
        """How the scope is named in dedupe keys and snapshots."""
        return self.kind.value if self.id is None else f"{self.kind.value}:{self.id}"


class Minutes(_Frozen):
    """Minutes under one heading (an activity type, a neighbourhood, an organisation)."""

    key: str  # the heading's slug
    label: Label
    minutes: int


class Hours(_Frozen):
    total: int = 0
    by_activity: tuple[Minutes, ...] = ()
    by_neighbourhood: tuple[Minutes, ...] = ()
    by_organisation: tuple[Minutes, ...] = ()
    # In activity types flagged replaces_reduced_service: the co-production lens.
    replacing_reduced_service: int = 0


class Volunteers(_Frozen):
    active: int = 0
    first_time: int = 0  # whose first hours ever (anywhere in the scheme) are this week's
    returning: int = 0
    lapsed: int = 0  # active in the four weeks before, not this one


class Shifts(_Frozen):
    run: int = 0  # starting this week, not cancelled
    filled: int = 0  # every place taken
    part_filled: int = 0
    unfilled: int = 0  # nobody booked
    cancelled: int = 0
    places: int = 0
    booked: int = 0
    attended: int = 0
    no_shows: int = 0


class Credits(_Frozen):
    earned: int = 0
    spent: int = 0
    # None for one organisation: members give credits to members, not through organisations.
    transferred: int | None = 0
    expired: int = 0
    expired_vouchers: int = 0
    corporate_vouchers: int = 0
    corporate_spent: int = 0
    community_vouchers: int = 0
    community_spent: int = 0


class WeekFigures(_Frozen):
    week: IsoWeek
    hours: Hours = Hours()
    volunteers: Volunteers = Volunteers()
    shifts: Shifts = Shifts()
    credits: Credits = Credits()


class TrendWeek(_Frozen):
    """One of the twelve weeks the trends and the chart show."""

    week: IsoWeek
    by_activity: tuple[Minutes, ...] = ()
    total: int = 0
    replacing_reduced_service: int = 0
    corporate_spent: int = 0
    community_spent: int = 0
    corporate_vouchers: int = 0
    community_vouchers: int = 0


class PartnerVouchers(_Frozen):
    """A corporate partner: vouchers redeemed this week, and still outstanding (what it owes in kind)."""

    key: str
    label: Label
    redeemed: int
    redeemed_minutes: int
    outstanding: int
    outstanding_minutes: int


class NeighbourhoodEquity(_Frozen):
    """Hours given this week by the neighbourhood's residents, beside how many are registered."""

    key: str
    label: Label
    minutes: int
    registered_members: int


class Figure(enum.StrEnum):
    EARNED = "earned"
    SPENT = "spent"
    TRANSFERRED = "transferred"


class Check(_Frozen):
    """One figure of the summary beside the ledger's movements for the week."""

    figure: Figure
    summary: int
    ledger: int

    @property
    def difference(self) -> int:
        return self.summary - self.ledger


class LedgerWeek(_Frozen):
    """The ledger's own movements for one scope and week (the reconciliation's other side)."""

    earned: int
    spent: int
    transferred: int | None  # None for one organisation, as in Credits


class Reconciliation(_Frozen):
    checks: tuple[Check, ...]

    @property
    def balanced(self) -> bool:
        return all(check.difference == 0 for check in self.checks)

    @property
    def differences(self) -> tuple[Check, ...]:
        return tuple(check for check in self.checks if check.difference != 0)


class Summary(_Frozen):
    scope: Scope
    week: IsoWeek
    this: WeekFigures
    # The four weeks before, the nearest first; hours by heading only for the first (last week).
    history: tuple[WeekFigures, ...]
    trend: tuple[TrendWeek, ...]  # twelve weeks, the oldest first, ending with this one
    partners: tuple[PartnerVouchers, ...] = ()
    equity: tuple[NeighbourhoodEquity, ...] = ()
    next_week_short: int = 0  # next week's shifts still below their minimum
    reconciliation: Reconciliation
    so_far: bool = False  # built before the week ended

    @property
    def previous(self) -> WeekFigures:
        return self.history[0]

    def canonical_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()
