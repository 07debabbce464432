"""SyncEngine: fetch -> cache -> diff -> optional write-back, one sync per provider at a time.

Nothing is written until a fetch has completed: a failed, cancelled or suspicious sync
leaves the catalog, the cache and the stored versions exactly as they were.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from .cache import PriceCache, load_cache, write_cache
from .catalog import ensure_catalog, load_catalog, write_catalog
from .config import Settings
from .diff import diff_catalog, merge, sanity_problems
from .errors import Cancelled, PriceSyncError, SanityError, SyncBusy
from .fileio import exclusive
from .models import Catalog, CatalogDiff, PriceRecord, SourceInfo, SyncResult
from .providers import make_provider
from .providers.base import FetchRequest, FetchResult, Progress, RegionVersion
from .state import index_version, provider_state, region_versions, update_provider_state

log = logging.getLogger("pricesync.sync")


def utc_now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def sync_lock_path(data: Path, provider: str) -> Path:
    return data / f"{provider}.sync.lock"


# Called after every sync attempt with the result, the cache before it and the cache it
# wrote (None when nothing was written). History and webhooks hang off this.
SyncListener = Callable[[SyncResult, PriceCache | None, PriceCache | None], None]


class SyncEngine:
    def __init__(
        self,
        settings: Settings,
        provider_factory=make_provider,
        listeners: Sequence[SyncListener] | None = None,
    ) -> None:
        """`listeners` None means the configured ones (see core.listeners)."""
        self.settings = settings
        self.data = settings.data_dir
        self._make_provider = provider_factory
        if listeners is None:
            from .listeners import default_listeners

            listeners = default_listeners(settings)
        self.listeners = list(listeners)

    # -- public API -------------------------------------------------------------------------

    def catalog(self, provider: str) -> Catalog:
        return load_catalog(ensure_catalog(self.data, provider), provider)

    def cache(self, provider: str) -> PriceCache | None:
        return load_cache(self.data, provider)

    def pending(self, provider: str) -> CatalogDiff:
        """What a write-back of the current cache would change."""
        cache = load_cache(self.data, provider)
        if cache is None:
            return CatalogDiff()
        return diff_catalog(self.catalog(provider), cache.records, cache.regions)

    def sync(
        self,
        provider: str,
        *,
        regions: list[str] | None = None,
        all_regions: bool = False,
        write_back: bool = False,
        force: bool = False,
        mode: str | None = None,
        endpoint: str | None = None,
        cancel: threading.Event | None = None,
        progress: Progress | None = None,
    ) -> SyncResult:
        """Run one sync. Never raises for sync failures: they come back as status 'failed'."""
        started = time.monotonic()
        mode = mode or (self.settings.aws.mode if provider == "aws" else "api")
        caches: list[PriceCache | None] = [None, None]  # before, written
        result = self._exclusively(provider, mode, started, lambda: self._sync_locked(
            provider, mode, regions, all_regions, write_back, force, endpoint,
            cancel or threading.Event(), progress, started, caches,
        ))
        if result.status != "busy":
            self._notify(result, *caches)
        return result

    def _notify(self, result: SyncResult, before: PriceCache | None, written: PriceCache | None) -> None:
        for listener in self.listeners:
            try:
                listener(result, before, written)
            except Exception:
                log.exception("sync listener %r failed", listener)

    def write_back(self, provider: str, *, force: bool = False) -> SyncResult:
        """Apply the price cache to the catalog (the TUI's `w`), with the same guard."""
        started = time.monotonic()

        def apply() -> SyncResult:
            cache = load_cache(self.data, provider)
            if cache is None:
                raise PriceSyncError(f"no price cache for {provider} yet: run a sync first")
            catalog = self.catalog(provider)
            regions = sorted(cache.regions)
            diff = diff_catalog(catalog, cache.records, regions)
            self._write_back(provider, catalog, list(cache.records), regions, diff, force,
                             SourceInfo(cache.mode, cache.source_version, None))
            return SyncResult(
                provider=provider, mode=cache.mode, status="updated", regions=tuple(regions),
                records=len(cache.records), added=len(diff.added), changed=len(diff.changed),
                missing=len(diff.missing), wrote_back=True, duration_s=time.monotonic() - started,
                source_version=cache.source_version, changes=diff.changed,
            )

        return self._exclusively(provider, "cache", started, apply)

    # -- internals ----------------------------------------------------------------------------

    def _exclusively(self, provider: str, mode: str, started: float, body: Callable[[], SyncResult]) -> SyncResult:
        """Run `body` under the provider's sync lock; a held lock, a failure or a bug comes
        back as a 'busy' or 'failed' result, never as an exception."""
        fail = dict(provider=provider, mode=mode)
        try:
            with exclusive(
                sync_lock_path(self.data, provider),
                wait_s=0,
                busy_message=f"sync already running for {provider} (another process or thread holds the lock)",
            ):
                return body()
        except SyncBusy as exc:
            log.warning("%s", exc)
            return SyncResult(**fail, status="busy", error=str(exc), duration_s=time.monotonic() - started)
        except PriceSyncError as exc:
            return self._failed(fail, exc, started)
        except Exception as exc:  # a bug must not take the app or the daemon down
            log.exception("%s sync crashed", provider)
            return self._failed(fail, f"internal error: {exc!r}", started)

    def _failed(self, fail: dict, exc: Exception | str, started: float) -> SyncResult:
        message = str(exc)
        log.error("%s sync failed: %s", fail["provider"], message)
        try:
            update_provider_state(self.data, fail["provider"], {"last_status": "failed", "last_error": message})
        except PriceSyncError:
            pass  # e.g. a read-only data dir: the error above already says what failed
        return SyncResult(**fail, status="failed", error=message, duration_s=time.monotonic() - started)

    def _sync_locked(
        self, provider, mode, regions, all_regions, write_back, force, endpoint, cancel, progress, started, caches
    ) -> SyncResult:
        catalog = self.catalog(provider)
        pstate = provider_state(self.data, provider)
        update_provider_state(self.data, provider, {"last_attempt": utc_now()})
        cache = caches[0] = load_cache(self.data, provider)
        wanted = None if all_regions else (regions or self._default_regions(provider, catalog))
        known: dict[str, RegionVersion] = {}
        if not force and cache is not None:
            # a stored version counts only if the cache really holds that region
            known = {r: v for r, v in region_versions(pstate).items() if r in cache.regions}
        source = self._make_provider(self.settings, provider, mode, endpoint)
        try:
            log.info("%s sync started (%s; regions: %s)", provider, mode, ", ".join(wanted) if wanted else "all")
            fetched = source.fetch(
                FetchRequest(wanted, known, None if force else index_version(pstate), cancel, progress)
            )
        finally:
            source.close()
        if cancel.is_set():
            raise Cancelled("sync cancelled; nothing written")
        regions_done = sorted(fetched.regions)
        records = self._records(fetched, cache)
        now = utc_now()
        new_cache = self._new_cache(provider, mode, fetched, cache, records, now)
        if not fetched.unchanged:
            write_cache(self.data, new_cache)
            caches[1] = new_cache
        update_provider_state(self.data, provider, {
            "last_success": now,
            "last_status": "unchanged" if fetched.unchanged else "updated",
            "last_error": None,
            "mode": mode,
            "source_version": new_cache.source_version,
            "index": fetched.index_validators.to_json() if fetched.index_validators else None,
            "regions": {**(pstate.get("regions") or {}), **{r: f.version.to_json() for r, f in fetched.regions.items()}},
            "counts": {"records": len(records)},
        })
        diff = diff_catalog(catalog, records, regions_done)
        wrote = False
        if write_back and not diff.empty:
            self._write_back(provider, catalog, records, regions_done, diff, force,
                             SourceInfo(mode, new_cache.source_version, None))
            wrote = True
        status = "updated" if (not fetched.unchanged or wrote) else "unchanged"
        skipped = sum((f.skipped for f in fetched.regions.values()), Counter())
        result = SyncResult(
            provider=provider, mode=mode, status=status, regions=tuple(regions_done), records=len(records),
            added=len(diff.added), changed=len(diff.changed), missing=len(diff.missing), wrote_back=wrote,
            duration_s=time.monotonic() - started, source_version=new_cache.source_version,
            skipped=dict(skipped), changes=diff.changed,
        )
        log.info(
            "%s sync %s: %d prices, %d added, %d changed, %d missing%s",
            provider, status, result.records, result.added, result.changed, result.missing,
            ", written back" if wrote else "",
        )
        return result

    def _default_regions(self, provider: str, catalog: Catalog) -> list[str]:
        section = getattr(self.settings, provider)
        return list(section.regions) or catalog.regions()

    @staticmethod
    def _records(fetched: FetchResult, cache: PriceCache | None) -> list[PriceRecord]:
        """Fresh records for fetched regions, the cached ones for regions at the same version."""
        records: list[PriceRecord] = []
        for region, f in sorted(fetched.regions.items()):
            if f.records is not None:
                records.extend(f.records)
            elif cache is not None:
                records.extend(cache.by_region(region))
        return records

    @staticmethod
    def _new_cache(provider, mode, fetched: FetchResult, old: PriceCache | None, records, now) -> PriceCache:
        regions = dict(old.regions) if old is not None else {}
        for region, f in fetched.regions.items():
            if f.records is not None or region not in regions:
                regions[region] = {
                    "version": f.version.version,
                    "publication_date": f.publication_date,
                    "count": len(f.records or ()),
                    "fetched_at": now,
                }
        kept = [r for r in (old.records if old else ()) if r.region not in fetched.regions]
        versions = sorted(v["version"] for v in regions.values() if v.get("version"))
        return PriceCache(
            provider=provider, mode=mode, fetched_at=now,
            source_version=versions[-1] if versions else None,
            regions=regions, records=tuple(kept + records),
        )

    def _write_back(self, provider, catalog, records, regions, diff, force, source: SourceInfo) -> None:
        problems = sanity_problems(catalog, records, regions, diff, self.settings.sync.max_missing_pct)
        if problems and not force:
            raise SanityError("write-back refused, catalog kept: " + "; ".join(problems) + " (--force overrides)")
        for p in problems:
            log.warning("%s write-back forced despite: %s", provider, p)
        merged = merge(catalog, records, diff, now=utc_now(), source=source)
        write_catalog(ensure_catalog(self.data, provider), merged)
        log.info(
            "%s catalog written back: %d added, %d changed, %d marked unavailable",
            provider, len(diff.added), len(diff.changed), len(diff.missing),
        )
