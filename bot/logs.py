"""Where the bot's log goes and in what shape: readable lines, or one JSON object a line
for a log collector (`[logging] format = "json"`).

A JSON line carries the time (UTC, ISO 8601), level, logger and message, the exception
text if any, and the record's own fields (`extra=`): the per-update line of
handlers/observed.py has event, update_id, kind, handler, member_telegram_id, outcome
and latency_ms; the dispatcher's per-batch line has event, sent and failed. Secrets are
redacted twice: by the handler's filter before formatting (bot/log_redaction.py, which
sees every record) and again over the finished line, for fields given in `extra=`.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from bot.config import LogFormat, LoggingConfig
from bot.log_redaction import install as install_redaction

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# What every LogRecord has; anything else on a record came from `extra=`.
_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def __init__(self, redact: Callable[[str], str] = lambda text: text) -> None:
        super().__init__()
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update({key: value for key, value in record.__dict__.items() if key not in _STANDARD})
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = record.stack_info
        return self.redact(json.dumps(line, ensure_ascii=False, default=str))


def configure(config: LoggingConfig, *, verbose: bool, secrets: Iterable[str]) -> None:
    """The root logger's one handler (stderr), its shape, level and redaction."""
    configured: int = getattr(logging, config.level)
    level = min(configured, logging.INFO) if verbose else configured  # --verbose means at least INFO
    handler = logging.StreamHandler(sys.stderr)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    redactor = install_redaction(secrets)
    handler.setFormatter(JsonFormatter(redactor.redact) if config.format is LogFormat.JSON
                         else logging.Formatter(TEXT_FORMAT))
