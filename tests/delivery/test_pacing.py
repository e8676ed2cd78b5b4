"""The pacer, on a fake clock: bulk sends spread evenly under Telegram's limits, answers
to members first, flood control obeyed and slowed for."""

from __future__ import annotations

import math
import random

from hypothesis import given, settings, strategies as st

from bot.config import DeliveryConfig
from bot.delivery.pacing import PaceLimits, Pacer

WINDOW = 1.0


def most_in_any_second(times: list[float]) -> int:
    times = sorted(times)
    best, start = 0, 0
    for end, at in enumerate(times):
        while times[start] <= at - WINDOW:
            start += 1
        best = max(best, end - start + 1)
    return best


def deliver(pacer: Pacer, chats: list[int], now: float = 0.0) -> list[float]:
    """Send to each chat in turn as soon as the pacer allows; returns the send times."""
    times = []
    for chat in chats:
        now = pacer.earliest(chat, now)
        pacer.finished(pacer.take(chat, now), now)  # answered at once
        pacer.succeeded()
        times.append(now)
    return times


def test_a_newsletter_to_a_thousand_members_goes_evenly_at_thirty_a_second() -> None:
    times = deliver(Pacer(), list(range(1, 1001)))
    gaps = {round(b - a, 9) for a, b in zip(times, times[1:])}
    assert gaps == {round(1.002 / 30, 9)}  # a second's worth spans the second and 2 ms
    assert most_in_any_second(times) <= 30
    assert 1000 / times[-1] >= 29.9  # the pipe is kept full, not merely under the limit


def test_one_member_gets_at_most_one_a_second() -> None:
    times = deliver(Pacer(), [7] * 5)
    assert [round(b - a, 9) for a, b in zip(times, times[1:])] == [1.02] * 4  # with the margin


def test_a_group_gets_at_most_twenty_a_minute_spread_evenly() -> None:
    times = deliver(Pacer(), [-1001] * 25)
    assert all(round(b - a, 9) == 3.02 for a, b in zip(times, times[1:]))
    assert sum(1 for at in times if at < 60) == 20


def test_other_members_are_not_held_up_by_one_members_backlog() -> None:
    pacer = Pacer()
    deliver(pacer, [7])
    assert pacer.earliest(7, 0.0) == 1.02
    assert pacer.earliest(8, 0.0) < 0.05


def test_answers_to_members_go_at_once_and_bulk_yields_the_second_to_them() -> None:
    pacer = Pacer()
    answers = [pacer.note_interactive(i * 0.01) for i in range(20)]
    for answer in answers:
        pacer.finished(answer, answer.at)
    answered = [answer.at for answer in answers]
    assert answered == [i * 0.01 for i in range(20)]  # never held back, never spaced
    bulk = deliver(pacer, list(range(1, 31)), now=0.2)
    in_first_second = [at for at in bulk if at < 1.0]
    # 20 answers in the second leave bulk only what is left of the 30 ...
    assert len(in_first_second) + 20 <= 30
    assert most_in_any_second(answered + bulk) <= 30


def test_an_answer_waits_only_when_the_second_is_already_full() -> None:
    pacer = Pacer(PaceLimits(overall_per_s=3))
    answers = [pacer.note_interactive(0.0) for _ in range(3)]
    assert [answer.at for answer in answers] == [0.0, 0.0, 0.0]
    for answer in answers:
        pacer.finished(answer, 0.0)
    assert pacer.note_interactive(0.1).at > 1.0  # Telegram would refuse a fourth in that second


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.floats(0, 0.2), st.integers(1, 40)), min_size=1, max_size=300))
def test_both_lanes_together_never_exceed_the_ceiling_in_any_second(traffic) -> None:  # noqa: ANN001
    pacer = Pacer()
    now, times, per_chat = 0.0, [], {}
    for interactive, gap, chat in traffic:
        now += gap
        if interactive:
            answer = pacer.note_interactive(now)
            pacer.finished(answer, answer.at)
            times.append(answer.at)
        else:
            at = pacer.earliest(chat, now)
            pacer.finished(pacer.take(chat, at), at)
            times.append(at)
            per_chat.setdefault(chat, []).append(at)
    assert most_in_any_second(times) <= 30
    for sends in per_chat.values():
        assert all(b - a >= 1.0 - 1e-9 for a, b in zip(sends, sends[1:]))


def test_flood_control_is_waited_out_never_earlier_and_slows_bulk_down() -> None:
    pacer = Pacer()
    deliver(pacer, [1, 2, 3])
    pacer.flood(now=0.5, retry_after=7, chat_id=3)
    assert pacer.earliest(4, 0.5) >= 7.5
    assert pacer.earliest(3, 0.5) >= 7.5
    assert pacer.bulk_rate == 15.0
    times = deliver(pacer, list(range(10, 40)), now=7.5)
    assert round(times[1] - times[0], 9) == round(1.002 / 15, 9)  # slower after a 429 ...
    deliver(pacer, list(range(100, 300)), now=times[-1])
    assert pacer.bulk_rate == 30.0  # ... and back to full speed while sends succeed


def test_paid_broadcast_is_off_by_default_and_raises_the_ceiling_when_on() -> None:
    assert DeliveryConfig().ceiling_per_second == 30
    paid = DeliveryConfig(allow_paid_broadcast=True)
    times = deliver(Pacer(PaceLimits(overall_per_s=paid.ceiling_per_second)), list(range(1, 1001)))
    assert times[-1] < 1.1 and most_in_any_second(times) <= 1000  # 1,000 in about a second, not 33


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32), latencies=st.lists(st.sampled_from([0.0, 0.005, 0.03, 0.2]), min_size=1, max_size=4))
def test_however_late_requests_arrive_telegram_never_sees_more_than_the_ceiling(
        seed: int, latencies: list[float]) -> None:
    """Each request reaches Telegram somewhere between its booking and its answer (render,
    event loop and network delay it by different amounts): counting each from its answer
    keeps every second at Telegram's end within the ceiling."""
    chance = random.Random(seed)
    pacer = Pacer()
    now, arrivals, in_flight = 0.0, [], []  # (answer time, send)

    def answer_until(moment: float) -> None:
        for answered_at, sent in [pair for pair in in_flight if pair[0] <= moment]:
            pacer.finished(sent, answered_at)
            in_flight.remove((answered_at, sent))

    for chat in range(1, 400):
        now += chance.random() * 0.005
        answer_until(now)
        if chance.random() < 0.2:
            sent = pacer.note_interactive(now)
        else:
            at = pacer.earliest(chat, now)
            while at == math.inf:  # everything in flight: the next answer frees a place
                now = max(now, min(answered_at for answered_at, _sent in in_flight))
                answer_until(now)
                at = pacer.earliest(chat, now)
            now = at
            answer_until(now)
            sent = pacer.take(chat, at)
        latency = chance.choice(latencies)
        arrivals.append(sent.at + chance.random() * latency)
        in_flight.append((sent.at + latency, sent))
    assert most_in_any_second(arrivals) <= 30


def test_a_slow_answer_holds_the_next_second_back_by_as_long() -> None:
    pacer = Pacer()
    sends = [pacer.take(chat, pacer.earliest(chat, 0.0)) for chat in range(1, 31)]
    for sent in sends:
        pacer.finished(sent, sent.at + 0.1)  # each took 100 ms to answer
    # The 31st may go only once the first has been answered a whole second before.
    assert round(pacer.earliest(31, 0.0), 9) == round(0.1 + 1.002, 9)


def test_a_worker_apart_from_the_ingress_leaves_the_answers_their_headroom() -> None:
    delivery = DeliveryConfig()
    assert delivery.bulk_ceiling_per_second(counts_answers=True) == 30  # it counts them itself
    assert delivery.bulk_ceiling_per_second(counts_answers=False) == 25  # it can't: it leaves 5 a second
    assert DeliveryConfig(answers_headroom_per_second=0).bulk_ceiling_per_second(counts_answers=False) == 30
