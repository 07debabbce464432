"""The sync log pane and the logging handler that feeds it from any thread."""

from __future__ import annotations

import logging
import time

from pricesync.core import terminal
from rich.text import Text
from textual.app import App
from textual.widgets import RichLog

from ..messages import LogLine

LEVEL_STYLES = {logging.WARNING: "yellow", logging.ERROR: "bold red", logging.CRITICAL: "bold red"}


class PaneHandler(logging.Handler):
    """Posts each record to the app as a LogLine; never touches a widget. A traceback is
    reduced to its exception (the full one is in sync.log). The text is neutralised: a source
    string in a message shows its control characters as escapes."""

    def __init__(self, app: App, level: int = logging.INFO) -> None:
        super().__init__(level)
        self.app = app

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
            if record.exc_info and record.exc_info[1] is not None:
                text += f" ({record.exc_info[1]!r}; traceback in sync.log)"
            self.app.post_message(LogLine(record.created, record.levelno, terminal(text)))
        except Exception:
            self.handleError(record)


class LogPane(RichLog):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, max_lines=2000, wrap=True, markup=False, highlight=False)
        self.border_title = "sync log"

    def add(self, line: LogLine) -> None:
        level = logging.getLevelName(line.levelno)
        style = LEVEL_STYLES.get(line.levelno, "")
        stamp = time.strftime("%H:%M:%S", time.gmtime(line.created))
        self.write(Text.assemble((stamp, "dim"), " ", (f"{level:<7}", style or "dim"), " ", (line.text, style)))
