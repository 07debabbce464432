"""SyncEngine: fetch -> judge -> cache -> diff -> optional write-back, one sync per provider at a time.

Nothing is written until a fetch has completed and the sanity guard has judged it: a failed,
cancelled or suspicious sync leaves the catalog, the cache and the stored versions exactly as
they were (state.json records the attempt and its error), records no price change and fires no
webhook.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .cache import PriceCache, load_cache, write_cache
from .catalog import ensure_catalog, load_catalog, write_catalog
from .config import Settings
from .diff import (
    SanityReport,
    diff_catalog,
    fetch_problems,
    kind_problems,
    merge,
    merge_kinds,
    only_kinds,
    write_back_problems,
)
from .errors import Cancelled, CatalogError, ConfigError, PriceSyncError, SanityError, SyncBusy
from .fileio import exclusive
from .formats import utc_now
from .kinds import KINDS, ON_DEMAND
from .models import Catalog, CatalogDiff, PriceRecord, SourceInfo, SyncResult, SyncStatus, as_object, as_text
from .paths import catalog_path, writable_data_dir
from .providers.base import FetchRequest, FetchResult, Progress, Provider, RegionVersion
from .snapshot import Schedule, Snapshot, take_snapshot
from .sources import check, make_provider
from .state import feed_versions, index_version, provider_state, region_versions, update_provider_state

log = logging.getLogger("pricesync.sync")


def sync_lock_path(data: Path, provider: str) -> Path:
    return data / f"{provider}.sync.lock"


# Called after every sync attempt with the result, the cache before it and the cache it
# wrote (None when nothing was written). History and webhooks hang off this (whoever builds the
# engine passes them: see core.listeners). A listener that raises PriceSyncError adds its
# one-line message to the result's warnings.
SyncListener = Callable[[SyncResult, PriceCache | None, PriceCache | None], None]
# (settings, provider, mode, endpoint) -> the source to fetch from (tests pass fakes)
ProviderFactory = Callable[[Settings, str, str | None, str | None], Provider]
MAX_KIND_WARNINGS = 5  # kind problems told in a result's warnings; sync.log has every one


@dataclass
class _Attempt:
    """What one sync or write-back leaves for the listeners and for its result."""

    provider: str
    before: PriceCache | None = None
    written: PriceCache | None = None
    warnings: list[str] = field(default_factory=list)

    def warn(self, message: str) -> None:
        log.warning("%s", message)
        self.note(message)

    def note(self, message: str) -> None:
        """A warning already logged."""
        self.warnings.append(f"{self.provider}: {message}")

    def finish(self, result: SyncResult) -> SyncResult:
        return replace(result, warnings=tuple(self.warnings)) if self.warnings else result


def _outcome(regions: Sequence[str], records: int, diff: CatalogDiff, source_version: str | None) -> dict[str, Any]:
    """The SyncResult fields that say what a fetch or a write-back covers and would change."""
    return {
        "regions": tuple(regions),
        "records": records,
        "added": len(diff.added),
        "changed": len(diff.changed),
        "kinds_changed": len(diff.kind_changes),
        "missing": len(diff.missing),
        "source_version": source_version,
        "changes": diff.changed + diff.kind_changes,
    }


@dataclass(frozen=True, slots=True)
class _Kinds:
    """Which price kinds one sync fetches."""

    kept: frozenset[str]  # [sync] price_kinds: no other kind is written
    wanted: frozenset[str]  # asked of the source by this sync
    partial: bool  # `--kinds`: only `wanted`; on-demand and every other kind stay as the cache has them


def _covers(cached: frozenset[str], kinds: _Kinds) -> bool:
    """Whether prices fetched with the `cached` kinds may stand for this sync's at the same version."""
    return kinds.wanted <= cached if kinds.partial else kinds.wanted == cached


def _region_kinds(cache: PriceCache, region: str) -> frozenset[str]:
    """The kinds the provider's source was asked for when the cache's prices of `region` were fetched."""
    kinds = cache.regions.get(region, {}).get("kinds")
    return frozenset(k for k in kinds if isinstance(k, str)) if isinstance(kinds, list) else frozenset()


def _write_back_state(status: str, error: str | None) -> dict[str, object]:
    """state.json's record of the last write-back of the cache (the dashboard's `w`)."""
    return {"write_back": status, "write_back_error": error, "write_back_at": utc_now()}


class SyncEngine:
    def __init__(
        self,
        settings: Settings,
        provider_factory: ProviderFactory = make_provider,
        listeners: Sequence[SyncListener] = (),
    ) -> None:
        """`listeners` run after every sync and write-back, in order (pricesync.core.build_engine
        passes the history and the webhooks)."""
        self.settings = settings
        self.data = settings.data_dir
        self._make_provider = provider_factory
        self.listeners = list(listeners)

    # -- public API -------------------------------------------------------------------------

    def catalog_path(self, provider: str) -> Path:
        """Where `provider`'s catalog is (or will be, on first use)."""
        return catalog_path(self.data, provider)

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

    def check(self, provider: str) -> str | None:
        """Why `provider` cannot sync with these settings (one line), or None. Cheap: no client,
        no network (core.sources.check)."""
        return check(self.settings, provider)

    def snapshot(self, provider: str, scheduler: Schedule | None = None) -> Snapshot:
        """Everything about `provider` at this moment (core.snapshot); with a scheduler, its
        next run. Reads files: call it off a UI thread."""
        return take_snapshot(self.settings, provider, scheduler)

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
        kinds: Collection[str] | None = None,
    ) -> SyncResult:
        """Run one sync. Never raises for sync failures: they come back as status 'failed'.

        `kinds` None (or naming "on-demand"): on-demand and every kind of [sync] price_kinds.
        Kinds without "on-demand" (`sync --kinds spot`, the spot schedule): only those kinds;
        the cache and the catalog keep the on-demand price and every other kind of each entry
        as they were (a region the cache does not hold yet is synced in full)."""
        started = time.monotonic()
        mode = mode or (self.settings.aws.mode if provider == "aws" else "api")
        attempt = _Attempt(provider)
        if (unusable := self._unusable_data_dir(provider, mode, started)) is not None:
            return unusable  # the sync could not start: there is nothing to record
        result = self._exclusively(
            provider,
            mode,
            started,
            lambda: self._sync_locked(
                provider,
                mode,
                regions,
                all_regions,
                write_back,
                force,
                endpoint,
                cancel or threading.Event(),
                progress,
                started,
                attempt,
                kinds,
            ),
        )
        if result.status != "busy":
            self._notify(result, attempt)
        return attempt.finish(result)

    def _notify(self, result: SyncResult, attempt: _Attempt) -> None:
        """Run the listeners. What one of them could not do is a warning of a sync that
        succeeded; after a failed sync (often the same cause: a full disk, a read-only dir) it
        is only logged, and the failure is the one line the operator sees."""
        succeeded = result.status != "failed"
        for listener in self.listeners:
            try:
                listener(result, attempt.before, attempt.written)
            except PriceSyncError as exc:
                log.warning("%s", exc)
                if succeeded:
                    attempt.note(str(exc))
            except Exception as exc:  # a bug in a listener must not fail the sync, nor go unseen
                log.exception("sync listener %r failed", listener)
                if succeeded:
                    attempt.note(f"a sync listener failed ({type(exc).__name__}; see sync.log)")

    def write_back(self, snapshot: Snapshot, *, force: bool = False) -> SyncResult:
        """Apply the price cache the operator saw in `snapshot` to the catalog (the TUI's `w`),
        with the same guard. Refused, with nothing written, when the cache changed since the
        snapshot was taken (a sync ran meanwhile): the diff the operator confirmed is not the
        one a write-back would make."""
        provider = snapshot.provider
        started = time.monotonic()
        attempt = _Attempt(provider)

        def apply() -> SyncResult:
            cache = load_cache(self.data, provider)
            if cache is None:
                raise PriceSyncError(f"no price cache for {provider} yet: run a sync first")
            if snapshot.cache is None or cache.fingerprint != snapshot.cache.fingerprint:
                return self._stale(provider, cache.mode, started)
            catalog = self.catalog(provider)
            regions = sorted(cache.regions)
            diff = diff_catalog(catalog, cache.records, regions)
            cached = _outcome(regions, len(cache.records), diff, cache.source_version)
            report = write_back_problems(catalog, cache.records, regions, diff, self.settings.sync.max_missing_pct)
            source = SourceInfo(cache.mode, cache.source_version, None)
            try:
                refused = self._write_back_judged(
                    provider,
                    report,
                    force,
                    attempt,
                    lambda: self._write_catalog(provider, catalog, list(cache.records), diff, source),
                )
            except PriceSyncError as exc:
                return self._failed(provider, cache.mode, exc, started, **cached)
            if refused is not None:
                return SyncResult(
                    provider=provider,
                    mode=cache.mode,
                    status="failed",
                    error=refused,
                    write_back_refused=refused,
                    duration_s=time.monotonic() - started,
                    **cached,
                )
            return SyncResult(
                provider=provider,
                mode=cache.mode,
                status="updated",
                wrote_back=True,
                duration_s=time.monotonic() - started,
                **cached,
            )

        if (unusable := self._unusable_data_dir(provider, "cache", started)) is not None:
            return unusable
        return attempt.finish(self._exclusively(provider, "cache", started, apply))

    def _write_back_judged(
        self, provider: str, report: SanityReport, force: bool, attempt: _Attempt, write: Callable[[], None]
    ) -> str | None:
        """Judge a write-back and make it: None once written (state.json says so, which clears an
        earlier refusal), else why the guard refused it. A refusal is not a failed sync: the
        fetch stands and state.json records only the refused write-back."""
        try:
            self._judge(report, force, "write-back refused, catalog kept", attempt)
        except SanityError as exc:
            log.error("%s write-back refused: %s", provider, exc)
            update_provider_state(self.data, provider, _write_back_state("refused", str(exc)))
            return str(exc)
        write()
        update_provider_state(self.data, provider, _write_back_state("updated", None))
        return None

    @staticmethod
    def _stale(provider: str, mode: str, started: float) -> SyncResult:
        """The cache changed since the confirmed snapshot. Not a failed sync: state.json keeps
        what the last sync did."""
        message = (
            f"the {provider} price cache changed since the prices were shown (a sync ran meanwhile): "
            "nothing written; look at the new prices and write back again"
        )
        log.warning("%s write-back refused: %s", provider, message)
        return SyncResult(
            provider=provider, mode=mode, status="failed", error=message, duration_s=time.monotonic() - started
        )

    # -- internals ----------------------------------------------------------------------------

    def _unusable_data_dir(self, provider: str, mode: str, started: float) -> SyncResult | None:
        """A failed result when the data dir is a file, cannot be created or is not writable."""
        try:
            writable_data_dir(self.data)
        except PriceSyncError as exc:
            return self._failed(provider, mode, exc, started)
        return None

    def _exclusively(self, provider: str, mode: str, started: float, body: Callable[[], SyncResult]) -> SyncResult:
        """Run `body` under the provider's sync lock; a held lock, a failure or a bug comes
        back as a 'busy' or 'failed' result, never as an exception."""
        try:
            with exclusive(
                sync_lock_path(self.data, provider),
                wait_s=0,
                busy_message=f"sync already running for {provider} (another process or thread holds the lock)",
            ):
                return body()
        except SyncBusy as exc:
            log.warning("%s", exc)
            return SyncResult(
                provider=provider, mode=mode, status="busy", error=str(exc), duration_s=time.monotonic() - started
            )
        except PriceSyncError as exc:
            return self._failed(provider, mode, exc, started)
        except Exception as exc:  # a bug must not take the app or the daemon down
            log.exception("%s sync crashed", provider)
            return self._failed(provider, mode, f"internal error: {exc!r}", started)

    def _failed(self, provider: str, mode: str, exc: Exception | str, started: float, **fetched: Any) -> SyncResult:
        """A failed result (with what was fetched, if anything); state.json records only the
        attempt and its error, never versions or validators."""
        message = str(exc)
        log.error("%s sync failed: %s", provider, message)
        with contextlib.suppress(PriceSyncError):  # e.g. a read-only data dir: the error above says what failed
            update_provider_state(self.data, provider, {"last_status": "failed", "last_error": message})
        return SyncResult(
            provider=provider,
            mode=mode,
            status="failed",
            error=message,
            duration_s=time.monotonic() - started,
            **fetched,
        )

    def _sync_locked(
        self,
        provider: str,
        mode: str,
        regions: list[str] | None,
        all_regions: bool,
        write_back: bool,
        force: bool,
        endpoint: str | None,
        cancel: threading.Event,
        progress: Progress | None,
        started: float,
        attempt: _Attempt,
        only: Collection[str] | None,
    ) -> SyncResult:
        catalog = self.catalog(provider)
        pstate = provider_state(self.data, provider)
        update_provider_state(self.data, provider, {"last_attempt": utc_now()})
        cache = attempt.before = self._previous_cache(provider, force, attempt)
        wanted = None if all_regions else (regions or self._default_regions(provider, catalog))
        kinds = self._kinds(only, cache, wanted)
        if kinds.partial and wanted is None and cache is not None:
            wanted = sorted(cache.regions)
        fetched = self._fetch(provider, mode, endpoint, wanted, kinds, force, cache, pstate, cancel, progress)
        if cancel.is_set():
            raise Cancelled("sync cancelled; nothing written")
        for line in fetched.warnings:  # a part that failed while the prices landed (logged by the source)
            attempt.note(line)
        if all_regions and not kinds.partial:
            self._leave_out_other_currencies(fetched, catalog.currency, attempt)
        regions_done = sorted(fetched.regions)
        records = fetched.overlaid(self._records(fetched, cache, kinds))
        records = only_kinds(records, kinds.kept)
        now = utc_now()
        unchanged = fetched.unchanged
        new_cache = self._new_cache(provider, mode, fetched, cache, records, now, kinds)
        diff = diff_catalog(catalog, records, regions_done)
        summary = _outcome(regions_done, len(records), diff, new_cache.source_version)
        summary["skipped"] = dict(sum((f.skipped for f in fetched.regions.values()), Counter()))
        summary["bytes_downloaded"] = sum(f.downloaded_bytes for f in fetched.regions.values())
        write = write_back and not diff.empty
        limit = self.settings.sync.max_missing_pct
        overlaid = {r for overlay in fetched.overlays for r in overlay.regions}
        renewed = {r for r, f in fetched.regions.items() if f.records is not None or r in overlaid}
        fresh = {r: [rec for rec in records if rec.region == r] for r in renewed}
        report = fetch_problems(catalog.currency, fresh, cache.records if cache else (), limit)
        back = write_back_problems(catalog, records, regions_done, diff, limit) if write else SanityReport()
        self._warn_kinds([rec for recs in fresh.values() for rec in recs], attempt)
        refused: str | None = None
        try:
            # judged before anything is written: a refused fetch changes no file but the
            # record of the attempt, so the next sync of the same version is not "unchanged"
            # (a refused fetch also names what the write-back would have been refused for)
            self._judge(
                report + back if report.blocks(force) else report, force, "fetch refused, nothing written", attempt
            )
            if not unchanged:
                write_cache(self.data, new_cache)
                attempt.written = new_cache
            state: dict[str, object] = {
                "last_success": now,
                "last_status": "unchanged" if unchanged else "updated",
                "last_error": None,
                "mode": mode,
                "counts": {"records": len(records)},
                "feeds": {name: v.to_json() for name, v in fetched.feeds.items()} or None,
            }
            if not kinds.partial:  # a --kinds sync leaves the versions of the on-demand prices alone
                state |= {
                    "source_version": new_cache.source_version,
                    "index": fetched.index_validators.to_json() if fetched.index_validators else None,
                    "regions": {
                        **as_object(pstate.get("regions")),
                        **{r: f.version.to_json() for r, f in fetched.regions.items()},
                    },
                }
            update_provider_state(self.data, provider, state)
            if write:
                source = SourceInfo(mode, new_cache.source_version, None)
                refused = self._write_back_judged(
                    provider,
                    back,
                    force,
                    attempt,
                    lambda: self._write_catalog(provider, catalog, records, diff, source),
                )
                write = refused is None
        except PriceSyncError as exc:
            return self._failed(provider, mode, exc, started, **summary)
        status: SyncStatus = "updated" if (not unchanged or write) else "unchanged"
        result = SyncResult(
            provider=provider,
            mode=mode,
            status=status,
            wrote_back=write,
            write_back_refused=refused,
            duration_s=time.monotonic() - started,
            **summary,
        )
        log.info(
            "%s sync %s: %d prices, %d added, %d changed, %d missing%s",
            provider,
            status,
            result.records,
            result.added,
            result.changed,
            result.missing,
            ", written back" if write else "",
        )
        return result

    def _kinds(self, only: Collection[str] | None, cache: PriceCache | None, wanted: list[str] | None) -> _Kinds:
        """The kinds this sync fetches. A `--kinds` sync of a region the cache does not hold
        yet has nothing to merge into: it becomes a full sync (logged)."""
        kept = frozenset(self.settings.sync.price_kinds)
        if only is None or ON_DEMAND in only:
            return _Kinds(kept, kept, False)
        outside = [k for k in only if k not in kept]
        if outside:
            raise ConfigError(
                f"price kind {', '.join(outside)} is not in [sync] price_kinds, so it is never kept: add it there first"
            )
        missing = list(wanted or ()) if cache is None else [r for r in wanted or () if r not in cache.regions]
        if cache is None or missing:
            log.info("no prices cached for %s yet: a full sync instead of --kinds", ", ".join(missing) or "any region")
            return _Kinds(kept, kept, False)
        return _Kinds(kept, frozenset(only), True)

    def _fetch(
        self,
        provider: str,
        mode: str,
        endpoint: str | None,
        wanted: list[str] | None,
        kinds: _Kinds,
        force: bool,
        cache: PriceCache | None,
        pstate: dict[str, Any],
        cancel: threading.Event,
        progress: Progress | None,
    ) -> FetchResult:
        """The provider's fetch. A region counts as known (and may be skipped at the same
        version) only when its cached prices were fetched with the same kinds (a --kinds sync:
        at least these)."""
        known: dict[str, RegionVersion] = {}
        if not force and cache is not None:
            # a stored version counts only if the cache really holds that region, with these kinds
            known = {
                r: v
                for r, v in region_versions(pstate).items()
                if r in cache.regions
                and (
                    kinds.wanted <= _region_kinds(cache, r)
                    if kinds.partial
                    else kinds.wanted == _region_kinds(cache, r)
                )
            }
        request = FetchRequest(
            wanted,
            known,
            None if force or kinds.partial else index_version(pstate),
            cancel,
            progress,
            kinds=kinds.wanted,
            on_demand=not kinds.partial,
            feeds={} if force else feed_versions(pstate),
        )
        source = self._make_provider(self.settings, provider, mode, endpoint)
        try:
            log.info("%s sync started (%s; regions: %s)", provider, mode, ", ".join(wanted) if wanted else "all")
            return source.fetch(request)
        finally:
            source.close()

    @staticmethod
    def _warn_kinds(records: Sequence[PriceRecord], attempt: _Attempt) -> None:
        """Kind prices that look wrong: each logged with its entry; the first few in the result."""
        problems = kind_problems(records)
        for problem in problems:
            log.warning("suspicious price: %s", problem)
        for problem in problems[:MAX_KIND_WARNINGS]:
            attempt.note(f"suspicious price: {problem}")
        if len(problems) > MAX_KIND_WARNINGS:
            attempt.note(f"... and {len(problems) - MAX_KIND_WARNINGS} more suspicious prices (see sync.log)")

    @staticmethod
    def _leave_out_other_currencies(fetched: FetchResult, currency: str, attempt: _Attempt) -> None:
        """`--all-regions` over a listing that mixes currencies (a mirror that also serves AWS's
        China regions, in CNY): a region priced wholly in another currency is left out with a
        warning, as long as one region in the catalog's currency remains. A region asked for by
        name stays, and the sanity guard refuses it."""
        other = {
            region: f.records[0].currency
            for region, f in fetched.regions.items()
            if f.records and all(r.currency != currency for r in f.records)
        }
        if len(other) == len(fetched.regions):
            return
        for region, theirs in sorted(other.items()):
            del fetched.regions[region]
            attempt.warn(
                f"{region} is priced in {theirs}, not the catalog's {currency}: left out (a catalog holds one currency)"
            )

    def _previous_cache(self, provider: str, force: bool, attempt: _Attempt) -> PriceCache | None:
        """The cache before this sync. A damaged one fails the sync (nothing is written from
        it); with --force it is set aside and every wanted region fetched afresh."""
        try:
            return load_cache(self.data, provider)
        except CatalogError as exc:
            if not force:
                raise CatalogError(f"{exc} (sync --force fetches afresh and replaces it)") from None
            attempt.warn(f"{exc}: ignored, fetching afresh (--force)")
            return None

    def _default_regions(self, provider: str, catalog: Catalog) -> list[str]:
        section = getattr(self.settings, provider)
        return list(section.regions) or catalog.regions()

    @staticmethod
    def _records(fetched: FetchResult, cache: PriceCache | None, kinds: _Kinds) -> list[PriceRecord]:
        """Fresh records for fetched regions, the cached ones for regions at the same version.
        A --kinds sync takes only the wanted kinds of the fresh records, into the cached ones."""
        records: list[PriceRecord] = []
        for region, f in sorted(fetched.regions.items()):
            cached = cache.by_region(region) if cache is not None else []
            if f.records is None:
                records.extend(cached)
            elif kinds.partial:
                records.extend(merge_kinds(cached, {r.key: r.prices for r in f.records}, kinds.wanted))
            elif fetched.carried:
                records.extend(merge_kinds(f.records, {r.key: r.prices for r in cached}, fetched.carried))
            else:
                records.extend(f.records)
        return records

    @staticmethod
    def _new_cache(
        provider: str,
        mode: str,
        fetched: FetchResult,
        old: PriceCache | None,
        records: list[PriceRecord],
        now: str,
        kinds: _Kinds,
    ) -> PriceCache:
        """The cache after this sync. Each region says which version it holds and the kinds its
        source was asked for then; a --kinds sync changes prices, not that."""
        regions = dict(old.regions) if old is not None else {}
        for region, f in fetched.regions.items():
            if (f.records is not None or region not in regions) and not kinds.partial:
                regions[region] = {
                    "version": f.version.version,
                    "publication_date": f.publication_date,
                    "count": len(f.records or ()),
                    "fetched_at": now,
                    "kinds": [k for k in KINDS if k in kinds.wanted],
                }
        kept = [r for r in (old.records if old else ()) if r.region not in fetched.regions]
        versions = sorted(v for region in regions.values() if (v := as_text(region.get("version"))))
        return PriceCache(
            provider=provider,
            mode=mode,
            fetched_at=now,
            source_version=versions[-1] if versions else None,
            regions=regions,
            records=tuple(kept + records),
        )

    @staticmethod
    def _judge(report: SanityReport, force: bool, refusal: str, attempt: _Attempt) -> None:
        """Raise SanityError when the report blocks; --force turns suspicious problems into warnings."""
        if report.blocks(force):
            raise SanityError(report.message(refusal))
        for problem in report.suspicious:
            attempt.warn(f"forced past the sanity guard: {problem}")

    def _write_catalog(
        self, provider: str, catalog: Catalog, records: list[PriceRecord], diff: CatalogDiff, source: SourceInfo
    ) -> None:
        merged = merge(catalog, records, diff, now=utc_now(), source=source)
        write_catalog(ensure_catalog(self.data, provider), merged)
        log.info(
            "%s catalog written back: %d added, %d changed, %d marked unavailable",
            provider,
            len(diff.added),
            len(diff.changed),
            len(diff.missing),
        )
