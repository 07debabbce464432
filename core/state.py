"""`state.json`: per provider, the last attempt and outcome and the source versions held.

Read-modify-write under `state.json.lock`, so two providers syncing at once (or the
daemon and the TUI) never lose each other's updates.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TypedDict, TypeGuard

from .errors import CatalogError
from .fileio import atomic_write_json, exclusive, lock_path, read_json, regular_file_exists
from .models import JsonObject, as_object
from .paths import state_path
from .providers.base import RegionVersion

LOCK_WAIT_S = 10.0

# One provider's entry: last_attempt, last_success, last_status, last_error, mode,
# source_version, index, regions, counts, last_run. Its values are read as written by this
# version or an older one (or by hand): each is narrowed where it is used.
ProviderState = JsonObject


class StateFile(TypedDict):
    providers: dict[str, ProviderState]


def _is_state(obj: object) -> TypeGuard[StateFile]:
    providers = obj.get("providers") if isinstance(obj, dict) else None
    return isinstance(providers, dict) and all(isinstance(entry, dict) for entry in providers.values())


def load_state(data: Path) -> StateFile:
    path = state_path(data)
    if not regular_file_exists(path, "state file"):
        return {"providers": {}}
    obj = read_json(path, "state file")
    if not _is_state(obj):
        raise CatalogError(f"state file {path} has the wrong shape (no 'providers' object of one object per provider)")
    return obj


def provider_state(data: Path, provider: str) -> ProviderState:
    return load_state(data)["providers"].get(provider, {})


def update_provider_state(data: Path, provider: str, changes: Mapping[str, object]) -> ProviderState:
    """Merge `changes` into the provider's state (a None value deletes the key)."""
    path = state_path(data)
    with exclusive(lock_path(path), wait_s=LOCK_WAIT_S, busy_message=f"{path} is locked"):
        state = load_state(data)
        entry = state["providers"].setdefault(provider, {})
        for key, value in changes.items():
            if value is None:
                entry.pop(key, None)
            else:
                entry[key] = value
        atomic_write_json(path, state)
    return entry


def region_versions(pstate: Mapping[str, object]) -> dict[str, RegionVersion]:
    """Region -> the version the last fetch recorded; a mis-shaped part counts as absent."""
    return {r: RegionVersion.from_json(as_object(v)) for r, v in as_object(pstate.get("regions")).items()}


def feed_versions(pstate: Mapping[str, object]) -> dict[str, RegionVersion]:
    """Name -> validators of a provider's other documents (AWS's spot feeds; FetchResult.feeds)."""
    return {name: RegionVersion.from_json(as_object(v)) for name, v in as_object(pstate.get("feeds")).items()}


def index_version(pstate: Mapping[str, object]) -> RegionVersion | None:
    idx = pstate.get("index")
    return RegionVersion.from_json(idx) if isinstance(idx, dict) else None
