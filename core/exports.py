"""CSV exports (the dashboard's `e`): `<data dir>/exports/<provider>-<time>.csv`, written
atomically like every other file (core.fileio). Two exports in the same second never overwrite
each other: the second is `<provider>-<time>-2.csv`."""

from __future__ import annotations

import contextlib
import os
import threading
from datetime import datetime
from pathlib import Path

from .errors import CatalogError, ExportError
from .fileio import atomic_write_bytes

MAX_SAME_NAME = 1000  # exports of one provider in one second


def export_path(data: Path, provider: str, at: datetime) -> Path:
    return data / "exports" / f"{provider}-{at:%Y%m%d-%H%M%S}.csv"


def write_export(path: Path, content: bytes) -> Path:
    """Write an export atomically under `path`, or `<stem>-2.csv` and on if that name is taken
    (claimed with a hard link: no race between two writers); returns the path written.
    ExportError (one line naming the file) if it cannot be."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"cannot create {path.parent}: {exc.strerror or exc}") from None
    staging = path.with_name(f".{path.name}.{os.getpid()}-{threading.get_ident()}.part")
    try:
        atomic_write_bytes(staging, content)
        for n in range(1, MAX_SAME_NAME + 1):
            target = path if n == 1 else path.with_name(f"{path.stem}-{n}{path.suffix}")
            try:
                os.link(staging, target)
            except FileExistsError:
                continue
            return target
    except CatalogError as exc:
        raise ExportError(str(exc)) from None
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        with contextlib.suppress(OSError):
            staging.unlink()
    raise ExportError(f"cannot write {path}: {MAX_SAME_NAME} exports of that second already exist")
