"""The sync listeners every client (CLI, daemon, TUI) gets: what happens after a sync."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .history import HistoryRecorder, HistoryStore
from .notify import Notifier

if TYPE_CHECKING:
    from .config import Settings
    from .sync import SyncListener


def default_listeners(settings: Settings) -> list[SyncListener]:
    """Record the run in the price history, then tell the configured webhooks."""
    listeners: list[SyncListener] = [HistoryRecorder(HistoryStore(settings.data_dir))]
    notifier = Notifier.from_settings(settings)
    if notifier.hooks:
        listeners.append(notifier)
    return listeners
