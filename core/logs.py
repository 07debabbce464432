"""Logging set-up shared by the CLI, the daemon and the TUI: everything the engine says goes
to the `pricesync` logger; `sync.log` in the data dir keeps it (rotating)."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from .paths import log_path
from .textsafe import SafeFormatter

LOGGER = "pricesync"
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup_logging(data: Path, *, stderr_level: int | None = None) -> logging.Logger:
    """Attach the rotating `sync.log` handler (once) and optionally a stderr handler."""
    logger = logging.getLogger(LOGGER)
    logger.setLevel(logging.INFO)
    target = str(log_path(data))
    if not any(getattr(h, "baseFilename", None) == target for h in logger.handlers):
        try:
            data.mkdir(parents=True, exist_ok=True)
            handler = logging.handlers.RotatingFileHandler(target, maxBytes=2_000_000, backupCount=5, encoding="utf-8")
        except OSError:
            # read-only data dir: the sync itself will say so clearly. A null handler keeps
            # logging's last-resort handler from echoing every error to stderr a second time.
            handler = logging.NullHandler()
        handler.setFormatter(SafeFormatter(FORMAT))
        logger.addHandler(handler)
    if stderr_level is not None and not any(getattr(h, "pricesync_stderr", False) for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setLevel(stderr_level)
        handler.setFormatter(SafeFormatter(FORMAT))
        handler.pricesync_stderr = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    return logger
