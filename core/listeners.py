"""The sync listeners a client gets by default (pricesync.core.build_engine): what happens after
a sync. The engine runs whatever listeners it is given and builds none itself."""

from __future__ import annotations

from .config import Settings
from .history import HistoryRecorder, HistoryStore
from .listings import NewListingsNotifier
from .notify import Notifier
from .sync import SyncListener


def default_listeners(settings: Settings) -> list[SyncListener]:
    """Record the run in the price history, then tell the configured webhooks: prices that
    moved, then instance families and regions never seen before (core.listings)."""
    listeners: list[SyncListener] = [HistoryRecorder(HistoryStore(settings.data_dir))]
    if settings.webhooks:
        notifier = Notifier.from_settings(settings)
        listeners += [notifier, NewListingsNotifier(settings, notifier)]
    return listeners
