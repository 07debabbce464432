"""Selecting the catalog price from AWS EC2 price-list products, and streaming an offer file.

Shared by the public Bulk API source (whole offer files) and the Pricing API source
(GetProducts items, which carry one product and its terms each).

Reserved Instance prices come from `terms.Reserved` of the same file, in the same pass, for the
SKUs the on-demand selection kept (so the same OS, tenancy, licence and capacity rules): one
term per kind (`termAttributes` LeaseContractLength, OfferingClass, PurchaseOption), an `Hrs`
dimension and, for Partial and All Upfront, a `Quantity` "Upfront Fee".

The selection is a compute instance (virtualised or bare metal), on-demand, shared tenancy,
no pre-installed software, capacity status Used, licence included ("No License required"),
the OS's own RunInstances operation, market option OnDemand where present, unit Hrs, a price
within core.models' limits. Everything else is skipped with a counted reason: $0.00 Capacity
Block and reservation SKUs, Dedicated/Host tenancy, BYOL, Local Zone / Wavelength locations,
products without the attributes needed, instance types or regions outside the identifier
character set, absurd prices.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import ijson

from ..errors import SourceError
from ..http import plain, response_shape
from ..jsonbounds import JsonBounds
from ..kinds import KINDS, RESERVED, reserved_kind
from ..models import (
    JsonObject,
    Key,
    KindPrice,
    PriceRecord,
    as_object,
    is_currency,
    is_instance_type,
    is_region,
    price_problem,
    upfront_problem,
)
from ..specs import Specs, described_specs

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
# the product attributes core.specs.described_specs reads, in its parameters' order
SPEC_ATTRIBUTES = (
    "currentGeneration",
    "physicalProcessor",
    "processorFeatures",
    "clockSpeed",
    "networkPerformance",
    "storage",
)


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
    specs: Specs | None = None


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
            specs=_specs(attrs),
        ),
        "",
    )


def _specs(attrs: Mapping[str, object]) -> Specs | None:
    """The richer specs of the product's attributes (core.specs.described_specs)."""
    return described_specs(*(_attr(attrs, name) for name in SPEC_ATTRIBUTES))


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


# a selected SKU's Reserved prices per kind, each with the currency its term is in
ReservedPrices = dict[str, tuple[KindPrice, str]]


def select_reserved_prices(terms: object, kinds: frozenset[str]) -> tuple[ReservedPrices, Counter[str]]:
    """A SKU's Reserved terms -> the price of each wanted kind, and what was skipped, by reason.

    A term is the kind its termAttributes name; its price is its one `Hrs` dimension (All
    Upfront's `0.0000000000` is a real price) and its `Quantity` "Upfront Fee" ("0" where there
    is none), in one currency. Skipped: an odd or missing dimension, an upfront option its fee
    contradicts (Partial or All Upfront without a fee, No Upfront with one), and a kind that
    two terms price differently."""
    found: ReservedPrices = {}
    skipped: Counter[str] = Counter()
    if not isinstance(terms, dict):
        skipped["bad_reserved_terms"] += 1
        return found, skipped
    ambiguous: set[str] = set()
    for term in terms.values():
        attrs = as_object(as_object(term).get("termAttributes"))
        kind = reserved_kind(attrs.get("LeaseContractLength"), attrs.get("OfferingClass"), attrs.get("PurchaseOption"))
        if kind is None:
            skipped["other_reserved_term"] += 1
            continue
        if kind not in kinds:
            continue
        price, reason = _reserved_price(as_object(term), kind)
        if price is None:
            skipped[reason] += 1
        elif kind in found and found[kind] != price:
            ambiguous.add(kind)
        else:
            found[kind] = price
    for kind in ambiguous:
        del found[kind]
        skipped["ambiguous_reserved_price"] += 1
    return found, skipped


def _reserved_price(term: JsonObject, kind: str) -> tuple[tuple[KindPrice, str] | None, str]:
    hourly: object = None
    upfront: object = "0"
    currencies: set[object] = set()
    dims = term.get("priceDimensions")
    for dim in dims.values() if isinstance(dims, dict) else ():
        ppu = dim.get("pricePerUnit") if isinstance(dim, dict) else None
        if not isinstance(ppu, dict) or len(ppu) != 1:
            return None, "bad_reserved_price"
        ((currency, value),) = ppu.items()
        currencies.add(currency)
        unit = dim.get("unit")
        if unit == "Hrs" and hourly is None:
            hourly = value
        elif unit == "Quantity" and upfront == "0":
            upfront = value
        else:
            return None, "bad_reserved_price"
    if len(currencies) != 1 or not is_currency(next(iter(currencies))):
        return None, "bad_reserved_price"
    if price_problem(hourly) not in ("", "zero_price") or upfront_problem(upfront):
        return None, "bad_reserved_price"
    assert isinstance(hourly, str) and isinstance(upfront, str)  # checked just above
    if (KINDS[kind].upfront == "no") != (Decimal(upfront) == 0):
        return None, "reserved_fee_mismatch"
    return (KindPrice.of(kind, hourly, upfront), str(currencies.pop())), ""


def make_record(
    product: Product,
    region: str,
    price: str,
    currency: str,
    sku: str | None = None,
    prices: Mapping[str, KindPrice] | None = None,
) -> PriceRecord:
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
        prices={kind: prices[kind] for kind in KINDS if kind in prices} if prices else {},
        sku=sku,
        specs=product.specs,
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


TERMS_DEPTH = 3  # inside a `terms.X` map (root object 1, `terms` 2); a map's items nest below it
PRODUCTS_DEPTH = 2  # inside `products`
READ_SIZE = 1 << 18


@dataclass(slots=True)
class _Section:
    """A map of the offer (`products`, `terms.OnDemand`, `terms.Reserved`) parsed by its own C
    parser from the same chunks, fed only as long as it is needed: one that has ended is not
    fed again, so its parser does not tokenize the rest of the file."""

    prefix: str
    depth: int  # the depth inside the map
    items: list[tuple[str, object]] = field(default_factory=ijson.sendable_list)
    inside: bool = False  # known to be inside the map at the end of the last chunk
    ended: bool = False
    parser: Any = field(init=False)  # ijson's C coroutine (untyped)

    def __post_init__(self) -> None:
        self.parser = ijson.kvitems_coro(self.items, self.prefix)

    def feed(self, chunk: bytes, low: int) -> list[tuple[str, object]]:
        """Send one chunk (`low`: the lowest depth anywhere in it) and take the items it completed.
        A chunk that never leaves the map's depth and completes items of it proves the parse is
        inside the map; after that, the first chunk that reaches a lower depth holds its end."""
        self.parser.send(chunk)
        items = list(self.items)
        del self.items[:]
        if self.inside and low < self.depth:
            self.ended = True
        elif items and low >= self.depth:
            self.inside = True
        return items

    def close(self) -> None:
        """At the end of the file: a parser that saw it all checks that it is complete."""
        if not self.ended:
            self.parser.close()


# A document that opens with one member a line (AWS's files are pretty-printed): its maps are
# found by their key lines and cut into members at C speed (_LineCut). A raw line break is never
# inside a JSON string, so a quote at the start of a line begins a key.
_ONE_MEMBER_A_LINE = re.compile(rb'[ \t\r\n]*\{[ \t\r]*\n( +)"')
_MAP_KEY = re.compile(rb'\n( *)"(products|OnDemand|Reserved)" *: *\{')
_FIRST_MEMBER = re.compile(rb'[ \t\r\n]*\n( +)"')
# bytes of one member (a SKU's product or terms) in the line-cut path (real: a few KB); decoded,
# a member of tiny objects takes up to ~30x its size in memory, so this also bounds that
MAX_MEMBER = 1 << 20
_SECTIONS = {"products": "products", "OnDemand": "on-demand terms", "Reserved": "Reserved terms"}


class _LineCutMap:
    """One map of a pretty-printed offer file, cut into its members at C speed: each member (a
    SKU) starts on its own line at the map's indentation, and the map's closing brace on its
    own line at the key's. Only the members asked for are decoded (json.loads of their bytes);
    the others cost one regular-expression search. A file laid out otherwise fails the decode
    of a member with a SourceError, and a member longer than MAX_MEMBER is refused. `rest`:
    what follows the map's closing brace, once it has ended."""

    def __init__(self, indent: bytes, rest: bytes, name: str, section: str) -> None:
        self.buf = rest
        self.name, self.section = name, section
        self.member: re.Pattern[bytes] | None = None
        self.end = re.compile(rb"\n" + indent + rb"\}")
        self.ended = False
        self.rest = b""

    def feed(self, chunk: bytes, wanted: Callable[[str], bool]) -> list[tuple[str, object]]:
        self.buf += chunk
        out: list[tuple[str, object]] = []
        if self.member is None:
            first = _FIRST_MEMBER.match(self.buf)
            if first is None:
                empty = re.match(rb"[ \t\r\n]*\}", self.buf)  # an empty map
                if empty is not None:
                    self.ended, self.rest, self.buf = True, self.buf[empty.end() :], b""
                self._check()
                return out
            self.member = re.compile(rb"\n" + first[1] + rb'"([^"\\\n]{0,200})" *: *')
        cur = self.member.search(self.buf)
        while cur is not None:
            nxt = self.member.search(self.buf, cur.end())
            end = self.end.search(self.buf, cur.end(), nxt.start() if nxt else len(self.buf))
            if end is None and nxt is None:
                break  # the member goes on in the next chunk
            stop = end.start() if end is not None else nxt.start()  # type: ignore[union-attr]
            key = cur[1].decode("utf-8", "replace")
            if wanted(key):
                out.append((key, self._decode(self.buf[cur.end() : stop], key)))
            if end is not None:
                self.ended, self.rest, cur = True, self.buf[end.end() :], None
                break
            cur = nxt
        if self.ended:
            self.buf = b""
        elif cur is not None:
            self.buf = self.buf[cur.start() :]  # the member that goes on in the next chunk
        # else: no member starts yet in what came (a key line cut between chunks): all kept
        self._check()
        return out

    def _decode(self, value: bytes, key: str) -> object:
        try:
            return json.loads(value.rstrip(b" \t\r\n").removesuffix(b","))
        except (ValueError, RecursionError):
            raise SourceError(
                f"{self.name} has {self.section} that are not valid JSON (SKU {plain(key, 40)})"
            ) from None

    def _check(self) -> None:
        if len(self.buf) > MAX_MEMBER:
            raise SourceError(
                f"{self.name} has {self.section} of one SKU longer than {MAX_MEMBER >> 20} MiB, or not one a line"
            )


Handler = tuple[Callable[[str], bool], Callable[[list[tuple[str, object]]], None]]  # (wanted, handle)


class _LineCut:
    """An offer file in AWS's layout: `products`, `terms.OnDemand` and `terms.Reserved` found by
    their key lines, in whatever order they come, each cut into members (_LineCutMap) and
    handed to its handler. Only the maps given handlers are cut; the bytes between them are
    searched for the next key line and dropped."""

    def __init__(self, name: str, handlers: dict[str, Handler]) -> None:
        self.name = name
        self.pending = dict(handlers)
        self.current: tuple[_LineCutMap, Handler] | None = None
        self.between = b""  # bytes after the last map, where the next key line may begin

    @property
    def done(self) -> bool:
        return not self.pending and self.current is None

    def feed(self, chunk: bytes) -> None:
        while chunk or self.current is None:
            if self.current is None:
                if not self._open(chunk):
                    return
                chunk = b""
            cut, (wanted, handle) = self.current  # type: ignore[misc]
            handle(cut.feed(chunk, wanted))
            if not cut.ended:
                return
            self.current, chunk = None, cut.rest
            if not self.pending:
                return

    def _open(self, chunk: bytes) -> bool:
        """Find the next wanted map's key line in the bytes between maps; False: not yet."""
        self.between += chunk
        for found in _MAP_KEY.finditer(self.between):
            key = found[2].decode()
            if key in self.pending:
                section = _SECTIONS[key]
                self.current = (
                    _LineCutMap(found[1], self.between[found.end() :], self.name, section),
                    self.pending.pop(key),
                )
                self.between = b""
                return True
        self.between = self.between[-64:]  # a key line may begin at the end
        return False

    def finish(self) -> None:
        """At the end of the file: a map cut off is an error; a map never found is just absent."""
        if self.current is not None:
            raise SourceError(f"{self.name} is cut off (within its {self.current[0].section})")


def parse_offer(
    read: Callable[[int], bytes],
    region: str,
    *,
    kinds: frozenset[str] = frozenset(),
    on_record: Callable[[int], None] | None = None,
) -> tuple[list[PriceRecord], Counter[str]]:
    """Parse one regional offer file in a single streaming pass.

    A file in AWS's layout (pretty-printed, one member a line) is cut by lines (`_LineCut`):
    `products` (every product decoded and judged), `terms.OnDemand` and, when a Reserved kind is
    in `kinds`, `terms.Reserved` (only the selected SKUs' terms decoded), in whatever order they
    come. Any other layout goes to a C parser per section (`_Section`), fed each chunk for as
    long as its section may still come. Either way, once every needed section has ended (real
    files list products, then OnDemand, then Reserved: without Reserved kinds nothing after
    OnDemand is needed), reading stops and the caller closes the download. Memory holds only
    the selected products, their prices and records. Returns the records and the counts of
    what was skipped, by reason.
    """
    name = f"offer file for {region}"
    bounds = JsonBounds(name)  # depth and token length, checked before any parser sees a chunk
    reserved_kinds = kinds & frozenset(RESERVED)
    skipped: Counter[str] = Counter()
    selected: dict[str, Product] = {}
    on_demand: dict[str, tuple[str, str]] = {}  # selected SKU -> (price, currency)
    early_prices: dict[str, tuple[str, str]] = {}  # on-demand terms seen before their product
    reserved: dict[str, ReservedPrices] = {}  # selected SKUs only
    products_seen = 0
    products_open = True  # False once every product is parsed (terms came after them)

    def product_items(items: list[tuple[str, object]]) -> None:
        nonlocal products_seen
        for sku, product in items:
            products_seen += 1
            chosen, reason = select_product(as_object(product), region)
            if chosen is None:
                skipped[reason] += 1
            else:
                selected[sku] = chosen

    def terms_begin() -> None:
        nonlocal products_open
        if products_open and products_seen:
            products_open = False  # every product is already parsed

    def on_demand_items(items: list[tuple[str, object]]) -> None:
        for sku, terms in items:
            terms_begin()
            if not products_open and sku not in selected:
                continue
            price, reason = select_on_demand_price(terms)
            if price is None:
                if sku in selected:
                    skipped[reason] += 1
                    del selected[sku]
            elif products_open:
                early_prices[sku] = price
            else:
                on_demand[sku] = price
                if on_record is not None and len(on_demand) % 500 == 0:
                    on_record(len(on_demand))

    def reserved_items(items: list[tuple[str, object]]) -> None:
        for sku, terms in items:
            terms_begin()
            if products_open:  # Reserved before the products (no real file): not judged
                skipped["reserved_before_products"] += 1
            elif sku in selected:
                prices, why = select_reserved_prices(terms, reserved_kinds)
                skipped.update(why)
                if prices:
                    reserved[sku] = prices

    def of_selected(sku: str) -> bool:  # terms before the products are all kept until they come
        return products_open or sku in selected

    handlers: dict[str, Handler] = {
        "products": (lambda sku: True, product_items),
        "OnDemand": (of_selected, on_demand_items),
    }
    if reserved_kinds:
        handlers["Reserved"] = (of_selected, reserved_items)
    lines: _LineCut | None = None
    sections: list[tuple[_Section, Callable[[list[tuple[str, object]]], None]]] = [
        (_Section("products", PRODUCTS_DEPTH), product_items),
        (_Section("terms.OnDemand", TERMS_DEPTH), on_demand_items),
    ]
    if reserved_kinds:
        sections.append((_Section("terms.Reserved", TERMS_DEPTH), reserved_items))

    def needed(section: _Section) -> bool:  # the products' parser stops once the terms follow them
        return not section.ended and (section.prefix != "products" or products_open)

    first = True
    with response_shape(name):
        try:
            while True:
                chunk = read(READ_SIZE)
                if first and _ONE_MEMBER_A_LINE.match(chunk):
                    lines = _LineCut(name, handlers)
                elif first:  # the C parsers build each member whole: the scan bounds its bytes
                    bounds = JsonBounds(name, {"products": PRODUCTS_DEPTH, "terms": TERMS_DEPTH}, MAX_MEMBER)
                first = False
                bounds.scan(chunk)
                if lines is not None:
                    if not chunk:
                        lines.finish()
                        break
                    lines.feed(chunk)
                    if lines.done:
                        break  # nothing after this is needed: the caller closes the download
                    continue
                live = [(section, handle) for section, handle in sections if needed(section)]
                if not chunk:  # the end of the file: a parser that saw it all checks it is complete
                    for section, handle in live:
                        section.close()
                        handle(section.items)
                    break
                for section, handle in live:
                    handle(section.feed(chunk, bounds.low))
                if not any(needed(section) for section, _ in live):
                    break  # nothing after this is needed: the caller closes the download
        except (ijson.JSONError, ArithmeticError) as exc:
            raise _json_error(exc, name, bounds) from None
    if not products_seen:
        raise SourceError(f"{name} has no 'products' (not an EC2 price list?)")
    for sku, early in early_prices.items():
        if sku in selected:
            on_demand[sku] = early
    records = RecordSet(skipped, None)
    for sku, product in selected.items():
        price = on_demand.get(sku)
        if price is None:
            skipped["no_on_demand_term"] += 1
            continue
        kept = {}
        for kind, (kind_price, currency) in reserved.get(sku, {}).items():
            if currency == price[1]:
                kept[kind] = kind_price
            else:
                skipped["reserved_other_currency"] += 1
        records.add(make_record(product, region, *price, sku=sku, prices=kept))
    return list(records.by_key.values()), skipped
