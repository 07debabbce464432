"""`state.json`: per provider, the last attempt and outcome and the source versions held.

Read-modify-write under `state.json.lock`, so two providers syncing at once (or the
daemon and the TUI) never lose each other's updates.
"""

from __future__ import annotations

from pathlib import Path

from .errors import CatalogError
from .fileio import atomic_write_json, exclusive, lock_path, read_json, regular_file_exists
from .paths import state_path
from .providers.base import RegionVersion

LOCK_WAIT_S = 10.0


def load_state(data: Path) -> dict:
    path = state_path(data)
    if not regular_file_exists(path, "state file"):
        return {"providers": {}}
    obj = read_json(path, "state file")
    if not isinstance(obj, dict) or not isinstance(obj.get("providers"), dict):
        raise CatalogError(f"state file {path} has the wrong shape (no 'providers' object)")
    return obj


def provider_state(data: Path, provider: str) -> dict:
    return load_state(data)["providers"].get(provider, {})


def update_provider_state(data: Path, provider: str, changes: dict) -> dict:
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


def region_versions(pstate: dict) -> dict[str, RegionVersion]:
    return {r: RegionVersion.from_json(v) for r, v in (pstate.get("regions") or {}).items()}


def index_version(pstate: dict) -> RegionVersion | None:
    idx = pstate.get("index")
    return RegionVersion.from_json(idx) if isinstance(idx, dict) else None
