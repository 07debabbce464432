"""pricesync.core: the engine, and its front door. The CLI (pricesync.core.cli), the dashboard
(pricesync.tui) and a host app import this package root and nothing under it; the engine knows
nothing of any UI.

    settings = load_settings()                   # --config / $PRICESYNC_CONFIG, --data-dir / ...
    engine = build_engine(settings)              # records the price history, tells the webhooks
    snapshot = engine.snapshot("aws")            # catalog, cache, pending diff, state, problems
    engine.check("gcp")                          # why GCP cannot sync here, or None (no client)
    result = engine.sync("aws")                  # never raises for a failed sync: see result.status
    engine.write_back(snapshot)                  # refused if the cache changed since `snapshot`
    scheduler = PriceSyncScheduler(settings, engine)
"""

from __future__ import annotations

from collections.abc import Sequence

from .cache import PriceCache
from .config import Settings, Webhook, add_settings_options, check_url, load_settings
from .cronspec import CronSpec, parse_cron
from .errors import (
    Cancelled,
    CatalogError,
    ConfigError,
    ExportError,
    PriceSyncError,
    SanityError,
    SourceError,
    SyncBusy,
)
from .exports import export_path, write_export
from .fileio import atomic_write_bytes
from .formats import iso_z, parse_utc, provider_name
from .history import ChangeRow, HistoryError, HistoryStore, RunRow
from .listeners import default_listeners
from .logs import LOGGER, setup_logging
from .models import (
    PROVIDERS,
    Catalog,
    CatalogDiff,
    CatalogEntry,
    Key,
    PriceChange,
    PriceRecord,
    SyncResult,
    is_region,
    monthly_price,
)
from .notify import deliver, sample_payload, wait_for_deliveries
from .paths import check_data_dir
from .providers.base import Progress
from .scheduler import PriceSyncScheduler, RunRecord, SchedulerEvent
from .snapshot import ProviderState, Snapshot
from .sync import SyncEngine, SyncListener
from .textsafe import csv_cell, markup, terminal, terminal_lines

__all__ = [  # noqa: RUF022  grouped by what the names are for, not sorted
    # settings
    "Settings",
    "Webhook",
    "add_settings_options",
    "check_data_dir",
    "check_url",
    "load_settings",
    # the engine
    "SyncEngine",
    "SyncListener",
    "build_engine",
    "Progress",
    "ProviderState",
    "Snapshot",
    # scheduling
    "CronSpec",
    "PriceSyncScheduler",
    "RunRecord",
    "SchedulerEvent",
    "parse_cron",
    # the price history and the webhooks
    "ChangeRow",
    "HistoryStore",
    "RunRow",
    "deliver",
    "sample_payload",
    "wait_for_deliveries",
    # values
    "PROVIDERS",
    "Catalog",
    "CatalogDiff",
    "CatalogEntry",
    "Key",
    "PriceCache",
    "PriceChange",
    "PriceRecord",
    "SyncResult",
    "is_region",
    "monthly_price",
    # showing text and times (core.textsafe, core.formats)
    "csv_cell",
    "iso_z",
    "markup",
    "parse_utc",
    "provider_name",
    "terminal",
    "terminal_lines",
    # files and logs
    "LOGGER",
    "atomic_write_bytes",
    "export_path",
    "setup_logging",
    "write_export",
    # errors: each message is one line fit for an operator
    "Cancelled",
    "CatalogError",
    "ConfigError",
    "ExportError",
    "HistoryError",
    "PriceSyncError",
    "SanityError",
    "SourceError",
    "SyncBusy",
]


def build_engine(settings: Settings, *, listeners: Sequence[SyncListener] | None = None) -> SyncEngine:
    """The engine with the default listeners (the price history, then the webhooks), or with
    `listeners` instead."""
    return SyncEngine(settings, listeners=default_listeners(settings) if listeners is None else listeners)
