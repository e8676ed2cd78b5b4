"""Secrets never reach a log: the bot token, a webhook secret, a database password.

httpx logs every request URL at INFO, and the Bot API puts the token in the path
(`/bot<token>/getUpdates`), so `--verbose` would otherwise write the token down many
times a minute. The filter is installed on the *handlers* (not on loggers), because a
logger's filter does not see records that third-party loggers (httpx, httpcore,
telegram, apscheduler) propagate to the root; a handler's filter sees every record it
is about to write, at every level, whoever logged it.

A record is rendered once (message with its arguments, exception and stack text), the
secrets are replaced, and the record carries the redacted text from then on, so no
formatter can bring the original back.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from urllib.parse import quote

REDACTED = "[REDACTED]"
# Shorter strings are not worth hunting for: they would blank out ordinary words.
MINIMUM_SECRET_LENGTH = 6


def secret_forms(secrets: Iterable[str]) -> list[str]:
    """Every form a secret may take in a log line: as it is, URL-encoded, and for a bot
    token ("<bot id>:<secret>") the secret half on its own, which is the part that matters."""
    forms: set[str] = set()
    for secret in secrets:
        secret = (secret or "").strip()
        if len(secret) < MINIMUM_SECRET_LENGTH:
            continue
        forms.update({secret, quote(secret, safe=""), quote(secret)})
        bot_id, colon, private = secret.partition(":")
        if colon and bot_id.isdigit() and len(private) >= MINIMUM_SECRET_LENGTH:
            forms.add(private)
    # Longest first, so a whole token is replaced before the half it contains.
    return sorted(forms, key=len, reverse=True)


class RedactSecrets(logging.Filter):
    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.forms = secret_forms(secrets)

    def redact(self, text: str) -> str:
        for form in self.forms:
            if form in text:
                text = text.replace(form, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.forms:
            return True
        try:
            message = record.getMessage()
        except Exception:
            message = f"{record.msg!r} {record.args!r}"
        record.msg, record.args = self.redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        # The exception object itself stays out of reach of any later formatter: only
        # its (redacted) text is kept.
        record.exc_info = None
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def install(secrets: Iterable[str], *, logger: logging.Logger | None = None) -> RedactSecrets:
    """Puts one filter on every handler of `logger` (the root by default)."""
    redactor = RedactSecrets(secrets)
    for handler in (logger or logging.getLogger()).handlers:
        handler.addFilter(redactor)
    return redactor
