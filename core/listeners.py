"""The sync listeners a client gets by default (pricesync.core.build_engine): what happens after
a sync. The engine runs whatever listeners it is given and builds none itself."""

from __future__ import annotations

from .config import Settings
from .history import HistoryRecorder, HistoryStore
from .notify import Notifier
from .sync import SyncListener


def default_listeners(settings: Settings) -> list[SyncListener]:
    """Record the run in the price history, then tell the configured webhooks."""
    listeners: list[SyncListener] = [HistoryRecorder(HistoryStore(settings.data_dir))]
    if settings.webhooks:
        listeners.append(Notifier.from_settings(settings))
    return listeners
