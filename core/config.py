"""TOML config file + environment + CLI overrides -> one `Settings` object.

Every section and key is declared here; an unknown one is an error that names it, so a
typo never silently falls back to a default. Every value is checked at load (numbers finite
and in range, URLs, region codes, the time zone, a cron that fires): a bad one is a one-line
ConfigError naming the file and the key, never a traceback later.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import tomllib
from dataclasses import dataclass, field, fields
from datetime import timedelta
from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints
from urllib.parse import urlsplit

from .cronspec import check_zone, parse_cron
from .durations import parse_duration
from .errors import ConfigError
from .http import HttpSettings
from .kinds import KINDS
from .models import PROVIDERS, is_region
from .paths import config_file, data_dir
from .providers.aws_public import DEFAULT_ENDPOINT as AWS_ENDPOINT
from .providers.aws_spot import DEFAULT_ADVISOR_URL as AWS_SPOT_ADVISOR_URL
from .providers.aws_spot import DEFAULT_PRICE_URL as AWS_SPOT_PRICE_URL
from .providers.gcp import KEY_ENV as GCP_KEY_ENV
from .providers.gcp import key_problem as gcp_key_problem

Table = dict[str, Any]  # a TOML table


# What a sync keeps besides on-demand unless [sync] price_kinds says otherwise: the commitments
# most bought (1-year Reserved without upfront, 3-year Reserved all upfront, Compute Savings
# Plans for both terms) and spot.
DEFAULT_PRICE_KINDS = (
    "reserved-1yr-standard-no-upfront",
    "reserved-3yr-standard-all-upfront",
    "savings-plan-compute-1yr-no-upfront",
    "savings-plan-compute-3yr-no-upfront",
)  # not spot: its feeds are on AWS's own hosts, outside [aws] endpoint (a mirror): an operator opts in
ALL_KINDS = "all"


@dataclass(frozen=True)
class SyncSection:
    providers: list[str] = field(default_factory=lambda: ["aws"])
    write_back: bool = False
    max_missing_pct: float = 20.0
    # the price kinds (core.kinds) kept besides on-demand; ["all"] every kind, [] on-demand only.
    # Resolved at load: "all" becomes every kind's name.
    price_kinds: list[str] = field(default_factory=lambda: list(DEFAULT_PRICE_KINDS))
    max_age: str = ""  # a duration (36h, 7d): past it a provider is stale; "": no staleness alarm


@dataclass(frozen=True)
class AwsSection:
    enabled: bool = True
    mode: str = "public"
    regions: list[str] = field(default_factory=list)  # empty: the regions of the catalog
    endpoint: str = AWS_ENDPOINT
    profile: str = ""
    endpoint_url: str = ""
    spot_price_url: str = AWS_SPOT_PRICE_URL  # the spot kind: prices (spot.json) ...
    spot_advisor_url: str = AWS_SPOT_ADVISOR_URL  # ... and interruption bands (Spot Instance Advisor)


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
    spot: str = ""  # a cron of its own for a spot-only sync (e.g. "17 * * * *"); "": none


@dataclass(frozen=True)
class NotifySection:
    webhook: list[Table] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Webhook:
    """One `[[notify.webhook]]`, checked when the config is loaded (see parse_webhooks)."""

    url: str = field(repr=False)
    secret: str = field(default="", repr=False)
    min_change_pct: float = 0.0
    providers: tuple[str, ...] = ()  # empty: every provider
    format: str = "json"
    timeout_s: float = 10.0
    events: tuple[str, ...] = ()  # empty: every event (WEBHOOK_EVENTS)

    @property
    def name(self) -> str:
        """The URL without user info, query or fragment: safe to log and print."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}{parts.path}"

    def scrub(self, text: str) -> str:
        for secret in (self.url, urlsplit(self.url).query, self.secret):
            if secret:
                text = text.replace(secret, "***")
        return text


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
    webhooks: tuple[Webhook, ...] = ()  # [[notify.webhook]], checked

    def enabled_providers(self) -> list[str]:
        """[sync] providers plus every [azure]/[gcp] section with enabled = true."""
        extra = [p for p in ("azure", "gcp") if getattr(self, p).enabled]
        return list(dict.fromkeys(self.sync.providers + extra))

    def scheduled_providers(self) -> list[str]:
        """What a scheduled run syncs: [schedule] providers, else the enabled ones."""
        return list(self.schedule.providers or self.enabled_providers())

    @property
    def max_age(self) -> timedelta | None:
        """[sync] max_age (checked at load), None when no staleness alarm is configured."""
        return parse_duration(self.sync.max_age) if self.sync.max_age else None

    @property
    def gcp_api_key(self) -> str:
        return os.environ.get(GCP_KEY_ENV) or self.gcp.api_key


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
    if hint is dict or get_origin(hint) is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where} must be a table")
        return value
    if not isinstance(value, hint) or (isinstance(value, bool) and hint is not bool):
        # the value is not repeated: it may be a key, a secret or a URL with a password
        raise ConfigError(f"{where} must be {hint.__name__}, not {type(value).__name__}")
    return value


def _section(cls: type, raw: Any, name: str, source: str) -> Any:
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: [{name}] must be a table")
    hints = get_type_hints(cls)
    unknown = sorted(set(raw) - set(hints))
    if unknown:
        raise ConfigError(f"{source}: unknown key(s) in [{name}]: {', '.join(unknown)}")
    return cls(**{k: _check_type(v, hints[k], f"{source}: {name}.{k}") for k, v in raw.items()})


@dataclass(frozen=True)
class Bound:
    """The range a number may take; every number must also be finite."""

    low: float = 0.0
    high: float | None = None
    low_open: bool = False  # low itself is not allowed

    def check(self, value: float, where: str) -> None:
        if not math.isfinite(value):
            raise ConfigError(f"{where} must be a finite number, not {value}")
        if value < self.low or (self.low_open and value == self.low) or (self.high is not None and value > self.high):
            low = f"> {self.low:g}" if self.low_open else f">= {self.low:g}"
            raise ConfigError(
                f"{where} must be a number {low}{f' and <= {self.high:g}' if self.high is not None else ''}, "
                f"not {value:g}"
            )


POSITIVE = Bound(low_open=True)
# section.key -> range; any other number must be finite and >= 0
BOUNDS = {
    "sync.max_missing_pct": Bound(0, 100),
    "http.timeout_s": POSITIVE,
    "http.retries": Bound(0, 20),
    "http.backoff_s": Bound(0, 60),
    "http.max_download_mb": POSITIVE,
    "http.document_timeout_s": POSITIVE,  # 0 or less would leave a trickling server no deadline
    "http.max_document_mb": POSITIVE,
    "http.min_rate_kb_s": POSITIVE,
    "http.rate_window_s": POSITIVE,
    "schedule.misfire_grace_s": POSITIVE,
}
URL_KEYS = (
    "aws.endpoint",
    "aws.endpoint_url",  # may be ""
    "aws.spot_price_url",
    "aws.spot_advisor_url",
    "azure.endpoint",
    "gcp.endpoint",
)
SPOT_URL_KEYS = ("aws.spot_price_url", "aws.spot_advisor_url")  # never "": a spot sync has no other source


def check_url(value: str, where: str) -> None:
    """An http:// or https:// URL with a host and a valid port. The message never repeats the
    URL: it may carry a password."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  raises ValueError for a port out of range or not a number
    except ValueError:
        raise ConfigError(f"{where} is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.port == 0:
        raise ConfigError(f"{where} must be an http:// or https:// URL with a host (and a port from 1 to 65535)")
    if any(ch.isspace() or not ch.isprintable() for ch in value):
        raise ConfigError(f"{where} must not contain spaces or control characters")


WEBHOOK_FORMATS = ("json", "slack")
WEBHOOK_EVENTS = ("prices_changed", "stale", "new")  # a payload's "event" is "pricesync.<name>"
_WEBHOOK_KEYS = {f.name for f in fields(Webhook)}


def parse_webhooks(tables: list[Table], source: str) -> list[Webhook]:
    """Validate the `[[notify.webhook]]` tables; a bad one is a ConfigError naming it."""
    hooks = []
    for i, table in enumerate(tables, 1):
        where = f"{source}: [[notify.webhook]] #{i}"
        unknown = sorted(set(table) - _WEBHOOK_KEYS)
        if unknown:
            raise ConfigError(
                f"{where}: unknown key(s): {', '.join(unknown)} (known: {', '.join(sorted(_WEBHOOK_KEYS))})"
            )
        url = table.get("url")
        if not isinstance(url, str):
            raise ConfigError(f"{where}: url is required and must be a string")
        check_url(url, f"{where}: url")
        secret = table.get("secret", "")
        if not isinstance(secret, str):
            raise ConfigError(f"{where}: secret must be a string")
        providers = table.get("providers", [])
        if not isinstance(providers, list) or any(p not in PROVIDERS for p in providers):
            raise ConfigError(f"{where}: providers must be a list of {', '.join(PROVIDERS)}")
        fmt = table.get("format", "json")
        if fmt not in WEBHOOK_FORMATS:
            raise ConfigError(f"{where}: format must be 'json' or 'slack', not {fmt!r}")
        min_pct = _number(table, "min_change_pct", 0.0, where, positive=False)
        timeout = _number(table, "timeout_s", 10.0, where, positive=True)
        events = table.get("events", [])
        if not isinstance(events, list) or any(e not in WEBHOOK_EVENTS for e in events):
            raise ConfigError(f"{where}: events must be a list of {', '.join(WEBHOOK_EVENTS)}")
        hooks.append(Webhook(url, secret, min_pct, tuple(providers), fmt, timeout, tuple(events)))
    return hooks


def _number(table: Table, key: str, default: float, where: str, *, positive: bool) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{where}: {key} must be a number {'> 0' if positive else '>= 0'}")
    (POSITIVE if positive else Bound()).check(value, f"{where}: {key}")
    return float(value)


def _check_gcp_key(settings: Settings) -> None:
    """A malformed key is refused at load, naming where it came from (never the key)."""
    problem = gcp_key_problem(settings.gcp_api_key)
    if problem is not None:
        where = f"${GCP_KEY_ENV}" if os.environ.get(GCP_KEY_ENV) else f"{settings.config_path or 'config'}: gcp.api_key"
        raise ConfigError(f"{where}: {problem}")


def _check_values(settings: Settings, source: str) -> None:
    for section in SECTIONS:
        values = getattr(settings, section)
        for f in fields(values):
            key = f"{section}.{f.name}"
            value = getattr(values, f.name)
            where = f"{source}: {key}"
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                BOUNDS.get(key, Bound()).check(value, where)
            elif key in URL_KEYS and (value or key in SPOT_URL_KEYS):
                check_url(value, where)
            elif f.name == "regions":
                bad = next((r for r in value if not is_region(r)), None)
                if bad is not None:
                    raise ConfigError(f"{where}: {bad!r} is not a region code (like us-east-1, eastus, europe-west4)")
    _check_max_age(settings, source)
    schedule = settings.schedule
    try:
        check_zone(schedule.timezone)
    except ConfigError as exc:
        raise ConfigError(f"{source}: schedule.timezone: {exc}") from None
    for key in ("cron", "spot"):
        cron = getattr(schedule, key)
        if not cron and key == "spot":
            continue
        try:
            parse_cron(cron, schedule.timezone)
        except ConfigError as exc:
            raise ConfigError(f"{source}: schedule.{key}: {exc}") from None


def price_kinds(names: list[str], where: str) -> list[str]:
    """`names` as every kind's name (for "all"), each once, in core.kinds order; a ConfigError
    naming `where` for a name that is not a kind."""
    if ALL_KINDS in names:
        if names != [ALL_KINDS]:
            raise ConfigError(f"{where}: 'all' stands alone (it means every kind)")
        return list(KINDS)
    bad = next((n for n in names if n not in KINDS), None)
    if bad is not None:
        raise ConfigError(
            f"{where}: {bad!r} is not a price kind (like reserved-1yr-standard-no-upfront, "
            "savings-plan-compute-3yr-no-upfront, spot; 'all'; see the README's catalog format)"
        )
    return [k for k in KINDS if k in names]


def _check_max_age(settings: Settings, source: str) -> None:
    """[sync] max_age: empty, or a duration such as 36h (the staleness alarm, core.freshness)."""
    try:
        _ = settings.max_age
    except ValueError as exc:
        raise ConfigError(f"{source}: sync.max_age: {exc}") from None


def _read_toml(path: Path) -> Table:
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except RecursionError:
        raise ConfigError(f"{path}: not valid TOML: nested too deeply") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc.strerror}") from None


def add_settings_options(parser: argparse.ArgumentParser) -> None:
    """The options every command line offers for load_settings: --data-dir and --config."""
    parser.add_argument(
        "--data-dir", metavar="DIR", help="data directory (default: $PRICESYNC_DATA_DIR or the user data dir)"
    )
    parser.add_argument("--config", metavar="FILE", help="config file (default: config.toml in the user config dir)")


def load_settings(config: str | os.PathLike[str] | None = None, data: str | os.PathLike[str] | None = None) -> Settings:
    """Read the config file (if any; an explicitly named one must exist), check every value
    and resolve paths."""
    path = config_file(config)
    raw: Table = {}
    if path.exists():
        raw = _read_toml(path)
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
    _check_values(settings, str(path))
    kinds = price_kinds(settings.sync.price_kinds, f"{path}: sync.price_kinds")
    settings = dataclasses.replace(settings, sync=dataclasses.replace(settings.sync, price_kinds=kinds))
    settings = dataclasses.replace(settings, webhooks=tuple(parse_webhooks(settings.notify.webhook, str(path))))
    _check_gcp_key(settings)
    return settings
