"""Where pricesync keeps its files.

Data dir: `--data-dir`, else `$PRICESYNC_DATA_DIR`, else the platform's user data dir.
Config file: `--config`, else `$PRICESYNC_CONFIG`, else `config.toml` in the user config dir.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "pricesync"


def data_dir(override: str | os.PathLike | None = None) -> Path:
    if override:
        return Path(override).expanduser()
    env = os.environ.get("PRICESYNC_DATA_DIR")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def config_file(override: str | os.PathLike | None = None) -> Path:
    if override:
        return Path(override).expanduser()
    env = os.environ.get("PRICESYNC_CONFIG")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "config.toml"


def catalog_path(data: Path, provider: str) -> Path:
    return data / f"{provider}_catalog.json"


def cache_path(data: Path, provider: str) -> Path:
    return data / f"{provider}_cache.json"


def state_path(data: Path) -> Path:
    return data / "state.json"


def log_path(data: Path) -> Path:
    return data / "sync.log"
