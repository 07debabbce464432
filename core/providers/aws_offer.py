"""Selecting the catalog price from AWS EC2 price-list products, and streaming an offer file.

Shared by the public Bulk API source (whole offer files) and the Pricing API source
(GetProducts items, which carry one product and its terms each).

The selection is a compute instance (virtualised or bare metal), on-demand, shared tenancy,
no pre-installed software, capacity status Used, licence included ("No License required"),
the OS's own RunInstances operation, market option OnDemand where present, unit Hrs, a price
within core.models' limits. Everything else is skipped with a counted reason: $0.00 Capacity
Block and reservation SKUs, Dedicated/Host tenancy, BYOL, Local Zone / Wavelength locations,
products without the attributes needed, instance types or regions outside the identifier
character set, absurd prices.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import ijson

from ..errors import SourceError
from ..http import plain, response_shape
from ..jsonbounds import JsonBounds
from ..models import JsonObject, Key, PriceRecord, as_object, is_currency, is_instance_type, is_region, price_problem

# operatingSystem -> (catalog os, the operation of its licence-included on-demand SKU)
OPERATING_SYSTEMS = {
    "Linux": ("linux", "RunInstances"),
    "Windows": ("windows", "RunInstances:0002"),
    "RHEL": ("rhel", "RunInstances:0010"),
    "SUSE": ("suse", "RunInstances:000g"),
}
# real offer files label `*.metal` products "Compute Instance (bare metal)"
COMPUTE_FAMILIES = ("Compute Instance", "Compute Instance (bare metal)")
_MEMORY_RE = re.compile(r"^([0-9][0-9,]{0,9}(?:\.[0-9]{1,6})?)\s*GiB$")
_COUNT_RE = re.compile(r"[0-9]{1,7}")


@dataclass(frozen=True, slots=True)
class Product:
    """The catalog-relevant part of a selected product, waiting for its on-demand price."""

    instance_type: str
    os: str
    family: str
    vcpu: int | None
    memory_gib: float | None
    gpu: int
    arch: str


def _int(value: str) -> int | None:
    value = value.replace(",", "")
    return int(value) if _COUNT_RE.fullmatch(value) else None


def _memory(value: str) -> float | None:
    m = _MEMORY_RE.match(value)
    return float(m.group(1).replace(",", "")) if m else None


def _arch(attrs: Mapping[str, object]) -> str:
    cpu = _attr(attrs, "physicalProcessor").lower()
    if "graviton" in cpu or "apple m" in cpu or "arm" in _attr(attrs, "processorArchitecture").lower():
        return "arm64"
    return "x86_64"


def _attr(attrs: Mapping[str, object], name: str, default: str = "") -> str:
    """A string attribute; a number, list or object where a string belongs counts as absent."""
    value = attrs.get(name, default)
    return value if isinstance(value, str) else ""


def select_product(product: JsonObject, region: str) -> tuple[Product | None, str]:
    """The product's catalog identity, or None and the reason it is not a catalog price."""
    if product.get("productFamily") not in COMPUTE_FAMILIES:
        return None, "not_compute"
    attrs = product.get("attributes")
    if not isinstance(attrs, dict):
        return None, "no_attributes"
    itype = _attr(attrs, "instanceType")
    os_name = _attr(attrs, "operatingSystem")
    if not itype or not os_name or "tenancy" not in attrs or "operation" not in attrs:
        return None, "missing_attributes"
    if not is_instance_type(itype) or not is_region(region):
        return None, "bad_identifier"
    if os_name not in OPERATING_SYSTEMS:
        return None, "other_os"
    os_, operation = OPERATING_SYSTEMS[os_name]
    code = attrs.get("regionCode")
    if code is not None and code != region:
        return None, "other_location"
    if code is None and attrs.get("locationType", "AWS Region") != "AWS Region":
        return None, "other_location"
    if attrs["tenancy"] != "Shared":
        return None, "not_shared_tenancy"
    if attrs.get("preInstalledSw", "NA") != "NA":
        return None, "preinstalled_software"
    if attrs.get("licenseModel", "No License required") != "No License required":
        return None, "byol"
    if attrs.get("capacitystatus", "Used") != "Used":
        return None, "capacity_reservation"
    if attrs.get("marketoption", "OnDemand") != "OnDemand":
        return None, "not_on_demand_market"
    if attrs["operation"] != operation:
        return None, "other_operation"
    return (
        Product(
            instance_type=itype,
            os=os_,
            family=itype.split(".", 1)[0],
            vcpu=_int(_attr(attrs, "vcpu")),
            memory_gib=_memory(_attr(attrs, "memory")),
            gpu=_int(_attr(attrs, "gpu")) or 0,
            arch=_arch(attrs),
        ),
        "",
    )


def select_on_demand_price(terms: object) -> tuple[tuple[str, str] | None, str]:
    """(price, currency) of a SKU's on-demand terms, or None and why not.

    Hand-edited or odd files put reservation terms under OnDemand; those carry a
    LeaseContractLength and are ignored. Exactly one hourly dimension must remain.
    """
    if not isinstance(terms, dict):
        return None, "bad_terms"
    found: list[tuple[str, str]] = []
    for term in terms.values():
        if not isinstance(term, dict) or as_object(term.get("termAttributes")).get("LeaseContractLength"):
            continue
        for dim in as_object(term.get("priceDimensions")).values():
            if not isinstance(dim, dict) or dim.get("unit") != "Hrs":
                continue
            ppu = dim.get("pricePerUnit")
            if not isinstance(ppu, dict) or len(ppu) != 1:
                return None, "bad_price"
            ((currency, price),) = ppu.items()
            if not is_currency(currency):
                return None, "bad_currency"
            if not isinstance(price, str):
                return None, "bad_price"
            found.append((price, currency))
    if not found:
        return None, "no_hourly_price"
    if len(set(found)) > 1:
        return None, "ambiguous_price"
    price, currency = found[0]
    problem = price_problem(price)
    return (None, problem) if problem else ((price, currency), "")


def make_record(product: Product, region: str, price: str, currency: str, sku: str | None = None) -> PriceRecord:
    return PriceRecord(
        instance_type=product.instance_type,
        region=region,
        os=product.os,
        price_per_hour=price,
        currency=currency,
        family=product.family,
        vcpu=product.vcpu,
        memory_gib=product.memory_gib,
        gpu=product.gpu,
        arch=product.arch,
        sku=sku,
    )


def _json_error(exc: Exception, name: str, bounds: JsonBounds) -> SourceError:
    """One line with the position: yajl's messages go on with a caret diagram that quotes the
    file's bytes, which a message never shows. A number beyond Decimal's range is an
    ArithmeticError from ijson."""
    lines = [] if isinstance(exc, ArithmeticError) else str(exc).strip().splitlines()
    first = lines[0] if lines else "a number out of range"
    problem = "is cut off" if "premature EOF" in first or first.startswith("Incomplete") else "is not valid JSON"
    return SourceError(f"{name} {problem} (within bytes {bounds.span}: {plain(first, 80)})")


class RecordSet:
    """Collects records, keeping the first of any duplicate key (counted)."""

    def __init__(self, skipped: Counter[str], on_record: Callable[[int], None] | None) -> None:
        self.by_key: dict[Key, PriceRecord] = {}
        self.skipped = skipped
        self._on_record = on_record

    def add(self, rec: PriceRecord) -> None:
        if rec.key in self.by_key:
            self.skipped["duplicate"] += 1
            return
        self.by_key[rec.key] = rec
        if self._on_record is not None and len(self.by_key) % 500 == 0:
            self._on_record(len(self.by_key))


def parse_offer(
    read: Callable[[int], bytes],
    region: str,
    *,
    on_record: Callable[[int], None] | None = None,
) -> tuple[list[PriceRecord], Counter[str]]:
    """Parse one regional offer file in a single streaming pass.

    The main parser is ijson's C `kvitems` over `terms.OnDemand` (it skips the Reserved
    terms, most of a file's bytes, without building objects). Each chunk it reads is also
    pushed into a second C parser for `products`, until the first on-demand term shows the
    products are behind us. Memory holds only the selected products and records.
    Returns the records and the counts of what was skipped, by reason.
    """
    name = f"offer file for {region}"
    bounds = JsonBounds(name)  # depth and token length, checked before either parser sees a chunk
    skipped: Counter[str] = Counter()
    wanted: dict[str, Product] = {}
    early_prices: dict[str, tuple[str, str]] = {}  # on-demand terms seen before their product
    products_seen = 0
    found = ijson.sendable_list()
    products_parser = ijson.kvitems_coro(found, "products")
    products_open = True

    def drain_products() -> None:
        nonlocal products_seen
        for sku, product in found:
            products_seen += 1
            selected, reason = select_product(as_object(product), region)
            if selected is None:
                skipped[reason] += 1
            else:
                wanted[sku] = selected
        del found[:]

    class TeeReader:
        def read(self, n: int) -> bytes:
            return tee_read(n)

    def tee_read(n: int) -> bytes:
        chunk = read(n)
        if not n:
            return chunk
        bounds.scan(chunk)
        if products_open:
            try:
                if chunk:
                    products_parser.send(chunk)
                else:
                    products_parser.close()
            except (ijson.JSONError, ArithmeticError) as exc:
                raise _json_error(exc, name, bounds) from None
            drain_products()
        return chunk

    records = RecordSet(skipped, on_record)

    def take(sku: str, price: tuple[str, str]) -> None:
        product = wanted.pop(sku, None)
        if product is not None:
            records.add(make_record(product, region, *price, sku=sku))

    with response_shape(name):
        try:
            for sku, terms in ijson.kvitems(TeeReader(), "terms.OnDemand", buf_size=1 << 18):
                if products_open and products_seen:
                    products_open = False  # every product is already parsed
                if not products_open and sku not in wanted:
                    continue
                price, reason = select_on_demand_price(terms)
                if price is None:
                    if sku in wanted:
                        skipped[reason] += 1
                        del wanted[sku]
                    continue
                if products_open:
                    early_prices[sku] = price
                else:
                    take(sku, price)
            for sku, price in early_prices.items():
                take(sku, price)
        except (ijson.JSONError, ArithmeticError) as exc:
            raise _json_error(exc, name, bounds) from None
    if not products_seen:
        raise SourceError(f"{name} has no 'products' (not an EC2 price list?)")
    if wanted:
        skipped["no_on_demand_term"] += len(wanted)
    return list(records.by_key.values()), skipped
