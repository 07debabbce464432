"""The dashboard's chosen columns (the column chooser, C), kept in `tui_columns.json` in the
data dir: `{"columns": ["type", "vcpu", ...]}`. A file that cannot be read, or that names no
known column, gives the default columns and a one-line reason for the log; writes are atomic."""

from __future__ import annotations

import json
from pathlib import Path

from pricesync.core import atomic_write_bytes

from .cells import COLUMN_KEYS, DEFAULT_COLUMNS

FILE_NAME = "tui_columns.json"
MAX_BYTES = 64 * 1024


def columns_path(data_dir: Path) -> Path:
    return data_dir / FILE_NAME


def load_columns(data_dir: Path) -> tuple[tuple[str, ...], str | None]:
    """(the chosen columns, why the file was not used or None)."""
    path = columns_path(data_dir)
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_BYTES + 1)
    except FileNotFoundError:
        return DEFAULT_COLUMNS, None
    except OSError as exc:
        return DEFAULT_COLUMNS, f"{path}: cannot read it ({exc.strerror}); default columns"
    try:
        if len(raw) > MAX_BYTES:
            raise ValueError
        keys = json.loads(raw)["columns"]
        chosen = tuple(dict.fromkeys(k for k in keys if isinstance(k, str) and k in COLUMN_KEYS))
    except (ValueError, TypeError, KeyError):
        return DEFAULT_COLUMNS, f"{path}: not a column list; default columns"
    return (chosen, None) if chosen else (DEFAULT_COLUMNS, f"{path}: names no known column; default columns")


def save_columns(data_dir: Path, columns: tuple[str, ...]) -> None:
    atomic_write_bytes(columns_path(data_dir), json.dumps({"columns": list(columns)}).encode())
