"""AWS Reserved Instance prices from the same offer stream as the on-demand ones (issue 11 item 5).

Fixtures in the real shape (tests/fakes/offerdata.py; ../shared/realdata/formats/a_*): the 12
Reserved terms of a SKU, Partial and All Upfront with their "Upfront Fee", All Upfront's hourly
part 0, standard and convertible, and the traps whose terms must not be joined (BYOL, Capacity
Block, Dedicated). Pretty-printed files (as AWS serves them) take the line-cut path, compact ones
the C parser: both must give the same prices.
"""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest
from pricesync.core.errors import SourceError
from pricesync.core.kinds import RESERVED
from pricesync.core.models import KindPrice
from pricesync.core.providers.aws_offer import parse_offer

from tests.conftest import US_EAST_1
from tests.fakes import offerdata

REGION = "us-east-1"
ALL = frozenset(RESERVED)
LAYOUTS = offerdata.LAYOUTS


def reader(data: bytes, chunk: int | None):
    buf = io.BytesIO(data)
    return buf.read if chunk is None else (lambda n: buf.read(min(n, chunk) if n > 0 else n))


def parse(data: bytes, kinds: frozenset[str] = ALL, chunk: int | None = None):
    records, skipped = parse_offer(reader(data, chunk), REGION, kinds=kinds)
    return {(r.instance_type, r.os): r for r in records}, skipped


def expected(price: str, kinds=RESERVED) -> dict[str, KindPrice]:
    return {kind: KindPrice.of(kind, *offerdata.reserved_price(kind, price)) for kind in kinds}


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("chunk", [7, 4096, None])
def test_every_reserved_kind_of_every_selected_sku(layout, chunk):
    records, skipped = parse(LAYOUTS[layout](offerdata.region_offer(REGION, US_EAST_1)), chunk=chunk)
    assert {k: r.price_per_hour for k, r in records.items()} == {(t, os.lower()): p for (t, os), p in US_EAST_1.items()}
    for (itype, os), price in US_EAST_1.items():
        rec = records[(itype, os.lower())]
        assert rec.prices == expected(price), (itype, os)
        assert list(rec.prices) == list(RESERVED)  # in core.kinds order
        assert rec.sku is not None and len(rec.sku) == 16
    # the traps (Capacity Block, Dedicated, Host, capacity reservation, BYOL, SQL, Local Zone) carry
    # Reserved terms too: none is joined, and nothing about them is counted beyond the selection
    assert set(skipped) == {
        "not_on_demand_market",
        "not_shared_tenancy",
        "capacity_reservation",
        "byol",
        "preinstalled_software",
        "other_location",
        "not_compute",
    }


def test_the_amortisation_is_exact_with_the_real_fees():
    """The 2025 rows of c6i.large (realdata a_ec2_offer_csv_reserved_rows_2025.csv): hourly part
    and upfront fee as AWS gives them; effective = hourly + fee / (8760 x years), half-even."""
    prod = offerdata.product("SKUC6I0000000001", "m5.large", REGION, instanceType="c6i.large")
    sku = prod["sku"]
    terms = offerdata.reserved(sku, "0.2773000000", count=12)
    real = {  # kind: (hourly, fee) from the CSV
        "reserved-1yr-standard-partial-upfront": ("0.1167600000", "1023"),
        "reserved-1yr-standard-all-upfront": ("0.0000000000", "2033"),
        "reserved-3yr-standard-all-upfront": ("0.0000000000", "5421"),
        "reserved-3yr-convertible-partial-upfront": ("0.1081700000", "2843"),
    }
    for term in terms.values():
        a = term["termAttributes"]
        kind = (
            f"reserved-{a['LeaseContractLength']}-{a['OfferingClass']}-{a['PurchaseOption'].split()[0].lower()}-upfront"
        )
        if kind in real:
            for dim in term["priceDimensions"].values():
                dim["pricePerUnit"]["USD"] = real[kind][0] if dim["unit"] == "Hrs" else real[kind][1]
    doc = offerdata.offer({sku: prod}, {sku: offerdata.on_demand(sku, "0.2773000000")}, {sku: terms})
    records, _ = parse(offerdata.dump(doc))
    prices = records[("c6i.large", "linux")].prices
    got = {k: (p.hourly, p.upfront, p.effective_hourly) for k, p in prices.items() if k in real}
    assert got == {
        "reserved-1yr-standard-partial-upfront": ("0.1167600000", "1023", "0.2335408219"),
        "reserved-1yr-standard-all-upfront": ("0.0000000000", "2033", "0.2320776256"),
        "reserved-3yr-standard-all-upfront": ("0.0000000000", "5421", "0.2062785388"),
        "reserved-3yr-convertible-partial-upfront": ("0.1081700000", "2843", "0.2163511263"),
    }
    # the standard and the convertible class are different kinds with different prices
    assert prices["reserved-1yr-standard-no-upfront"] != prices["reserved-1yr-convertible-no-upfront"]


def _one_sku_offer(*products_terms) -> bytes:
    products, od, ri = {}, {}, {}
    for i, (prod, price, terms) in enumerate(products_terms):
        sku = f"SKU{i:013d}"
        products[sku] = {**prod, "sku": sku}
        od[sku] = offerdata.on_demand(sku, price)
        ri[sku] = terms(sku)
    return offerdata.dump(offerdata.offer(products, od, ri))


def test_windows_byol_terms_are_not_joined_to_the_licence_included_sku():
    windows = offerdata.product("", "m5.large", REGION, os="Windows")
    byol = offerdata.product("", "m5.large", REGION, os="Windows", licenseModel="Bring your own license")
    data = _one_sku_offer(
        (byol, "0.0960000000", lambda sku: offerdata.reserved(sku, "0.0960000000", count=12)),
        (windows, "0.1880000000", lambda sku: offerdata.reserved(sku, "0.1880000000", count=12)),
    )
    records, skipped = parse(data)
    assert list(records) == [("m5.large", "windows")]
    assert records[("m5.large", "windows")].prices == expected("0.1880000000")
    assert skipped == {"byol": 1}


def test_capacity_block_twin_terms_are_not_joined():
    """realdata a_ec2_offer_json_capacityblock_trap_opencost: a $0 twin of the same type."""
    real = offerdata.product("", "p4d.24xlarge", REGION)
    twin = offerdata.product("", "p4d.24xlarge", REGION, operation="RunInstances:CB", marketoption="CapacityBlock")
    data = _one_sku_offer(
        (twin, "0.0000000000", lambda sku: offerdata.reserved(sku, "0.0010000000", count=12)),
        (real, "32.7726000000", lambda sku: offerdata.reserved(sku, "32.7726000000", count=12)),
    )
    records, _ = parse(data)
    assert records[("p4d.24xlarge", "linux")].prices == expected("32.7726000000")


def test_only_the_wanted_kinds_are_kept():
    wanted = frozenset({"reserved-1yr-standard-no-upfront", "reserved-3yr-convertible-all-upfront"})
    records, _ = parse(offerdata.dump(offerdata.region_offer(REGION, US_EAST_1)), wanted)
    for (itype, os), price in US_EAST_1.items():
        assert records[(itype, os.lower())].prices == expected(price, sorted(wanted, key=RESERVED.index))


def _edit_term(kind: str, edit) -> bytes:
    prod = offerdata.product("", "m5.large", REGION)

    def terms(sku: str) -> dict:
        ri = offerdata.reserved(sku, "0.0960000000", count=12)
        (term,) = [t for i, t in enumerate(ri.values()) if RESERVED[i] == kind]
        edit(term)
        return ri

    return _one_sku_offer((prod, "0.0960000000", terms))


@pytest.mark.parametrize(
    ("kind", "edit", "reason"),
    [
        (  # the peers' bug: Partial Upfront without its fee would look like a bargain
            "reserved-1yr-standard-partial-upfront",
            lambda t: [t["priceDimensions"].pop(k) for k in list(t["priceDimensions"]) if k.endswith("2TG2D8R56U")],
            "reserved_fee_mismatch",
        ),
        (
            "reserved-3yr-standard-all-upfront",
            lambda t: [d["pricePerUnit"].update(USD="0") for d in t["priceDimensions"].values()],
            "reserved_fee_mismatch",
        ),
        (
            "reserved-1yr-convertible-no-upfront",
            lambda t: [d.update(pricePerUnit={"CNY": "0.5"}) for d in t["priceDimensions"].values()],
            "reserved_other_currency",
        ),
        (
            "reserved-1yr-standard-no-upfront",
            lambda t: [d["pricePerUnit"].update(USD="1e-3") for d in t["priceDimensions"].values()],
            "bad_reserved_price",
        ),
        (
            "reserved-3yr-convertible-partial-upfront",
            lambda t: t["priceDimensions"].update(extra={"unit": "Hrs", "pricePerUnit": {"USD": "0.01"}}),
            "bad_reserved_price",
        ),
    ],
)
def test_a_term_that_is_not_a_price_leaves_its_kind_absent_never_zero(kind, edit, reason):
    records, skipped = parse(_edit_term(kind, edit))
    prices = records[("m5.large", "linux")].prices
    assert kind not in prices and len(prices) == 11
    assert skipped == {reason: 1}


def test_two_terms_of_one_kind_at_different_prices_leave_it_absent():
    prod = offerdata.product("", "m5.large", REGION)

    def terms(sku):
        ri = offerdata.reserved(sku, "0.0960000000", count=13)  # the 13th repeats the first kind ...
        last = list(ri.values())[-1]
        for dim in last["priceDimensions"].values():
            dim["pricePerUnit"]["USD"] = "0.0500000000"  # ... at another price
        return ri

    records, skipped = parse(_one_sku_offer((prod, "0.0960000000", terms)))
    assert RESERVED[0] not in records[("m5.large", "linux")].prices
    assert skipped == {"ambiguous_reserved_price": 1}


@pytest.mark.parametrize("layout", LAYOUTS)
def test_reserved_before_on_demand_is_still_joined(layout):
    doc = offerdata.region_offer(REGION, US_EAST_1)
    doc["terms"] = {"Reserved": doc["terms"]["Reserved"], "OnDemand": doc["terms"]["OnDemand"]}
    records, _ = parse(LAYOUTS[layout](doc), chunk=4096)
    assert all(records[(t, os.lower())].prices == expected(p) for (t, os), p in US_EAST_1.items())


class Counted:
    """A `read` that counts the bytes it hands out."""

    def __init__(self, data: bytes, chunk: int) -> None:
        self.buf, self.chunk, self.read_bytes = io.BytesIO(data), chunk, 0

    def read(self, n: int) -> bytes:
        out = self.buf.read(min(n, self.chunk) if n > 0 else n)
        self.read_bytes += len(out)
        return out


BIG = {(f"m5.{i}xlarge" if i else "m5.large", "Linux"): f"{0.1 * (i + 1):.10f}" for i in range(40)}


@pytest.fixture
def big_offer() -> bytes:
    offerdata.SPECS.update({t: offerdata.SPECS["m5.large"] for t, _ in BIG})
    return offerdata.dump(offerdata.region_offer(REGION, BIG))


def test_without_reserved_kinds_reading_stops_after_the_on_demand_terms(big_offer):
    """The Reserved terms are most of a file's bytes: without a Reserved kind they are not read."""
    counted = Counted(big_offer, 1 << 14)
    records, _ = parse_offer(counted.read, REGION)
    assert len(records) == len(BIG) and all(not r.prices for r in records)
    assert counted.read_bytes < big_offer.index(b'"Reserved"') + 2 * (1 << 14)
    assert counted.read_bytes < len(big_offer) // 3
    everything = Counted(big_offer, 1 << 14)
    records, _ = parse_offer(everything.read, REGION, kinds=ALL)
    assert len(records) == len(BIG) and all(len(r.prices) == 12 for r in records)
    assert everything.read_bytes >= big_offer.index(b'"attributesList"')


def test_with_reserved_first_the_reading_goes_on_to_the_on_demand_terms(big_offer):
    doc = json.loads(big_offer)
    doc["terms"] = {"Reserved": doc["terms"]["Reserved"], "OnDemand": doc["terms"]["OnDemand"]}
    data = offerdata.dump(doc)
    records, _ = parse_offer(Counted(data, 1 << 14).read, REGION)
    assert {(r.instance_type, r.price_per_hour) for r in records} == {(t, p) for (t, _), p in BIG.items()}


def test_a_broken_member_in_the_line_cut_reserved_terms_is_one_line_error():
    data = offerdata.dump(offerdata.region_offer(REGION, US_EAST_1))
    records, _ = parse(data)
    start = data.index(b'"Reserved"')  # a selected SKU's terms well past the chunk where the on-demand terms end
    at = min(i for r in records.values() if (i := data.index(f'"{r.sku}" : {{'.encode(), start)) > start + 8192)
    at = data.index(b'"pricePerUnit"', at)
    broken = data[:at] + b'"pricePerUnit" : {{ "USD" : oops ' + data[at + len(b'"pricePerUnit"') :]
    with pytest.raises(SourceError, match="has Reserved terms that are not valid JSON") as err:
        parse(broken, chunk=4096)
    assert "\n" not in str(err.value)


def test_effective_rates_fall_with_more_upfront_in_the_fixtures():
    """The fixture's own order (what the sanity rules expect of real data)."""
    for kind in RESERVED[::3]:
        group = [k for k in RESERVED if k.rsplit("-", 2)[0] == kind.rsplit("-", 2)[0]]
        rates = [Decimal(KindPrice.of(k, *offerdata.reserved_price(k, "1.0000000000")).effective_hourly) for k in group]
        assert rates == sorted(rates, reverse=True) and rates[0] < 1
