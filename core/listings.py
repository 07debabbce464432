"""What a provider lists: the instance families and regions pricesync has seen, kept in
state.json (`known`), and the webhooks' `new` event when a sync brings one it had not.

The first sync that finds no `known` record takes the catalog's and the previous fetch's
families and regions as the baseline; from then on every successful fetch adds to it, so a
family is announced once, written back or not.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from .cache import PriceCache
from .catalog import load_catalog
from .config import Settings
from .errors import CatalogError
from .fileio import regular_file_exists
from .models import CatalogEntry, PriceRecord, SyncResult
from .notify import Notifier, new_payload
from .paths import catalog_path
from .state import ProviderState, modify_provider_state

log = logging.getLogger("pricesync.listings")

KNOWN_KEY = "known"
Listed = tuple[set[str], set[str]]  # families, regions


def _listed(rows: Iterable[CatalogEntry | PriceRecord]) -> Listed:
    """Families and regions of catalog entries or price records (an unknown family is not one)."""
    families: set[str] = set()
    regions: set[str] = set()
    for row in rows:
        if row.family:
            families.add(row.family)
        regions.add(row.region)
    return families, regions


class NewListingsNotifier:
    """The sync listener that sends the `new` event."""

    def __init__(self, settings: Settings, notifier: Notifier) -> None:
        self.data = settings.data_dir
        self.notifier = notifier

    def __repr__(self) -> str:
        return "NewListingsNotifier()"

    def _baseline(self, provider: str, before: PriceCache | None) -> Listed:
        families, regions = _listed(before.records if before else ())
        path = catalog_path(self.data, provider)
        try:
            if regular_file_exists(path, "catalog"):
                more = _listed(load_catalog(path, provider).entries)
                families |= more[0]
                regions |= more[1]
        except CatalogError as exc:
            log.warning("new families and regions: no baseline from the catalog: %s", exc)
        return families, regions

    def __call__(self, result: SyncResult, before: PriceCache | None, written: PriceCache | None) -> None:
        if written is None:
            return
        fetched = _listed(written.records)
        provider = result.provider

        def add(entry: ProviderState) -> Listed:
            held = entry.get(KNOWN_KEY)
            if isinstance(held, dict):
                known = (set(held.get("families") or ()), set(held.get("regions") or ()))
            else:
                known = self._baseline(provider, before)
            new = (fetched[0] - known[0], fetched[1] - known[1])
            entry[KNOWN_KEY] = {"families": sorted(known[0] | fetched[0]), "regions": sorted(known[1] | fetched[1])}
            return new

        families, regions = modify_provider_state(self.data, provider, add)
        if families or regions:
            log.info(
                "%s lists new families: %s; new regions: %s",
                provider,
                ", ".join(sorted(families)) or "none",
                ", ".join(sorted(regions)) or "none",
            )
            self.notifier.send(provider, new_payload(result, sorted(families), sorted(regions)))
