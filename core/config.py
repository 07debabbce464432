"""TOML config file + environment + CLI overrides -> one `Settings` object.

Every section and key is declared here; an unknown one is an error that names it, so a
typo never silently falls back to a default.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints

from .errors import ConfigError
from .http import HttpSettings
from .models import PROVIDERS
from .paths import config_file, data_dir
from .providers.aws_public import DEFAULT_ENDPOINT as AWS_ENDPOINT


@dataclass(frozen=True)
class SyncSection:
    providers: list[str] = field(default_factory=lambda: ["aws"])
    write_back: bool = False
    max_missing_pct: float = 20.0


@dataclass(frozen=True)
class AwsSection:
    enabled: bool = True
    mode: str = "public"
    regions: list[str] = field(default_factory=list)  # empty: the regions of the catalog
    endpoint: str = AWS_ENDPOINT
    profile: str = ""
    endpoint_url: str = ""


@dataclass(frozen=True)
class AzureSection:
    enabled: bool = False
    regions: list[str] = field(default_factory=list)
    endpoint: str = "https://prices.azure.com/api/retail/prices"


@dataclass(frozen=True)
class GcpSection:
    enabled: bool = False
    regions: list[str] = field(default_factory=list)
    endpoint: str = "https://cloudbilling.googleapis.com/v1/services/6F81-5844-456A/skus"
    api_key: str = field(default="", repr=False)  # never logged


@dataclass(frozen=True)
class ScheduleSection:
    enabled: bool = True
    cron: str = "0 2 * * *"
    timezone: str = "UTC"
    providers: list[str] = field(default_factory=list)  # empty: [sync] providers
    write_back: bool = False
    catch_up: bool = True
    catch_up_delay_s: float = 5.0
    misfire_grace_s: int = 3600


@dataclass(frozen=True)
class NotifySection:
    webhook: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    config_path: Path | None = None
    sync: SyncSection = field(default_factory=SyncSection)
    aws: AwsSection = field(default_factory=AwsSection)
    azure: AzureSection = field(default_factory=AzureSection)
    gcp: GcpSection = field(default_factory=GcpSection)
    schedule: ScheduleSection = field(default_factory=ScheduleSection)
    http: HttpSettings = field(default_factory=HttpSettings)
    notify: NotifySection = field(default_factory=NotifySection)

    def enabled_providers(self) -> list[str]:
        """[sync] providers plus every [azure]/[gcp] section with enabled = true."""
        extra = [p for p in ("azure", "gcp") if getattr(self, p).enabled]
        return list(dict.fromkeys(self.sync.providers + extra))

    @property
    def gcp_api_key(self) -> str:
        return os.environ.get("PRICESYNC_GCP_API_KEY") or self.gcp.api_key


SECTIONS = {f.name: f.default_factory for f in fields(Settings) if f.default_factory is not dataclasses.MISSING}


def _check_type(value: Any, hint: Any, where: str) -> Any:
    origin = get_origin(hint)
    if origin is list:
        (item,) = get_args(hint)
        if not isinstance(value, list):
            raise ConfigError(f"{where} must be a list")
        return [_check_type(v, item, f"{where}[{i}]") for i, v in enumerate(value)]
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if get_origin(hint) is None and hint is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where} must be a table")
        return value
    if not isinstance(value, hint) or (isinstance(value, bool) and hint is not bool):
        raise ConfigError(f"{where} must be {hint.__name__}, not {type(value).__name__} ({value!r})")
    return value


def _section(cls: type, raw: Any, name: str, source: str) -> Any:
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: [{name}] must be a table")
    hints = get_type_hints(cls)
    unknown = sorted(set(raw) - set(hints))
    if unknown:
        raise ConfigError(f"{source}: unknown key(s) in [{name}]: {', '.join(unknown)}")
    return cls(**{k: _check_type(v, hints[k], f"{source}: {name}.{k}") for k, v in raw.items()})


def load_settings(config: str | os.PathLike | None = None, data: str | os.PathLike | None = None) -> Settings:
    """Read the config file (if any; an explicitly named one must exist) and resolve paths."""
    path = config_file(config)
    raw: dict = {}
    if path.exists():
        try:
            with open(path, "rb") as f:
                raw = tomllib.load(f)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
        except OSError as exc:
            raise ConfigError(f"{path}: cannot be read: {exc.strerror}") from None
    elif config:
        raise ConfigError(f"config file {path} does not exist")
    unknown = sorted(set(raw) - set(SECTIONS))
    if unknown:
        raise ConfigError(f"{path}: unknown section(s): {', '.join(unknown)}")
    sections = {name: _section(type(SECTIONS[name]()), raw[name], name, str(path)) for name in raw}
    settings = Settings(data_dir=data_dir(data), config_path=path if path.exists() else None, **sections)
    bad = [p for p in settings.sync.providers + settings.schedule.providers if p not in PROVIDERS]
    if bad:
        raise ConfigError(f"{path}: unknown provider(s) {', '.join(bad)}; known: {', '.join(PROVIDERS)}")
    if settings.aws.mode not in ("public", "boto3"):
        raise ConfigError(f"{path}: aws.mode must be 'public' or 'boto3', not {settings.aws.mode!r}")
    # lazy: notify -> history -> sync imports this module
    from .notify import parse_webhooks
    from .providers.gcp import check_api_key

    parse_webhooks(settings.notify.webhook, str(path))
    check_api_key(settings)
    return settings
