"""The sync listeners every client (CLI, daemon, TUI) gets: what happens after a sync."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .config import Settings
    from .sync import SyncListener


def default_listeners(settings: Settings) -> list[SyncListener]:
    return []
