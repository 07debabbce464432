"""The AWS offer-file parser (core.providers.aws_offer) on fixtures in the real shape.

Every trap goes in before its legitimate twin, so a parser that kept the first SKU of an
instance type would pick the trap; several read sizes exercise the two-parser tee.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable

import pytest
from pricesync.core.errors import SourceError
from pricesync.core.kinds import RESERVED
from pricesync.core.providers.aws_offer import parse_offer

from tests.conftest import US_EAST_1
from tests.fakes import offerdata

REGION = "us-east-1"
CHUNKS = [7, 4096, None]  # None: the whole file in one read


def reader(data: bytes, chunk: int | None):
    """A `read` that never returns more than `chunk` bytes, like a slow socket."""
    buf = io.BytesIO(data)
    if chunk is None:
        return buf.read
    return lambda n: buf.read(min(n, chunk) if n > 0 else n)


def parse(obj: dict | bytes, chunk: int | None = None, region: str = REGION, layout: str = "pretty"):
    data = obj if isinstance(obj, bytes) else offerdata.LAYOUTS[layout](obj)
    records, skipped = parse_offer(reader(data, chunk), region)
    return {(r.instance_type, r.os): r for r in records}, skipped


Terms = Callable[[str], object]  # sku -> that SKU's terms under OnDemand (None: no entry)


def od(price: str, **kw) -> Terms:
    return lambda sku: offerdata.on_demand(sku, price, **kw)


def offer_of(items: Iterable[tuple[object, Terms]], *, order: str = "products-first", extra_ri: bool = True) -> dict:
    """An offer file from (product, terms) pairs, SKUs numbered in order."""
    products, on_demand, ri = {}, {}, {}
    for i, (prod, terms) in enumerate(items):
        sku = f"SKU{i:013d}"
        products[sku] = {**prod, "sku": sku} if isinstance(prod, dict) else prod
        if (t := terms(sku)) is not None:
            on_demand[sku] = t
        if extra_ri:
            ri[sku] = offerdata.reserved(sku, "0.0500000000")
    doc = offerdata.offer(products, on_demand, ri)
    if order == "terms-first":
        doc = {k: doc[k] for k in ("formatVersion", "version", "terms", "attributesList", "products")}
    elif order == "attributes-in-terms":  # like realdata opencost pricing-us-east-2.json
        doc["terms"]["attributesList"] = doc.pop("attributesList")
    return doc


def legit(itype: str = "p4d.24xlarge", price: str = "32.7726000000", **attrs) -> tuple[dict, Terms]:
    return offerdata.product("", itype, REGION, **attrs), od(price)


# -- the whole region file, with every trap -----------------------------------------------------


@pytest.mark.parametrize("layout", offerdata.LAYOUTS)
@pytest.mark.parametrize("chunk", CHUNKS)
def test_region_offer_gives_exactly_the_catalog_prices(chunk, layout):
    records, skipped = parse(offerdata.region_offer(REGION, US_EAST_1), chunk, layout=layout)
    assert {k: r.price_per_hour for k, r in records.items()} == {
        (itype, os.lower()): price for (itype, os), price in US_EAST_1.items()
    }
    assert all(r.region == REGION and r.currency == "USD" for r in records.values())
    # one of each trap per Linux type (5), Dedicated + Host tenancy, the storage product
    assert skipped == {
        "not_on_demand_market": 4,
        "not_shared_tenancy": 8,
        "capacity_reservation": 4,
        "byol": 4,
        "preinstalled_software": 4,
        "other_location": 4,
        "not_compute": 1,
    }


def test_specs_come_from_the_file():
    records, _ = parse(offerdata.region_offer(REGION, US_EAST_1))
    p4d = records[("p4d.24xlarge", "linux")]
    assert (p4d.family, p4d.vcpu, p4d.memory_gib, p4d.gpu, p4d.arch) == ("p4d", 96, 1152.0, 8, "x86_64")
    assert type(p4d.vcpu) is int and type(p4d.memory_gib) is float and type(p4d.gpu) is int
    c6g = records[("c6g.large", "linux")]
    assert (c6g.vcpu, c6g.memory_gib, c6g.gpu, c6g.arch) == (2, 4.0, 0, "arm64")
    assert records[("t3.micro", "rhel")].memory_gib == 1.0


BARE_METAL = {
    ("i3en.metal", "Linux"): "10.8480000000",
    ("c7i.metal-24xl", "Linux"): "4.2840000000",
    ("m7g.metal", "SUSE"): "2.7532000000",
}


@pytest.mark.parametrize("chunk", CHUNKS)
def test_bare_metal_is_selected_with_its_specs(chunk):
    """Real offer files label `*.metal` products "Compute Instance (bare metal)" (the Product
    Family column of ../shared/realdata/ec2-priceit/examples/3-global-pricing-file-sample.csv)."""
    offer = offerdata.region_offer(REGION, US_EAST_1 | BARE_METAL)
    assert {
        p["productFamily"] for p in offer["products"].values() if ".metal" in p["attributes"].get("instanceType", "")
    } == {"Compute Instance (bare metal)"}
    records, skipped = parse(offer, chunk)
    assert {k: r.price_per_hour for k, r in records.items() if ".metal" in k[0]} == {
        (itype, os.lower()): price for (itype, os), price in BARE_METAL.items()
    }
    i3en, c7i, m7g = (
        records[("i3en.metal", "linux")],
        records[("c7i.metal-24xl", "linux")],
        records[("m7g.metal", "suse")],
    )
    assert (i3en.family, i3en.vcpu, i3en.memory_gib, i3en.gpu, i3en.arch) == ("i3en", 96, 768.0, 0, "x86_64")
    assert (c7i.family, c7i.vcpu, c7i.memory_gib) == ("c7i", 96, 192.0)
    assert (m7g.family, m7g.arch) == ("m7g", "arm64")
    assert skipped["not_compute"] == 1  # the storage product only


def test_price_string_is_exact_and_never_a_float():
    records, _ = parse(offerdata.region_offer(REGION, {("p4d.24xlarge", "Linux"): "32.7726000000"}))
    price = records[("p4d.24xlarge", "linux")].price_per_hour
    assert price == "32.7726000000" and isinstance(price, str)


def test_cny_region_keeps_cny():
    prices = {("m5.large", "Linux"): "0.6520000000"}
    records, _ = parse(offerdata.region_offer("cn-north-1", prices, currency="CNY"), region="cn-north-1")
    rec = records[("m5.large", "linux")]
    assert (rec.currency, rec.price_per_hour) == ("CNY", "0.6520000000")


# -- each trap alone, placed before its legitimate twin -----------------------------------------

TRAPS = {
    "capacity block $0 twin": (
        {"operation": "RunInstances:CB", "marketoption": "CapacityBlock"},
        "0.0000000000",
        "not_on_demand_market",
    ),
    "capacity block, no marketoption": (
        {"operation": "RunInstances:CB", "drop": ["marketoption"]},
        "0.0000000000",
        "other_operation",
    ),
    "dedicated tenancy": ({"tenancy": "Dedicated"}, "40.0000000000", "not_shared_tenancy"),
    "host tenancy $0": ({"tenancy": "Host"}, "0.0000000000", "not_shared_tenancy"),
    "allocated capacity reservation $0": (
        {"capacitystatus": "AllocatedCapacityReservation"},
        "0.0000000000",
        "capacity_reservation",
    ),
    "unused capacity reservation": (
        {"capacitystatus": "UnusedCapacityReservation"},
        "32.7726000000",
        "capacity_reservation",
    ),
    "byol": ({"licenseModel": "Bring your own license"}, "1.0000000000", "byol"),
    "sql pre-installed": (
        {"preInstalledSw": "SQL Web", "operation": "RunInstances:0200"},
        "35.0000000000",
        "preinstalled_software",
    ),
    "local zone in a region file": (
        {"regionCode": "us-east-1-mia-1", "locationType": "AWS Local Zone"},
        "40.0000000000",
        "other_location",
    ),
    "wavelength zone without regionCode": (
        {"locationType": "AWS Wavelength Zone", "drop": ["regionCode"]},
        "40.0000000000",
        "other_location",
    ),
    "windows byol operation for linux": ({"operation": "RunInstances:0800"}, "1.0000000000", "other_operation"),
}


@pytest.mark.parametrize("name", TRAPS)
def test_trap_is_skipped_with_a_reason(name):
    attrs, price, reason = TRAPS[name]
    trap = (offerdata.product("", "p4d.24xlarge", REGION, **attrs), od(price))
    records, skipped = parse(offer_of([trap, legit()]))
    assert records[("p4d.24xlarge", "linux")].price_per_hour == "32.7726000000"
    assert len(records) == 1
    assert skipped == {reason: 1}


def test_storage_product_is_not_an_instance():
    storage = {"productFamily": "Storage", "attributes": {"volumeApiName": "gp3", "regionCode": REGION}}
    records, skipped = parse(offer_of([(storage, od("0.0800000000", unit="GB-Mo")), legit()]))
    assert list(records) == [("p4d.24xlarge", "linux")]
    assert skipped == {"not_compute": 1}


def test_zero_price_alone_is_never_a_price():
    records, skipped = parse(offer_of([legit(price="0.0000000000")]))
    assert records == {} and skipped == {"zero_price": 1}


@pytest.mark.parametrize("price", ["1e-3", "Infinity", "NaN", "-0.5", "0.5 ", "\u0661.5", "free"])
def test_malformed_price_string_is_skipped_not_stored(price):
    records, skipped = parse(offer_of([legit(price=price)]))
    assert records == {} and skipped == {"bad_price": 1}


# -- terms that are not what they seem ----------------------------------------------------------


def test_reserved_term_under_on_demand_is_ignored():
    """Like realdata opencost pricing-us-east-2.json: m5.large's only "OnDemand" term is a 3yr RI."""
    prod = offerdata.product("", "m5.large", REGION)

    def ri_only(sku):
        return offerdata.reserved(sku, "0.0400000000", count=1)

    records, skipped = parse(offer_of([(prod, ri_only), legit()], order="attributes-in-terms"))
    assert list(records) == [("p4d.24xlarge", "linux")]
    assert skipped == {"no_hourly_price": 1}


def test_reserved_term_beside_the_on_demand_one_does_not_make_it_ambiguous():
    prod, terms = legit()
    records, skipped = parse(
        offer_of([(prod, lambda sku: offerdata.reserved(sku, "20.0000000000", count=2) | terms(sku))])
    )
    assert records[("p4d.24xlarge", "linux")].price_per_hour == "32.7726000000"
    assert skipped == {}


def test_two_different_hourly_prices_are_ambiguous():
    prod, terms = legit()

    def two_terms(sku: str) -> dict:
        (other,) = offerdata.on_demand(sku, "1.0000000000").values()
        return terms(sku) | {f"{sku}.OTHERTERM1": other}

    records, skipped = parse(offer_of([(prod, two_terms)]))
    assert records == {} and skipped == {"ambiguous_price": 1}


def test_product_without_terms_is_counted():
    prod, _ = legit("m5.large", "0.0960000000")
    records, skipped = parse(offer_of([(prod, lambda sku: None), legit()], extra_ri=False))
    assert list(records) == [("p4d.24xlarge", "linux")]
    assert skipped == {"no_on_demand_term": 1}


# -- file layouts -------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", offerdata.LAYOUTS)
@pytest.mark.parametrize("order", ["products-first", "terms-first", "attributes-in-terms"])
@pytest.mark.parametrize("chunk", CHUNKS)
def test_layouts_give_the_same_records(order, chunk, layout):
    items = [legit(), legit("m5.large", "0.0960000000"), legit("c6g.large", "0.0680000000", os="Linux")]
    trap = (
        offerdata.product("", "m5.large", REGION, capacitystatus="AllocatedCapacityReservation"),
        od("0.0000000000"),
    )
    records, skipped = parse(offer_of([trap, *items], order=order), chunk, layout=layout)
    assert {k: r.price_per_hour for k, r in records.items()} == {
        ("p4d.24xlarge", "linux"): "32.7726000000",
        ("m5.large", "linux"): "0.0960000000",
        ("c6g.large", "linux"): "0.0680000000",
    }
    assert skipped == {"capacity_reservation": 1}


def test_attributes_list_after_terms_is_ignored():
    doc = offer_of([legit()])
    assert list(doc)[-1] == "attributesList"
    doc["attributesList"] = {"instanceType": {"p4d.24xlarge": {"products": ["x"] * 50}}}
    records, _ = parse(doc)
    assert list(records) == [("p4d.24xlarge", "linux")]


# -- products missing attributes: skipped with counts, never a crash ----------------------------

BROKEN = {
    "no attributes": ({"productFamily": "Compute Instance"}, "no_attributes"),
    "attributes not an object": ({"productFamily": "Compute Instance", "attributes": ["x"]}, "no_attributes"),
    "no productFamily": ({"attributes": {"instanceType": "m5.large"}}, "not_compute"),
    "product not an object": ("just a string", "not_compute"),
    "no instanceType": (offerdata.product("", "m5.large", drop=["instanceType"]), "missing_attributes"),
    "no operatingSystem": (offerdata.product("", "m5.large", drop=["operatingSystem"]), "missing_attributes"),
    "no tenancy": (offerdata.product("", "m5.large", drop=["tenancy"]), "missing_attributes"),
    "no operation": (offerdata.product("", "m5.large", drop=["operation"]), "missing_attributes"),
    "unknown OS": (offerdata.product("", "m5.large", operatingSystem="Plan9"), "other_os"),
}


@pytest.mark.parametrize("name", BROKEN)
def test_product_missing_attributes_is_skipped_and_counted(name):
    prod, reason = BROKEN[name]
    records, skipped = parse(offer_of([(prod, od("1.0000000000")), legit()]))
    assert list(records) == [("p4d.24xlarge", "linux")]
    assert skipped == {reason: 1}


def test_missing_specs_give_none_not_a_crash():
    prod = offerdata.product("", "m5.large", drop=["vcpu", "memory", "physicalProcessor"])
    records, skipped = parse(offer_of([(prod, od("0.0960000000"))]))
    rec = records[("m5.large", "linux")]
    assert (rec.vcpu, rec.memory_gib, rec.gpu, rec.arch) == (None, None, 0, "x86_64")
    assert skipped == {}


def test_bad_terms_shape_is_counted():
    prod, _ = legit()
    records, skipped = parse(offer_of([(prod, lambda sku: ["not", "terms"])]))
    assert records == {} and skipped == {"bad_terms": 1}


# -- files that are not offer files -------------------------------------------------------------


@pytest.mark.parametrize("layout", offerdata.LAYOUTS)
@pytest.mark.parametrize("chunk", CHUNKS)
def test_cut_off_file_is_a_source_error(chunk, layout):
    data = offerdata.LAYOUTS[layout](offerdata.region_offer(REGION, US_EAST_1))
    cut = data.index(b'"Reserved"') - 50  # within the on-demand terms, which are always read
    with pytest.raises(SourceError, match="us-east-1 is cut off") as err:
        parse(data[:cut], chunk)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("chunk", CHUNKS)
def test_cut_off_in_the_reserved_terms_matters_only_when_they_are_read(chunk):
    data = offerdata.dump(offerdata.region_offer(REGION, US_EAST_1))
    cut = data[: data.index(b'"attributesList"') - 200]  # within the Reserved terms
    if chunk == 7:  # read in chunks: the parse stops once the on-demand terms have ended
        assert len(parse(cut, chunk)[0]) == len(US_EAST_1)
    with pytest.raises(SourceError, match="us-east-1 is cut off"):
        parse_offer(reader(cut, chunk), REGION, kinds=frozenset(RESERVED))


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b'{"products": {}, "terms": {"OnDemand": {}}}', "has no 'products'"),
        (b'{"regions": {"us-east-1": {}}}', "has no 'products'"),
        (b"[1, 2, 3]", "has no 'products'"),
        (b'{"products": {"A": {]}', "not valid JSON"),
        (b"", "cut off"),
        (b'{\n  "products" : {\n  }\n}\n', "has no 'products'"),
        (b'{\n  "products" : {\n    "A" : {]\n  }\n}\n', "has products that are not valid JSON .SKU A."),
        (b'{\n  "products" : {\n    "A" : {}\n', "is cut off .within its products."),
        (b'{\n  "regions" : {}\n}\n', "has no 'products'"),
    ],
)
def test_wrong_shape_is_a_source_error(body, problem):
    with pytest.raises(SourceError, match=problem) as err:
        parse(body)
    assert "\n" not in str(err.value)


def test_a_product_longer_than_the_member_bound_is_refused_before_it_is_decoded():
    """AWS's layout, one product going on for more than MAX_MEMBER without the next member's line."""
    from pricesync.core.providers.aws_offer import MAX_MEMBER

    huge = b"1," * MAX_MEMBER  # twice the bound: refused while it is still being read
    body = b'{\n  "products" : {\n    "A" : [' + huge + b"1]\n  }\n}\n"
    with pytest.raises(SourceError, match="has products of one SKU longer than 1 MiB, or not one a line"):
        parse(body, chunk=4096)
