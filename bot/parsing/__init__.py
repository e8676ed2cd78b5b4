"""Parsers for what volunteers and coordinators type (English and Welsh).

Pure functions over strings: no Telegram, no database, no user-facing text.
Each returns a value or an error *reason* enum that the bot's handlers turn
into a localised message.
"""

from bot.parsing.dates import DateError, Prefer, parse_date
from bot.parsing.durations import MAX_MINUTES_PER_DAY, DurationError, parse_duration
from bot.parsing.moments import DayAndTimes, local_to_utc, parse_datetime, parse_day_and_times
from bot.parsing.times import parse_time, parse_time_range

__all__ = [
    "MAX_MINUTES_PER_DAY",
    "DateError",
    "DayAndTimes",
    "DurationError",
    "Prefer",
    "local_to_utc",
    "parse_date",
    "parse_datetime",
    "parse_day_and_times",
    "parse_duration",
    "parse_time",
    "parse_time_range",
]
