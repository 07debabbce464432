"""GCP Cloud Billing Catalog API: Compute Engine SKUs -> on-demand machine type prices.

The catalog has no per-machine-type prices: a predefined machine type costs its vCPUs x its
family's "Instance Core" hourly rate + its GiB x the family's "Instance Ram" rate, in the region
(a SKU lists the regions it applies to in `serviceRegions`). A rate is `units + nanos / 1e9`,
computed in exact Decimal. E2 shared-core types are billed a fraction of an E2 vCPU (e2-micro
0.25, e2-small 0.5, e2-medium 1) plus their RAM; f1-micro and g1-small have flat SKUs of their
own (resource groups F1Micro and G1Small). Custom, Sole Tenancy, spend-based commitment and $0
"Reserved" SKUs are not a machine's price and are skipped, counted by reason.

The other kinds, where wanted, are computed exactly as on-demand is, from the rates of their own
usage type: `spot` from the Preemptible SKUs ("Spot Preemptible N2 Instance Core running in
..."), `reserved-1yr|3yr-standard-no-upfront` from the resource-based committed use SKUs
(usage type Commit1Yr / Commit3Yr, "Commitment v1: N2 Cpu in Americas for 1 Year"; N1's name
no series: "Commitment v1: Cpu in ..."), whose rates are hourly with nothing up front. A
machine type gets a kind only where both its rates (or its flat rate) exist in the region.

Which machine types, and their specs, come from the bundled GCP catalog. The API key goes in
the `X-Goog-Api-Key` header only: never in a URL, a log line, an error or a file.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from ..errors import ConfigError, SourceError
from ..formats import skipped_summary
from ..http import HttpSettings, make_client, redact_url, response_shape
from ..kinds import ON_DEMAND, SPOT
from ..models import JsonObject, KindPrice, PriceRecord, as_object, decimal_price, is_currency, is_region
from .base import FetchRequest, FetchResult, RegionFetch, RegionVersion
from .paging import iter_pages
from .specs import Spec, bundled_specs

log = logging.getLogger("pricesync.gcp")

CURRENCY = "USD"
PAGE_SIZE = "5000"  # the API's maximum
CORE, RAM, FLAT = "Core", "Ram", "Flat"
UNITS = {CORE: "h", RAM: "GiBy.h", FLAT: "h"}
SHARED_CORE_VCPU = {"e2-micro": Decimal("0.25"), "e2-small": Decimal("0.5"), "e2-medium": Decimal("1")}
FLAT_GROUPS = {"F1Micro": "f1-micro", "G1Small": "g1-small"}  # resourceGroup -> machine type
# "N2D AMD Instance Core running in Americas", "N1 Predefined Instance Ram running in Iowa", ...
_RATE_RE = re.compile(
    r"^(?P<series>[A-Z][A-Z0-9]*)(?: (?:AMD|Arm|Intel|Predefined))? Instance (?P<kind>Core|Ram|RAM) running in "
)
_C2_RE = re.compile(r"^Compute optimized (?P<kind>Core|Ram|RAM) running in ")  # C2's SKUs carry no series name
# resource-based commitments; spend-based ones ("Commitment - dollar based v1: ...") do not match
_COMMIT_RE = re.compile(
    r"^Commitment v[0-9]+: "
    r"(?:(?P<c2>Compute optimized) |(?P<series>[A-Z][A-Z0-9]*)(?: (?:AMD|Arm|Intel|Predefined))? )?"
    r"(?P<kind>Cpu|Ram|RAM) in .+ for (?P<years>[13]) Years?$"
)
_SPOT_PREFIXES = ("Spot Preemptible ", "Preemptible ")
# usageType -> the kind its rates price
USAGE_KINDS = {
    "OnDemand": ON_DEMAND,
    "Preemptible": SPOT,
    "Commit1Yr": "reserved-1yr-standard-no-upfront",
    "Commit3Yr": "reserved-3yr-standard-no-upfront",
}
_SKIP_WORDS = (
    ("Spot", "spot"),
    ("Preemptible", "spot"),
    ("Custom", "custom"),
    ("Sole Tenancy", "sole_tenancy"),
    ("Commitment", "commitment"),
    ("Reserved", "reserved"),
)
_UNITS_RE = re.compile(r"[0-9]{1,30}")  # longer is absurd (and int() refuses 4,300 digits)
KEY_ENV = "PRICESYNC_GCP_API_KEY"
NO_KEY = f"no GCP API key: set {KEY_ENV} or gcp.api_key in the config file (a key with the Cloud Billing API enabled)"


@dataclass(frozen=True, slots=True)
class Rate:
    price: Decimal
    currency: str


def money(unit_price: object) -> Rate | None:
    """`{"currencyCode": "USD", "units": "0", "nanos": 27502000}` -> Rate(0.027502000, USD)."""
    if not isinstance(unit_price, dict) or not is_currency(unit_price.get("currencyCode")):
        return None
    units, nanos = unit_price.get("units", "0"), unit_price.get("nanos", 0)
    if isinstance(units, str) and _UNITS_RE.fullmatch(units):
        units = int(units)
    if type(units) is not int or type(nanos) is not int or units < 0 or not 0 <= nanos < 10**9:
        return None
    return Rate(Decimal(units) + Decimal(nanos).scaleb(-9), unit_price["currencyCode"])


def classify(sku: JsonObject, kinds: frozenset[str] = frozenset()) -> tuple[tuple[str, str, str] | None, str]:
    """(kind, family, Core|Ram|Flat) of a machine rate SKU of on-demand or a wanted kind (its
    usage type), or None and why it is not one."""
    category = as_object(sku.get("category"))
    if category.get("resourceFamily") != "Compute":
        return None, "not_compute"
    usage = category.get("usageType")
    kind = USAGE_KINDS.get(usage) if isinstance(usage, str) else None
    if kind is None or (kind != ON_DEMAND and kind not in kinds):
        return None, "spot" if kind == SPOT else "commitment" if str(usage).startswith("Commit") else "not_on_demand"
    description = str(sku.get("description") or "")
    if kind != ON_DEMAND and kind != SPOT:
        m = _COMMIT_RE.match(description)
        if m is None or USAGE_KINDS.get(f"Commit{m['years']}Yr") != kind:
            return None, "commitment"
        family = "c2" if m["c2"] else (m["series"] or "n1").lower()
        return (kind, family, m["kind"].capitalize().replace("Cpu", CORE)), ""
    if kind == SPOT:
        description = next((description.removeprefix(p) for p in _SPOT_PREFIXES if description.startswith(p)), "")
        if not description:
            return None, "spot"
    for word, reason in _SKIP_WORDS:
        if word in description:
            return None, reason
    group = category.get("resourceGroup")
    if isinstance(group, str) and group in FLAT_GROUPS:
        return (kind, FLAT_GROUPS[group], FLAT), ""
    m = _RATE_RE.match(description)
    if m:
        return (kind, m["series"].lower(), m["kind"].capitalize()), ""
    m = _C2_RE.match(description)
    if m:
        return (kind, "c2", m["kind"].capitalize()), ""
    return None, "other_sku"


def sku_rate(sku: JsonObject, kind: str) -> tuple[Rate | None, str]:
    """The SKU's current hourly rate: one pricing expression with one tier, in the right unit."""
    info = sku.get("pricingInfo")
    expr = info[0].get("pricingExpression") if isinstance(info, list) and info and isinstance(info[0], dict) else None
    if not isinstance(expr, dict):
        return None, "bad_price"
    if expr.get("usageUnit") != UNITS[kind]:
        return None, "bad_unit"
    tiers = expr.get("tieredRates")
    if not isinstance(tiers, list) or len(tiers) != 1 or not isinstance(tiers[0], dict):
        return None, "tiered_price"
    rate = money(tiers[0].get("unitPrice"))
    if rate is None:
        return None, "bad_price"
    _, problem = decimal_price(rate.price)
    return (None, problem) if problem else (rate, "")


class _Rates:
    """(kind, family, Core|Ram|Flat, region) -> Rate, from every SKU of the listing. A rate two
    SKUs give differently for one region is ambiguous and dropped: no price beats a wrong one."""

    def __init__(self, regions: list[str] | None, kinds: frozenset[str] = frozenset()) -> None:
        self.wanted = None if regions is None else set(regions)
        self.kinds = kinds
        self.rates: dict[tuple[str, str, str, str], Rate] = {}
        self.conflicts: set[tuple[str, str, str, str]] = set()
        self.skipped: dict[str, Counter[str]] = {}
        self.regions_seen: set[str] = set()
        self.bad_regions = 0  # serviceRegions entries that are not region codes: ignored

    def add(self, sku: object) -> None:
        if not isinstance(sku, dict):
            return
        listed = sku.get("serviceRegions") or ()
        regions = [r for r in listed if is_region(r)]
        self.bad_regions += len(listed) - len(regions) if isinstance(listed, list) else 0
        self.regions_seen.update(regions)
        regions = [r for r in regions if self.wanted is None or r in self.wanted]
        if not regions:
            return
        what, reason = classify(sku, self.kinds)
        rate = None
        if what is not None:
            rate, reason = sku_rate(sku, what[2])
        for region in regions:
            if what is None or rate is None:  # no rate without a `what`
                self.skipped.setdefault(region, Counter())[reason] += 1
                continue
            key = (*what, region)
            held = self.rates.get(key)
            if held is not None and held != rate:
                self.conflicts.add(key)
            self.rates[key] = rate

    def get(self, kind: str, family: str, part: str, region: str) -> tuple[Rate | None, str]:
        key = (kind, family, part, region)
        if key in self.conflicts:
            return None, "ambiguous_rate"
        rate = self.rates.get(key)
        return (rate, "") if rate is not None else (None, "no_rate_in_region")


def machine_price(spec: Spec, region: str, rates: _Rates, kind: str = ON_DEMAND) -> tuple[Rate | None, str]:
    """vCPUs x core rate + GiB x RAM rate (exact), or the type's flat rate, of `kind`; None and
    why if unpriced."""
    if spec.instance_type in FLAT_GROUPS.values():
        return rates.get(kind, spec.instance_type, FLAT, region)
    family = spec.family or spec.instance_type.split("-", 1)[0]
    vcpu = SHARED_CORE_VCPU.get(spec.instance_type, spec.vcpu)
    if vcpu is None or spec.memory_gib is None:
        return None, "no_specs"
    (core, why_core), (ram, why_ram) = rates.get(kind, family, CORE, region), rates.get(kind, family, RAM, region)
    if core is None or ram is None:
        return None, why_core or why_ram
    if core.currency != ram.currency:
        return None, "mixed_currency"
    gib = Decimal(repr(spec.memory_gib)).normalize()
    price = Decimal(vcpu) * core.price + gib * ram.price
    _, problem = decimal_price(price)
    return (None, problem) if problem else (Rate(price, core.currency), "")


def kind_prices(spec: Spec, region: str, rates: _Rates, currency: str) -> dict[str, KindPrice]:
    """The wanted kinds a machine type has rates for in the region, in its on-demand currency."""
    out: dict[str, KindPrice] = {}
    for kind in sorted(rates.kinds & set(USAGE_KINDS.values())):
        rate, _ = machine_price(spec, region, rates, kind)
        if rate is not None and rate.currency == currency:
            out[kind] = KindPrice.of(kind, format(rate.price, "f"))
    return out


def key_problem(key: str) -> str | None:
    """What is wrong with an API key, without showing it: a key is printable ASCII (a pasted
    non-breaking space, a CR or LF from a file would otherwise go into a header, and httpx's
    refusal quotes the header whole)."""
    for i, ch in enumerate(key, 1):
        if not "!" <= ch <= "~":
            what = {
                " ": "a space",
                "\u00a0": "a non-breaking space",
                "\r": "a carriage return",
                "\n": "a line feed",
                "\t": "a tab",
            }.get(ch, f"the character U+{ord(ch):04X}")
            return f"the GCP API key has {what} at position {i} (a key is printable ASCII; the key is not shown)"
    return None


def check(api_key: str) -> str | None:
    """Why GCP cannot sync with this key (one line, never the key), or None. No client, no
    network: whether the key is accepted is only known at sync time."""
    return NO_KEY if not api_key else key_problem(api_key)


class GcpProvider:
    name = "gcp"
    mode = "api"

    def __init__(self, endpoint: str, api_key: str, http: HttpSettings | None = None) -> None:
        problem = check(api_key)
        if problem is not None:
            raise ConfigError(problem)
        self.endpoint = endpoint
        self._name = redact_url(endpoint)  # for messages and logs
        self._headers = {"X-Goog-Api-Key": api_key}
        self.http = http or HttpSettings()
        self.client = make_client(self.http)

    def __repr__(self) -> str:  # never show the key
        return f"GcpProvider({self._name!r})"

    def close(self) -> None:
        self.client.close()

    def fetch(self, request: FetchRequest) -> FetchResult:
        rates = self._rates(request)
        unknown = [r for r in request.regions or () if r not in rates.regions_seen]
        if unknown:
            raise SourceError(
                f"no Compute Engine SKU lists region {', '.join(unknown)} ({len(rates.regions_seen)} regions listed)"
            )
        regions = request.regions if request.regions is not None else sorted(rates.regions_seen)
        specs = sorted(bundled_specs("gcp").values(), key=lambda s: s.instance_type)
        result = FetchResult({})
        for region in regions:
            skipped = rates.skipped.get(region, Counter())
            records: list[PriceRecord] = []
            for spec in specs:
                rate, reason = machine_price(spec, region, rates)
                if rate is None:
                    skipped[reason] += 1
                    continue
                records.append(
                    PriceRecord(
                        instance_type=spec.instance_type,
                        region=region,
                        os="linux",
                        price_per_hour=format(rate.price, "f"),
                        currency=rate.currency,
                        family=spec.family,
                        vcpu=spec.vcpu,
                        memory_gib=spec.memory_gib,
                        gpu=spec.gpu,
                        arch=spec.arch,
                        prices=kind_prices(spec, region, rates, rate.currency),
                        specs=spec.specs,
                    )
                )
            log.info(
                "%s: %d machine type prices (skipped: %s)",
                region,
                len(records),
                skipped_summary(skipped),
            )
            result.regions[region] = RegionFetch(region, RegionVersion(), records, skipped=skipped)
        return result

    def _rates(self, request: FetchRequest) -> _Rates:
        log.info("listing Compute Engine SKUs from %s", self._name)
        rates = _Rates(request.regions, request.kinds)
        params = {"currencyCode": CURRENCY, "pageSize": PAGE_SIZE}
        pages = 0

        def next_page(page: JsonObject) -> tuple[str, dict[str, str]] | None:
            token = page.get("nextPageToken")
            if not token:
                return None
            if not isinstance(token, str):
                raise SourceError(f"{self._name} returned a nextPageToken that is not a string")
            return self.endpoint, params | {"pageToken": token}

        for page in iter_pages(
            self.client,
            self.http,
            self.endpoint,
            params,
            request,
            headers=self._headers,
            next_page=next_page,
            label="skus",
            count=lambda: len(rates.rates),
        ):
            skus = page.get("skus", [] if not page else None)  # an empty listing is `{}`
            if not isinstance(skus, list):
                raise SourceError(f"{self._name} returned a page that is not a Cloud Billing SKU list")
            pages += 1
            with response_shape(f"page {pages} of {self._name}"):
                for sku in skus:
                    rates.add(sku)
        log.info("%d pages of SKUs read; %d rates kept", pages, len(rates.rates))
        if rates.bad_regions:
            log.warning("%d SKU service regions ignored: not region codes", rates.bad_regions)
        return rates
