"""Value types shared by the engine, the CLI and the TUI.

Prices are decimal strings exactly as the source gave them ("0.0960000000"); they are
compared with `decimal.Decimal` and never pass through a binary float.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, localcontext
from typing import Literal, TypeGuard

from .kinds import HOURS_PER_YEAR, KINDS, ON_DEMAND, effective_hourly
from .specs import Specs

PROVIDERS = ("aws", "azure", "gcp")
HOURS_PER_MONTH = 730  # the cloud providers' own convention for monthly estimates
SCHEMA_VERSION = 2  # written; 1 (no `prices`) is still read
READABLE_SCHEMAS = (1, 2)

Key = tuple[str, str, str]  # (instance_type, region, os)
SyncStatus = Literal["updated", "unchanged", "failed", "busy"]
# A decoded JSON object whose values are not checked yet (a page from a source, a part of
# state.json or of the cache): each value is narrowed with isinstance where it is read.
JsonObject = dict[str, object]


def as_object(value: object) -> JsonObject:
    """`value` if it is a JSON object, else an empty one: a missing or mis-shaped part of a
    document reads as empty."""
    return value if isinstance(value, dict) else {}


def as_text(value: object) -> str | None:
    """`value` if it is a string, else None: a value of another type counts as absent."""
    return value if isinstance(value, str) else None


# -- prices -------------------------------------------------------------------------------------
# The same limits for every source and for the catalog and cache loaders. Real prices have at
# most 10 decimals and 3 integer digits (the dearest instances cost a few hundred USD an hour).
MAX_PRICE_INTEGER_DIGITS = 6
MAX_PRICE_DECIMALS = 18
MAX_PRICE_PER_HOUR = Decimal(10_000)  # in the catalog's currency
# a commitment's upfront fee is paid for the whole term: up to 3 years of the dearest hourly price
MAX_UPFRONT = MAX_PRICE_PER_HOUR * HOURS_PER_YEAR * 3
MAX_UPFRONT_INTEGER_DIGITS = len(str(MAX_UPFRONT))
_DECIMAL_RE = re.compile(r"[0-9]+(\.[0-9]+)?")


def price_problem(value: object) -> str:
    """ "" for an hourly price a catalog may hold, else the reason it is skipped: `bad_price`
    (not a plain decimal string: Decimal() would also take "1e-3", "Infinity" and non-ASCII
    digits), `absurd_price` (more digits than MAX_PRICE_INTEGER_DIGITS / MAX_PRICE_DECIMALS, or
    above MAX_PRICE_PER_HOUR) or `zero_price`."""
    if not isinstance(value, str) or _DECIMAL_RE.fullmatch(value) is None:
        return "bad_price"
    whole, _, decimals = value.partition(".")
    if len(whole) > MAX_PRICE_INTEGER_DIGITS or len(decimals) > MAX_PRICE_DECIMALS:
        return "absurd_price"
    price = Decimal(value)
    if price > MAX_PRICE_PER_HOUR:
        return "absurd_price"
    return "zero_price" if price == 0 else ""


def upfront_problem(value: object) -> str:
    """As `price_problem`, for an upfront fee (a term's total, so up to MAX_UPFRONT); 0 is a
    real fee (No Upfront)."""
    if not isinstance(value, str) or _DECIMAL_RE.fullmatch(value) is None:
        return "bad_price"
    whole, _, decimals = value.partition(".")
    if len(whole) > MAX_UPFRONT_INTEGER_DIGITS or len(decimals) > MAX_PRICE_DECIMALS or Decimal(value) > MAX_UPFRONT:
        return "absurd_price"
    return ""


# `price_problem`'s rules for a price a catalog may hold (zero included) as one expression, so a
# loader checks a price in one regex call: up to 4 digits before the point after at most two
# leading zeros (at most MAX_PRICE_INTEGER_DIGITS digits, at most 9999.x), or 10000 exactly
PRICE_STRING_RE = re.compile(r"(?:0{0,2}[0-9]{1,4}(?:\.[0-9]{1,18})?|0?10000(?:\.0{1,18})?)")
# the same for an upfront fee, a subset of `upfront_problem`'s rules (up to 8 integer digits, all
# below MAX_UPFRONT): a larger fee is left to the field-by-field check
UPFRONT_STRING_RE = re.compile(r"[0-9]{1,8}(?:\.[0-9]{1,18})?")


def is_price_string(value: object) -> TypeGuard[str]:
    """A price a catalog or cache may hold: a plain decimal string within the limits (zero
    included: the loaders accept what an older pricesync wrote); the same as
    `price_problem(value) in ("", "zero_price")`."""
    return isinstance(value, str) and PRICE_STRING_RE.fullmatch(value) is not None


def decimal_price(value: Decimal) -> tuple[str | None, str]:
    """A Decimal parsed from a source (a JSON number) -> (plain decimal string, "") or (None,
    reason as in `price_problem`). The digit limits are checked before the number is written
    out, so `1e999999999` costs nothing."""
    _, digits, exponent = value.as_tuple()
    if isinstance(exponent, str) or (value.is_signed() and not value.is_zero()):  # "n", "N", "F": NaN, infinity
        return None, "bad_price"
    if len(digits) + exponent > MAX_PRICE_INTEGER_DIGITS or -exponent > MAX_PRICE_DECIMALS:
        return None, "absurd_price"
    text = format(value, "f")
    problem = price_problem(text)
    return (None, problem) if problem else (text, "")


def monthly_price(price: Decimal | str) -> Decimal:
    """$/hour x HOURS_PER_MONTH, exact: the context has room for every digit of the product
    (the default context would round it to 28 digits)."""
    price = Decimal(price)
    with localcontext() as ctx:
        ctx.prec = len(price.as_tuple().digits) + len(str(HOURS_PER_MONTH)) + 1
        return price * HOURS_PER_MONTH


# -- identifiers --------------------------------------------------------------------------------
# What a source may name an instance type (m5.large, c7i.metal-24xl, Standard_D2s_v5,
# n2d-standard-8) or a region (us-east-1, eastus, europe-west4); anything else is skipped at
# parse time with the reason `bad_identifier`. Operating systems come from each source's own
# fixed mapping (linux, windows, rhel, suse).
MAX_IDENTIFIER_LENGTH = 64
INSTANCE_TYPE_RE = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._-]{{0,{MAX_IDENTIFIER_LENGTH - 1}}}")
REGION_RE = re.compile(rf"[a-z0-9][a-z0-9-]{{0,{MAX_IDENTIFIER_LENGTH - 1}}}")
_CURRENCY_RE = re.compile(r"[A-Z]{3}")


def is_instance_type(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and INSTANCE_TYPE_RE.fullmatch(value) is not None


def is_region(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and REGION_RE.fullmatch(value) is not None


def is_currency(value: object) -> TypeGuard[str]:
    """An ISO 4217 code such as USD or CNY."""
    return isinstance(value, str) and _CURRENCY_RE.fullmatch(value) is not None


# -- price kinds ---------------------------------------------------------------------------------
_INTERRUPTION_RE = re.compile(r"[<>]?[0-9]{1,3}(-[0-9]{1,3})?%")  # the Spot Advisor's bands: "<5%", "5-10%", ">20%"


def is_interruption_band(value: object) -> TypeGuard[str]:
    """A Spot Instance Advisor band label such as "<5%", "5-10%" or ">20%"."""
    return isinstance(value, str) and _INTERRUPTION_RE.fullmatch(value) is not None


@dataclass(frozen=True, slots=True)
class KindPrice:
    """The price of an instance bought one way other than on demand (a kind of core.kinds).

    `hourly` and `upfront` are the source's strings; `effective_hourly` amortises the upfront fee
    over the term (core.kinds.effective_hourly). All Upfront has an hourly part of 0: a real
    price. Spot also says when it was fetched and, from AWS's advisor, its interruption band and
    saving."""

    hourly: str
    upfront: str
    effective_hourly: str
    fetched_at: str | None = None
    interruption: str | None = None
    savings_pct: int | None = None

    @classmethod
    def of(cls, kind: str, hourly: str, upfront: str = "0", **extra: str | int | None) -> KindPrice:
        """The price of `kind` with its effective hourly rate computed exactly."""
        return cls(hourly, upfront, effective_hourly(hourly, upfront, KINDS[kind].years), **extra)  # type: ignore[arg-type]

    def to_json(self) -> JsonObject:
        out: JsonObject = {"hourly": self.hourly, "upfront": self.upfront, "effective_hourly": self.effective_hourly}
        for name in ("fetched_at", "interruption", "savings_pct"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return out


def is_time_text(value: object) -> TypeGuard[str]:
    """A time as a spot price's `fetched_at` may hold it: short ASCII text."""
    return isinstance(value, str) and len(value) <= 40 and value.isascii()


def kind_prices_problem(value: object) -> str:
    """ "" if `value` is a catalog's or cache's `prices` object, else what is wrong with it (for an
    error line): kinds from core.kinds only, prices plain decimal strings within the limits (0
    allowed), the optional spot fields in their shapes."""
    if not isinstance(value, dict):
        return "'prices' is not an object"
    for kind, price in value.items():
        if kind not in KINDS:
            return "'prices' names an unknown kind"
        if not isinstance(price, dict):
            return f"prices.{kind} is not an object"
        for name in ("hourly", "effective_hourly"):
            if not is_price_string(price.get(name)):
                return f"prices.{kind}.{name} is not a decimal string within the limits"
        if upfront_problem(price.get("upfront")):
            return f"prices.{kind}.upfront is not a decimal string within the limits"
        fetched = price.get("fetched_at")
        if fetched is not None and not is_time_text(fetched):
            return f"prices.{kind}.fetched_at is not a time"
        band = price.get("interruption")
        if band is not None and not is_interruption_band(band):
            return f"prices.{kind}.interruption is not a band such as <5%"
        pct = price.get("savings_pct")
        if pct is not None and (not isinstance(pct, int) or isinstance(pct, bool) or not 0 <= pct <= 100):
            return f"prices.{kind}.savings_pct is not an integer 0-100"
        if set(price) - {"hourly", "upfront", "effective_hourly", "fetched_at", "interruption", "savings_pct"}:
            return f"prices.{kind} has an unknown field"
    return ""


def kind_prices(value: JsonObject) -> dict[str, KindPrice]:
    """A `prices` object that passed `kind_prices_problem` -> KindPrice per kind, in KINDS order."""
    return {kind: KindPrice(**value[kind]) for kind in KINDS if kind in value}  # type: ignore[arg-type]


def prices_json(prices: Mapping[str, KindPrice]) -> JsonObject:
    return {kind: price.to_json() for kind, price in prices.items()}


@dataclass(frozen=True, slots=True)
class PriceRecord:
    """One price as fetched from a source: on demand (`price_per_hour`) and, in `prices`, every
    other kind the source has for it. `sku` is the source's product id where it has one (AWS:
    Savings Plans rates name the SKU they discount)."""

    instance_type: str
    region: str
    os: str
    price_per_hour: str
    currency: str
    family: str | None = None
    vcpu: int | None = None
    memory_gib: float | None = None
    gpu: int | None = None
    arch: str | None = None
    prices: Mapping[str, KindPrice] = field(default_factory=dict, compare=True)
    sku: str | None = None
    specs: Specs | None = None  # core.specs: generation, processor, clock, network, storage

    @property
    def key(self) -> Key:
        return (self.instance_type, self.region, self.os)

    def to_json(self) -> JsonObject:
        out: JsonObject = {
            "instance_type": self.instance_type,
            "region": self.region,
            "os": self.os,
            "price_per_hour": self.price_per_hour,
            "currency": self.currency,
            "family": self.family,
            "vcpu": self.vcpu,
            "memory_gib": self.memory_gib,
            "gpu": self.gpu,
            "arch": self.arch,
        }
        if self.prices:
            out["prices"] = prices_json(self.prices)
        if self.sku is not None:
            out["sku"] = self.sku
        if self.specs is not None:
            out["specs"] = self.specs.to_json()
        return out


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """One row of a catalog. `price_per_hour` is None until the first write-back."""

    instance_type: str
    family: str | None
    region: str
    os: str
    vcpu: int | None
    memory_gib: float | None
    gpu: int | None
    arch: str | None
    price_per_hour: str | None = None
    price_synced_at: str | None = None
    available: bool = True
    prices: Mapping[str, KindPrice] = field(default_factory=dict)  # kind -> price; absent: no price
    specs: Specs | None = None  # core.specs; None: none known

    @property
    def key(self) -> Key:
        return (self.instance_type, self.region, self.os)

    def to_json(self) -> JsonObject:
        out: JsonObject = {name: getattr(self, name) for name in self.__slots__ if name not in ("prices", "specs")}
        if self.prices:
            out["prices"] = prices_json(self.prices)
        if self.specs is not None:
            out["specs"] = self.specs.to_json()
        return out

    def with_record(self, rec: PriceRecord, synced_at: str) -> CatalogEntry:
        """This entry with the record's prices (every kind: a kind the record lacks is gone) and
        any specs the record knows (core.specs.Specs.over: the entry's own where it knows none)."""
        return replace(
            self,
            price_per_hour=rec.price_per_hour,
            prices=rec.prices,
            price_synced_at=synced_at,
            available=True,
            family=rec.family if rec.family is not None else self.family,
            vcpu=rec.vcpu if rec.vcpu is not None else self.vcpu,
            memory_gib=rec.memory_gib if rec.memory_gib is not None else self.memory_gib,
            gpu=rec.gpu if rec.gpu is not None else self.gpu,
            arch=rec.arch if rec.arch is not None else self.arch,
            specs=self.specs if rec.specs is None else rec.specs.over(self.specs),
        )

    @classmethod
    def from_record(cls, rec: PriceRecord, synced_at: str) -> CatalogEntry:
        return cls(
            instance_type=rec.instance_type,
            family=rec.family,
            region=rec.region,
            os=rec.os,
            vcpu=rec.vcpu,
            memory_gib=rec.memory_gib,
            gpu=rec.gpu,
            arch=rec.arch,
            price_per_hour=rec.price_per_hour,
            price_synced_at=synced_at,
            available=True,
            prices=rec.prices,
            specs=rec.specs,
        )


@dataclass(frozen=True, slots=True)
class SourceInfo:
    mode: str
    version: str | None = None
    publication_date: str | None = None

    def to_json(self) -> JsonObject:
        return {"mode": self.mode, "version": self.version, "publication_date": self.publication_date}


@dataclass(frozen=True, slots=True)
class Catalog:
    provider: str
    currency: str
    updated_at: str | None
    source: SourceInfo
    entries: tuple[CatalogEntry, ...]
    schema_version: int = SCHEMA_VERSION

    def to_json(self) -> JsonObject:
        return {
            "schema_version": self.schema_version,
            "provider": self.provider,
            "currency": self.currency,
            "updated_at": self.updated_at,
            "source": self.source.to_json(),
            "entries": [e.to_json() for e in self.entries],
        }

    def regions(self) -> list[str]:
        return sorted({e.region for e in self.entries})


@dataclass(frozen=True, slots=True)
class PriceChange:
    """One price that moves. `price_kind` is "on-demand" for `price_per_hour`, else a kind of
    core.kinds, whose price is its effective hourly rate; `old` None: the price appears, `new`
    None: it leaves (a kind the source no longer has for the entry)."""

    key: Key
    old: str | None
    new: str | None
    price_kind: str = ON_DEMAND

    @property
    def pct(self) -> float | None:
        if self.old is None or self.new is None or Decimal(self.old) == 0:
            return None
        return float((Decimal(self.new) - Decimal(self.old)) / Decimal(self.old) * 100)

    def to_json(self) -> JsonObject:
        itype, region, os_ = self.key
        pct = self.pct
        return {
            "instance_type": itype,
            "region": region,
            "os": os_,
            "price_kind": self.price_kind,
            "old": self.old,
            "new": self.new,
            "pct": None if pct is None else round(pct, 4),
        }


def same_price(a: KindPrice, b: KindPrice) -> bool:
    """The same hourly part and upfront fee, however spelt (a spot price's fetched_at aside)."""
    return Decimal(a.hourly) == Decimal(b.hourly) and Decimal(a.upfront) == Decimal(b.upfront)


def kind_changes(key: Key, old: Mapping[str, KindPrice], new: Mapping[str, KindPrice]) -> list[PriceChange]:
    """The kinds whose price moves from `old` to `new`, appears or leaves, in core.kinds order;
    each change is told in effective hourly rates (which cover the hourly part and the fee)."""
    out: list[PriceChange] = []
    for kind in KINDS:
        before, after = old.get(kind), new.get(kind)
        if (before is None and after is None) or (
            before is not None and after is not None and same_price(before, after)
        ):
            continue
        was = before.effective_hourly if before is not None else None
        out.append(PriceChange(key, was, after.effective_hourly if after is not None else None, kind))
    return out


@dataclass(frozen=True, slots=True)
class CatalogDiff:
    """What merging a fetch into a catalog would do. `changed`: on-demand prices that move
    (new never None); `kind_changes`: the other kinds' effective rates that move, appear or leave;
    `specs_changed`: entries whose specs (core.specs) the fetch adds to or changes."""

    added: tuple[PriceRecord, ...] = ()
    changed: tuple[PriceChange, ...] = ()
    missing: tuple[Key, ...] = ()
    kind_changes: tuple[PriceChange, ...] = ()
    specs_changed: int = 0

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.missing or self.kind_changes or self.specs_changed)


@dataclass(frozen=True, slots=True)
class SyncResult:
    provider: str
    mode: str
    status: SyncStatus
    regions: tuple[str, ...] = ()
    records: int = 0
    added: int = 0
    changed: int = 0
    missing: int = 0
    wrote_back: bool = False
    write_back_refused: str | None = None  # why the sanity guard kept the catalog (the fetch stands)
    duration_s: float = 0.0
    error: str | None = None
    source_version: str | None = None
    skipped: dict[str, int] = field(default_factory=dict)
    changes: tuple[PriceChange, ...] = ()
    warnings: tuple[str, ...] = ()  # one line each: a forced guard, an unrecorded history, ...
    kinds_changed: int = 0  # prices of other kinds than on-demand that move, appear or leave (core.kinds)
    bytes_downloaded: int = 0  # price files and feeds, as read (an offer read up to its on-demand terms: that part)

    def to_json(self) -> JsonObject:
        return {
            "provider": self.provider,
            "mode": self.mode,
            "status": self.status,
            "regions": list(self.regions),
            "records": self.records,
            "added": self.added,
            "changed": self.changed,
            "missing": self.missing,
            "wrote_back": self.wrote_back,
            "duration_s": round(self.duration_s, 3),
            "error": self.error,
            "source_version": self.source_version,
            "skipped": dict(self.skipped),
            "warnings": list(self.warnings),
            "kinds_changed": self.kinds_changed,
            "bytes_downloaded": self.bytes_downloaded,
            "write_back_refused": self.write_back_refused,
        }
