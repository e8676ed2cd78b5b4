"""Parsers for what volunteers and coordinators type (English and Welsh).

Pure functions over strings: no Telegram, no database, no user-facing text.
Each returns a value or an error *reason* enum that the bot's handlers turn
into a localised message.
"""

from bot.parsing.dates import (
    DateError,
    Prefer,
    local_to_utc,
    parse_date,
    parse_datetime,
    parse_time,
    parse_time_range,
)
from bot.parsing.durations import MAX_MINUTES_PER_DAY, DurationError, parse_duration

__all__ = [
    "MAX_MINUTES_PER_DAY",
    "DateError",
    "DurationError",
    "Prefer",
    "local_to_utc",
    "parse_date",
    "parse_datetime",
    "parse_duration",
    "parse_time",
    "parse_time_range",
]
