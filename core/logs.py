"""Logging set-up shared by the CLI, the daemon and the TUI: everything the engine says goes
to the `pricesync` logger; `sync.log` in the data dir keeps it (rotating)."""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from io import TextIOWrapper
from pathlib import Path

from .errors import CatalogError
from .fileio import describe, open_regular
from .paths import log_path
from .textsafe import SafeFormatter

LOGGER = "pricesync"
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
STDERR_HANDLER = "pricesync:stderr"


class SyncLogHandler(logging.handlers.RotatingFileHandler):
    """`sync.log`, opened (and reopened after each rotation) without following a link.

    A write that fails (a full disk) drops the line instead of printing logging's
    `--- Logging error ---` traceback for every record; the first failure is told once to the
    logger's other handlers (the daemon's stderr, the TUI's log pane)."""

    def __init__(self, path: Path) -> None:
        self.failed = False
        super().__init__(path, maxBytes=2_000_000, backupCount=5, encoding="utf-8")

    def _open(self) -> TextIOWrapper:
        fd = open_regular(Path(self.baseFilename), os.O_WRONLY | os.O_APPEND | os.O_CREAT, "log file")
        return os.fdopen(fd, "a", encoding=self.encoding, errors=self.errors)

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 (logging's name)
        if self.failed:
            return
        self.failed = True
        exc = sys.exc_info()[1]
        reason = describe(exc) if isinstance(exc, OSError) else str(exc)
        logging.getLogger(LOGGER).warning("%s cannot be written (%s): log lines are dropped", self.baseFilename, reason)


def setup_logging(data: Path, *, stderr_level: int | None = None) -> logging.Logger:
    """Attach the rotating `sync.log` handler (once) and optionally a stderr handler.

    A `sync.log` that is a symbolic link (or not a regular file) is refused with one warning
    line on stderr, and the run goes on without it."""
    logger = logging.getLogger(LOGGER)
    logger.setLevel(logging.INFO)
    # each handler is named for what it is, so a second call adds none twice
    file_name = f"pricesync:{log_path(data)}"
    if not any(h.name == file_name for h in logger.handlers):
        handler: logging.Handler
        try:
            data.mkdir(parents=True, exist_ok=True)
            handler = SyncLogHandler(log_path(data))
        except CatalogError as exc:
            print(f"pricesync: warning: {exc}; not logging to it", file=sys.stderr)
            handler = logging.NullHandler()
        except OSError:
            # read-only data dir: the sync itself will say so clearly. A null handler keeps
            # logging's last-resort handler from echoing every error to stderr a second time.
            handler = logging.NullHandler()
        handler.setFormatter(SafeFormatter(FORMAT))
        handler.name = file_name
        logger.addHandler(handler)
    if stderr_level is not None and not any(h.name == STDERR_HANDLER for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setLevel(stderr_level)
        handler.setFormatter(SafeFormatter(FORMAT))
        handler.name = STDERR_HANDLER
        logger.addHandler(handler)
    return logger
