"""The outbox's contracts hold: every kind has a typed payload and a renderer, every
renderer a kind, and every payload survives the trip through the database's JSON."""

from __future__ import annotations

import json
import typing
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import AwareDatetime, ValidationError

import handlers  # noqa: F401  (registers every renderer)
from bot.services.outbox_payloads import PAYLOAD_TYPES, OutboxKind, Payload, parse_payload
from handlers.notifications import RENDERERS, renders

# Aware times in any zone, as a service might pass them; they are stored in UTC.
st.register_type_strategy(AwareDatetime, st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.timezones()))


def test_every_kind_has_a_payload_type_and_a_renderer_and_every_renderer_a_kind() -> None:
    assert set(PAYLOAD_TYPES) == set(OutboxKind)
    assert all(payload_type.kind is kind for kind, payload_type in PAYLOAD_TYPES.items())
    assert set(RENDERERS) == set(OutboxKind), (
        f"kinds without a renderer: {set(OutboxKind) - set(RENDERERS)}; "
        f"renderers without a kind: {set(RENDERERS) - set(OutboxKind)}")


def test_each_renderer_takes_its_kinds_payload_type() -> None:
    for kind, renderer in RENDERERS.items():
        assert typing.get_type_hints(renderer)["payload"] is PAYLOAD_TYPES[kind], renderer.__qualname__


def test_a_second_renderer_for_a_kind_fails_at_import() -> None:
    with pytest.raises(ValueError, match="two renderers"):
        renders(OutboxKind.SHIFT_REMINDER)(RENDERERS[OutboxKind.SHIFT_REMINDER])


def test_a_renderer_for_a_kind_that_does_not_exist_fails_at_import() -> None:
    with pytest.raises(ValueError):
        renders("shift_remidner")


@settings(max_examples=25)
@given(st.sampled_from(sorted(PAYLOAD_TYPES.values(), key=lambda t: t.kind)).flatmap(st.builds))
def test_every_payload_round_trips_through_the_database_json(payload: Payload) -> None:
    stored = json.loads(json.dumps(payload.to_json()))  # what the JSON column keeps
    assert _instants(parse_payload(payload.kind, stored)) == _instants(payload)
    for value in stored.values():
        if isinstance(value, str) and "T" in value and value[:4].isdigit():
            assert value.endswith("+00:00")  # times stored in UTC, as rows always were


def _instants(payload: Payload) -> dict[str, object]:
    """The payload's fields with times as UTC instants. Python never calls two aware times
    in different zones equal when one falls in a clock change's gap or repeated hour
    (America/Managua at midnight on 10 April 2005), though both name the same instant."""
    return {name: value.astimezone(timezone.utc) if isinstance(value, datetime) else value
            for name, value in payload}


def test_a_row_written_before_the_types_reads_as_its_type() -> None:
    # As shift_booking wrote a promotion before payloads were typed.
    stored = {"shift_id": 7, "signup_id": 31, "starts_at": "2026-12-08T09:00:00+00:00"}
    promoted = parse_payload(OutboxKind("waitlist_promoted"), stored)
    assert promoted.to_json() == stored
    assert promoted.starts_at == datetime(2026, 12, 8, 9, tzinfo=timezone.utc)  # type: ignore[attr-defined]


def test_a_payload_that_does_not_fit_its_kind_is_refused() -> None:
    with pytest.raises(ValidationError):
        parse_payload(OutboxKind.HOURS_APPROVED, {"broken": True})
    with pytest.raises(ValidationError):  # a naive time is a bug in the service, not a time
        parse_payload(OutboxKind.SHIFT_REMINDER, {"shift_id": 1, "signup_id": 2, "starts_at": "2026-12-08T09:00:00"})
