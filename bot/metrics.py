"""The Prometheus metrics a bot process exposes on /metrics (prometheus-client).

Each process has its own registry (no global state: tests run several bots in one
process). Counters of what this process did are kept as it happens (`updates`,
`latency`); what the dispatcher counts already (sent, failed, 429s) is read from its
stats at scrape time; what lives in the database (the outbox backlog, the age of the
oldest due row, unhandled updates) and leadership are read when /metrics is asked.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.services.health import Backlog

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Handler latency: most answers take a few milliseconds; a slow database shows in the tail.
LATENCY_BUCKETS = (0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)


class UpdateOutcome(enum.StrEnum):
    HANDLED = "handled"  # the handlers ran to the end (a refusal the member was told counts)
    FAILED = "failed"  # an error the member was apologised to for
    BLOCKED = "blocked"  # the member had blocked the bot (403 on the answer)
    SLOWED = "slowed"  # Telegram's flood control or a timeout cut the answer short
    SUPERSEDED = "superseded"  # another update of the chat moved the dialogue on first


class DeliveryCounts(Protocol):
    """The dispatcher's running totals (bot/delivery/dispatcher.py DispatcherStats)."""

    sent: int
    floods: int
    failed: int
    unreachable: int


class _DeliveryCollector(Collector):
    def __init__(self, stats: Callable[[], DeliveryCounts | None]) -> None:
        self.stats = stats

    def collect(self) -> Iterator[Metric]:
        stats = self.stats()
        sent = CounterMetricFamily("coprod_messages_sent", "Notifications Telegram took from this process")
        failed = CounterMetricFamily("coprod_messages_failed", "Notifications that failed, by reason",
                                     labels=["reason"])
        floods = CounterMetricFamily("coprod_telegram_429", "Flood-control answers (429) to notifications")
        sent.add_metric([], stats.sent if stats else 0)
        failed.add_metric(["error"], stats.failed if stats else 0)
        failed.add_metric(["unreachable"], stats.unreachable if stats else 0)
        floods.add_metric([], stats.floods if stats else 0)
        yield from (sent, failed, floods)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.updates = Counter("coprod_updates_handled", "Updates handled, by kind and outcome",
                               ["kind", "outcome"], registry=self.registry)
        self.latency = Histogram("coprod_handler_latency_seconds", "Time from an update's first handler to its "
                                 "last", ["kind"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.answer_floods = Counter("coprod_answer_429", "Answers to members cut short by flood control",
                                     registry=self.registry)
        self.backlog = Gauge("coprod_outbox_backlog", "Notifications due and not yet sent", registry=self.registry)
        self.oldest_due = Gauge("coprod_outbox_oldest_due_age_seconds", "How long the oldest due notification has "
                                "waited", registry=self.registry)
        self.inbox = Gauge("coprod_inbox_unhandled", "Updates stored and not yet handled", registry=self.registry)
        self.leader = Gauge("coprod_leader", "1 while this process is the worker leader", registry=self.registry)
        self._delivery: Callable[[], DeliveryCounts | None] = lambda: None
        self.registry.register(_DeliveryCollector(lambda: self._delivery()))

    def observe_update(self, kind: str, outcome: UpdateOutcome, seconds: float) -> None:
        self.updates.labels(kind=kind, outcome=outcome.value).inc()
        self.latency.labels(kind=kind).observe(seconds)

    def read_delivery_from(self, stats: Callable[[], DeliveryCounts | None]) -> None:
        self._delivery = stats

    def set_state(self, backlog: Backlog, *, leader: bool) -> None:
        self.backlog.set(backlog.due)
        self.oldest_due.set(backlog.oldest_due_age_s)
        self.inbox.set(backlog.inbox_unhandled)
        self.leader.set(1 if leader else 0)

    def render(self) -> bytes:
        return generate_latest(self.registry)
