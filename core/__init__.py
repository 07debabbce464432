"""pricesync.core: the sync engine. Knows nothing of any UI."""

from __future__ import annotations

from collections.abc import Sequence

from .config import Settings
from .listeners import default_listeners
from .sync import SyncEngine, SyncListener


def build_engine(settings: Settings, *, listeners: Sequence[SyncListener] | None = None) -> SyncEngine:
    """The engine with the default listeners (the price history, then the webhooks), or with
    `listeners` instead."""
    return SyncEngine(settings, listeners=default_listeners(settings) if listeners is None else listeners)
