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

A host app (a Flask app, say) runs the schedule in its own process with two lines:

    scheduler = pricesync.core.start_scheduler(cron_hour=2, cron_minute=0)
    scheduler.shutdown()                         # at exit; start_scheduler registers it with atexit too
"""

from __future__ import annotations

import atexit
import dataclasses
import importlib.metadata
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .cache import PriceCache
from .choose import (
    PRICE_KINDS,
    Equivalent,
    KindLine,
    NotInCatalog,
    PivotRow,
    break_even_month,
    decimal_text,
    entry_unit_price,
    equivalents,
    export_columns,
    find_entry,
    kind_export_values,
    kind_lines,
    kind_price,
    kind_price_text,
    matching_entries,
    pivot,
    savings_pct,
    unit_price,
)
from .config import Settings, Webhook, add_settings_options, check_url, load_settings
from .cronspec import CronSpec, parse_cron
from .diff import SanityReport, write_back_problems
from .durations import DURATION_FORMS, parse_duration, short_duration
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
from .exports import EXPORT_FORMATS, ExportTable, render_export, write_export
from .fileio import atomic_write_bytes
from .firstrun import first_run_text, never_synced
from .formats import iso_z, parse_utc, provider_name, when
from .freshness import Freshness, level_of, provider_freshness
from .history import ChangeRow, HistoryError, HistoryStore, RunRow
from .kinds import KINDS, ON_DEMAND
from .listeners import default_listeners
from .logs import LOGGER, setup_logging
from .models import (
    HOURS_PER_MONTH,
    PROVIDERS,
    Catalog,
    CatalogDiff,
    CatalogEntry,
    Key,
    KindPrice,
    PriceChange,
    PriceRecord,
    SyncResult,
    is_region,
    monthly_price,
)
from .notify import deliver, sample_payload, wait_for_deliveries
from .numbers import (
    CSV_COLUMNS,
    HOUR_DECIMALS,
    MONTH_DECIMALS,
    column_decimals,
    count_text,
    csv_columns,
    csv_fields,
    exact_decimal,
    hourly_text,
    money_width,
    monthly_decimals,
    monthly_text,
    pct_text,
    price_column,
)
from .paths import cache_path, catalog_path, check_data_dir, state_path, writable_data_dir
from .providers.base import Progress
from .query import FIELD_NAMES, BadTerm, Query, Term, field_value
from .query import parse as parse_query
from .scheduler import PriceSyncScheduler, RunRecord, SchedulerEvent
from .snapshot import ProviderState, Snapshot
from .specs import SPEC_FIELDS, Specs, spec_value
from .sync import SyncEngine, SyncListener
from .textsafe import csv_cell, markdown_cell, markup, terminal, terminal_lines
from .typeorder import key_order, natural_key
from .views import (
    DEFAULT_COLUMNS,
    VIEW_COLUMNS,
    SavedView,
    check_view_name,
    column_field,
    find_view,
    known_columns,
    load_views,
    pending_texts,
    save_view,
    view_table,
)

__all__ = [  # noqa: RUF022  grouped by what the names are for, not sorted
    # settings
    "Settings",
    "Webhook",
    "add_settings_options",
    "check_data_dir",
    "writable_data_dir",
    "version",
    "check_url",
    "load_settings",
    # the engine
    "SyncEngine",
    "SyncListener",
    "build_engine",
    "write_back_guard",
    "data_files",
    "SanityReport",
    "Progress",
    "ProviderState",
    "Snapshot",
    # scheduling
    "CronSpec",
    "PriceSyncScheduler",
    "RunRecord",
    "SchedulerEvent",
    "parse_cron",
    "start_scheduler",
    # how fresh the prices are ([sync] max_age)
    "Freshness",
    "provider_freshness",
    "level_of",
    # the price history and the webhooks
    "ChangeRow",
    "HistoryStore",
    "RunRow",
    "deliver",
    "sample_payload",
    "wait_for_deliveries",
    # saved views (filter, columns, sort, regions, provider, price kind, pivot)
    "DEFAULT_COLUMNS",
    "VIEW_COLUMNS",
    "SavedView",
    "check_view_name",
    "column_field",
    "find_view",
    "known_columns",
    "load_views",
    "pending_texts",
    "save_view",
    "view_table",
    # values
    "KINDS",
    "ON_DEMAND",
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
    "HOURS_PER_MONTH",
    "KindPrice",
    # the richer specs: generation, processor, clock, network, storage (core.specs)
    "SPEC_FIELDS",
    "Specs",
    "spec_value",
    # choosing an instance: price kinds, unit prices, break-even, pivot, equivalents (core.choose)
    "PRICE_KINDS",
    "Equivalent",
    "KindLine",
    "PivotRow",
    "break_even_month",
    "decimal_text",
    "entry_unit_price",
    "equivalents",
    "export_columns",
    "find_entry",
    "kind_export_values",
    "kind_lines",
    "kind_price",
    "kind_price_text",
    "matching_entries",
    "pivot",
    "savings_pct",
    "unit_price",
    # the filter language (core.query)
    "FIELD_NAMES",
    "BadTerm",
    "Query",
    "Term",
    "field_value",
    "parse_query",
    # showing text, times and numbers, ordering type names (core.textsafe, core.formats, core.numbers, core.typeorder)
    "csv_cell",
    "DURATION_FORMS",
    "iso_z",
    "markdown_cell",
    "markup",
    "parse_duration",
    "parse_utc",
    "provider_name",
    "short_duration",
    "terminal",
    "terminal_lines",
    "when",
    "first_run_text",
    "never_synced",
    "CSV_COLUMNS",
    "HOUR_DECIMALS",
    "MONTH_DECIMALS",
    "column_decimals",
    "count_text",
    "csv_columns",
    "csv_fields",
    "exact_decimal",
    "hourly_text",
    "monthly_decimals",
    "money_width",
    "price_column",
    "monthly_text",
    "pct_text",
    "natural_key",
    "key_order",
    # files and logs
    "LOGGER",
    "atomic_write_bytes",
    "EXPORT_FORMATS",
    "ExportTable",
    "render_export",
    "setup_logging",
    "write_export",
    # errors: each message is one line fit for an operator
    "Cancelled",
    "CatalogError",
    "ConfigError",
    "ExportError",
    "HistoryError",
    "NotInCatalog",
    "PriceSyncError",
    "SanityError",
    "SourceError",
    "SyncBusy",
]


def version() -> str:
    """The installed pricesync's version ('0.1.0'), or 'unknown' when run from a bare checkout."""
    try:
        return importlib.metadata.version("pricesync-tui")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def data_files(settings: Settings, provider: str) -> tuple[Path, Path, Path]:
    """The files whose change on disk changes what a client shows of `provider` (another process
    synced or wrote back): its catalog, its price cache, state.json."""
    data = settings.data_dir
    return catalog_path(data, provider), cache_path(data, provider), state_path(data)


def write_back_guard(settings: Settings, snapshot: Snapshot) -> SanityReport:
    """What the sanity guard would say of writing back `snapshot`'s cache (the write-back runs
    the same rules): `refused` nothing overrides; `suspicious` a forced write-back overrides.
    Reads nothing; costs a pass over the cache: call it off a UI thread."""
    if snapshot.catalog is None or snapshot.cache is None or snapshot.diff is None:
        return SanityReport()
    return write_back_problems(
        snapshot.catalog,
        snapshot.cache.records,
        sorted(snapshot.cache.regions),
        snapshot.diff,
        settings.sync.max_missing_pct,
    )


def build_engine(settings: Settings, *, listeners: Sequence[SyncListener] | None = None) -> SyncEngine:
    """The engine with the default listeners (the price history, then the webhooks), or with
    `listeners` instead."""
    return SyncEngine(settings, listeners=default_listeners(settings) if listeners is None else listeners)


def start_scheduler(
    *,
    cron_hour: int | None = None,
    cron_minute: int | None = None,
    cron: str | None = None,
    config: str | os.PathLike[str] | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    settings: Settings | None = None,
    write_back: bool | None = None,
    providers: Sequence[str] | None = None,
) -> PriceSyncScheduler:
    """Start the scheduled price sync inside a host app, the way pricesync's original Flask app
    did, and return the running scheduler (`run_now()`, `next_run_time`, `last_run`, `shutdown()`).

    The settings are `settings`, else the config file and data dir (`config`, `data_dir`, else
    $PRICESYNC_CONFIG / $PRICESYNC_DATA_DIR / the user dirs, as for `pricesync`). `cron` (five
    crontab fields), or `cron_hour` and `cron_minute` (default 0), replace [schedule] cron, read in
    [schedule] timezone; `write_back` and `providers` replace theirs. A bad value is a ConfigError.
    Runs log to the `pricesync` logger and sync.log; a run that fails is logged with its traceback
    and the next one stays scheduled. The engine records the price history and tells the webhooks.
    `scheduler.shutdown()` stops it; it is registered with atexit as well."""
    if settings is None:
        settings = load_settings(config, data_dir)
    elif config is not None or data_dir is not None:
        raise ConfigError("start_scheduler: pass settings, or config and data_dir, not both")
    changes: dict[str, Any] = {}  # of ScheduleSection
    if cron_hour is not None or cron_minute is not None:
        if cron is not None:
            raise ConfigError("start_scheduler: pass cron, or cron_hour and cron_minute, not both")
        cron = f"{_cron_number(cron_minute, 'cron_minute')} {_cron_number(cron_hour, 'cron_hour')} * * *"
    if cron is not None:
        parse_cron(cron, settings.schedule.timezone)
        changes["cron"] = cron
    if write_back is not None:
        changes["write_back"] = write_back
    if providers is not None:
        unknown = [p for p in providers if p not in PROVIDERS]
        if unknown:
            raise ConfigError(
                f"start_scheduler: unknown provider(s) {', '.join(unknown)}; known: {', '.join(PROVIDERS)}"
            )
        changes["providers"] = list(providers)
    settings = dataclasses.replace(settings, schedule=dataclasses.replace(settings.schedule, **changes))
    setup_logging(settings.data_dir)
    scheduler = PriceSyncScheduler(settings, build_engine(settings))
    scheduler.start()
    atexit.register(scheduler.shutdown)
    return scheduler


def _cron_number(value: int | None, name: str) -> str:
    """A crontab field for cron_hour / cron_minute: the number, or '*' for the hour when not given."""
    if value is None:
        return "0" if name == "cron_minute" else "*"
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"start_scheduler: {name} must be a whole number, not {type(value).__name__}")
    return str(value)
