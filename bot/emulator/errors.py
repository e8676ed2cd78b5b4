"""Bot API error replies, worded as the real Telegram server words them.

Tests and the bot match on these strings (PTB strips the "Bad Request: "
prefix for ``BadRequest.message``), so they are kept verbatim in one place.
"""

from __future__ import annotations

from typing import Any

MESSAGE_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
BOT_BLOCKED = "bot was blocked by the user"
GETUPDATES_CONFLICT = (
    "terminated by other getUpdates request; make sure that only one bot instance is running"
)


class ApiError(Exception):
    """A refusal the emulator sends back as ``{"ok": false, ...}``."""

    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}")


def forbidden(detail: str) -> ApiError:
    return ApiError(403, f"Forbidden: {detail}")


def too_many_requests(retry_after: int) -> ApiError:
    return ApiError(
        429,
        f"Too Many Requests: retry after {retry_after}",
        {"retry_after": retry_after},
    )


def bad_gateway() -> ApiError:
    return ApiError(502, "Bad Gateway")


def not_found() -> ApiError:
    return ApiError(404, "Not Found")


def unauthorized() -> ApiError:
    return ApiError(401, "Unauthorized")


def conflict(detail: str) -> ApiError:
    return ApiError(409, f"Conflict: {detail}")
