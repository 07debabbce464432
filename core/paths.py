"""Where pricesync keeps its files.

Data dir: `--data-dir`, else `$PRICESYNC_DATA_DIR`, else the platform's user data dir.
Config file: `--config`, else `$PRICESYNC_CONFIG`, else `config.toml` in the user config dir.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import platformdirs

from .errors import CatalogError

APP_NAME = "pricesync"


def data_dir(override: str | os.PathLike[str] | None = None) -> Path:
    if override:
        return Path(override).expanduser()
    env = os.environ.get("PRICESYNC_DATA_DIR")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def config_file(override: str | os.PathLike[str] | None = None) -> Path:
    if override:
        return Path(override).expanduser()
    env = os.environ.get("PRICESYNC_CONFIG")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "config.toml"


def check_data_dir(data: Path) -> Path:
    """Refuse, in one line, a data dir path that is a file or lies under one. (The data dir may
    be a symbolic link to a directory: the operator chose that path.)"""
    try:
        st = data.stat()
    except FileNotFoundError:
        return data  # created by the first write
    except NotADirectoryError:
        raise CatalogError(f"data dir {data} is not a directory (a part of its path is a file)") from None
    except OSError as exc:
        raise CatalogError(f"data dir {data} cannot be used: {exc.strerror or exc}") from None
    if not stat.S_ISDIR(st.st_mode):
        raise CatalogError(f"data dir {data} is a file, not a directory")
    return data


def writable_data_dir(data: Path) -> Path:
    """The data dir, created if needed; one line if it cannot be, or cannot be written in."""
    check_data_dir(data)
    try:
        data.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CatalogError(f"data dir {data} cannot be created: {exc.strerror or exc}") from None
    if not os.access(data, os.W_OK | os.X_OK, effective_ids=True):
        raise CatalogError(f"data dir {data} is not writable (read-only, or owned by another user)")
    return data


def catalog_path(data: Path, provider: str) -> Path:
    return data / f"{provider}_catalog.json"


def cache_path(data: Path, provider: str) -> Path:
    return data / f"{provider}_cache.json"


def state_path(data: Path) -> Path:
    return data / "state.json"


def log_path(data: Path) -> Path:
    return data / "sync.log"
