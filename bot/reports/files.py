"""The summary's formats by name, with file names in the reader's language."""

from __future__ import annotations

import enum
import html
import re
from collections.abc import Callable

from bot.i18n import Translator
from bot.reports.chart import summary_png
from bot.reports.tables import summary_csv, summary_xlsx
from bot.reports.text import summary_messages
from bot.services.summary.model import Summary


class Format(enum.StrEnum):
    TEXT = "text"
    CSV = "csv"
    XLSX = "xlsx"
    PNG = "png"


EXTENSIONS = {Format.TEXT: "txt", Format.CSV: "csv", Format.XLSX: "xlsx", Format.PNG: "png"}
ATTACHMENTS = (Format.CSV, Format.XLSX, Format.PNG)


def plain_text(t: Translator, summary: Summary) -> str:
    """The messages as plain text for a terminal or a .txt file (no HTML)."""
    text = "\n\n".join(str(message) for message in summary_messages(t, summary))
    return html.unescape(re.sub(r"<[^>]+>", "", text)) + "\n"


_RENDER: dict[Format, Callable[[Translator, Summary], bytes]] = {
    Format.TEXT: lambda t, summary: plain_text(t, summary).encode("utf-8"),
    Format.CSV: summary_csv,
    Format.XLSX: summary_xlsx,
    Format.PNG: summary_png,
}


def render(t: Translator, summary: Summary, format_: Format) -> bytes:
    return _RENDER[format_](t, summary)


def file_name(t: Translator, summary: Summary, format_: Format) -> str:
    scope = summary.scope.slug or t.plain("whole-scheme")
    return t.plain("weekly-summary-{week}-{scope}.{extension}", week=str(summary.week), scope=scope,
                   extension=EXTENSIONS[format_])
