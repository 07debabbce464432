"""CSV exports (the dashboard's `e`): `<data dir>/exports/<provider>-<time>.csv`, written
atomically like every other file (core.fileio)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from .errors import CatalogError, ExportError
from .fileio import atomic_write_bytes


def export_path(data: Path, provider: str, at: datetime) -> Path:
    return data / "exports" / f"{provider}-{at:%Y%m%d-%H%M%S}.csv"


def write_export(path: Path, content: bytes) -> None:
    """Write an export atomically; ExportError (one line naming the file) if it cannot be."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"cannot create {path.parent}: {exc.strerror or exc}") from None
    try:
        atomic_write_bytes(path, content)
    except CatalogError as exc:
        raise ExportError(str(exc)) from None
