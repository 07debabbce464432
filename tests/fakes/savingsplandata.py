"""Builders for AWS Savings Plans fixtures in the real shape (see ../shared/realdata/formats, b_*).

The service index names the Savings Plans region index for AmazonEC2; the region index is a
LIST of `{regionCode, versionUrl}`; a region's file has `products` and `terms.savingsPlan` as
ARRAYS, each plan's `rates[]` keyed by `discountedSku`, `rateCode` `<plan sku>.<discounted sku>`.
`rates_file` builds a region's file from the same region's offer (tests.fakes.offerdata), with
the traps of the real files: Compute and EC2 Instance plans rating the same SKU, Unused and
Dedicated and Host rates (an Unused rate names the very SKU of the instance hour), Fargate and
Lambda rates, and rates for every product of the offer, the ones the on-demand selection
skips (BYOL, Dedicated, ...) included.
"""

from __future__ import annotations

from decimal import Decimal

from tests.fakes import offerdata

SERVICE_INDEX = "/offers/v1.0/aws/index.json"
SP_INDEX = "/savingsPlan/v1.0/aws/AWSComputeSavingsPlan/current/region_index.json"
SP1, SP2 = "20251101120000", "20251201120000"
USAGE_PREFIX = {"us-east-1": "", "eu-west-1": "EUW1-"}
OPTIONS = {"no": "No Upfront", "partial": "Partial Upfront", "all": "All Upfront"}
# the fraction of on-demand each plan charges: plan -> term -> (No, Partial, All Upfront)
_FRACTIONS = {
    "compute": {"1yr": ("0.72", "0.70", "0.68"), "3yr": ("0.50", "0.48", "0.46")},
    "ec2-instance": {"1yr": ("0.64", "0.62", "0.60"), "3yr": ("0.44", "0.42", "0.40")},
}
FACTORS = {
    (plan, term, option): fraction
    for plan, terms in _FRACTIONS.items()
    for term, fractions in terms.items()
    for option, fraction in zip(OPTIONS, fractions, strict=True)
}


def sp_path(region: str, version: str = SP1) -> str:
    return f"/savingsPlan/v1.0/aws/AWSComputeSavingsPlan/{version}/{region}/index.json"


def kind(plan: str, term: str, option: str) -> str:
    return f"savings-plan-{plan}-{term}-{option}-upfront"


def rate_price(on_demand: str, plan: str, term: str, option: str) -> str:
    """The rate the fixture gives a SKU of this on-demand price under this plan."""
    return str((Decimal(on_demand) * Decimal(FACTORS[plan, term, option])).quantize(Decimal("0.0001")))


def expected(on_demand: str) -> dict[str, str]:
    """kind -> hourly rate for a selected SKU of this on-demand price."""
    return {kind(*key): rate_price(on_demand, *key) for key in FACTORS}


def plan_sku(plan: str, term: str, option: str, family: str = "") -> str:
    head = "CSP" if plan == "compute" else f"ESP{family.upper().replace('.', '')}"
    return f"{head}{term.upper()}{option.upper()}".ljust(16, "Q")[:16]


def service_index(sp_index_path: str = SP_INDEX) -> dict:
    return {
        "formatVersion": "v1.0",
        "disclaimer": "This pricing list is for informational purposes only.",
        "publicationDate": "2025-11-01T00:00:00Z",
        "offers": {
            "AmazonS3": {"offerCode": "AmazonS3", "currentVersionUrl": "/offers/v1.0/aws/AmazonS3/current/index.json"},
            "AmazonEC2": {
                "offerCode": "AmazonEC2",
                "versionIndexUrl": "/offers/v1.0/aws/AmazonEC2/index.json",
                "currentVersionUrl": "/offers/v1.0/aws/AmazonEC2/current/index.json",
                "currentRegionIndexUrl": "/offers/v1.0/aws/AmazonEC2/current/region_index.json",
                "savingsPlanVersionIndexUrl": "/savingsPlan/v1.0/aws/AWSComputeSavingsPlan/current/index.json",
                "currentSavingsPlanIndexUrl": sp_index_path,
            },
        },
    }


def region_index(versions: dict[str, str]) -> dict:
    """A LIST of {regionCode, versionUrl}, with a Local Zone (listed, never asked for)."""
    regions = [{"regionCode": r, "versionUrl": sp_path(r, v)} for r, v in versions.items()]
    regions.insert(0, {"regionCode": "us-west-2-den-1", "versionUrl": sp_path("us-west-2-den-1", SP1)})
    return {
        "disclaimer": "This pricing list is for informational purposes only.",
        "publicationDate": "2025-11-01T12:00:00Z",
        "regions": regions,
    }


def _product(sku: str, family: str, term: str, option: str, instance_family: str = "") -> dict:
    attrs = {
        "purchaseOption": OPTIONS[option],
        "granularity": "hourly",
        "locationType": "AWS Region",
        "purchaseTerm": term,
        "location": "Any",
    }
    if instance_family:
        attrs["instanceType"] = instance_family
    return {"sku": sku, "productFamily": family, "serviceCode": "ComputeSavingsPlans", "attributes": attrs}


def _rate(plan: str, sku: str, usage: str, price: str, service: str = "AmazonEC2", operation: str = "") -> dict:
    return {
        "discountedSku": sku,
        "discountedUsageType": usage,
        "discountedOperation": operation,
        "discountedServiceCode": service,
        "rateCode": f"{plan}.{sku}",
        "unit": "Hrs",
        "discountedRate": {"price": price, "currency": "USD"},
    }


def _traps(plan: str, sku: str, itype: str, prefix: str) -> list[dict]:
    """Rates a real plan lists beside an instance hour: an Unused reservation (same SKU!), a
    Fargate and a Lambda rate."""
    return [
        _rate(plan, sku, f"{prefix}UnusedBox:{itype}", "9.9990"),
        _rate(plan, "FARGATEVCPU00001", f"{prefix}Fargate-vCPU-Hours:perCPU", "0.0300", "AmazonECS"),
        _rate(plan, "LAMBDAGBSECOND01", f"{prefix}Lambda-GB-Second", "0.0000", "AWSLambda"),
    ]


def rates_file(region: str, offer: dict, version: str = SP1) -> dict:
    """The region's Savings Plans file for the products of `offer`: every product with a
    usage type gets a rate under every plan (the on-demand selection decides which count)."""
    prefix = USAGE_PREFIX.get(region, "")
    priced = []
    for sku, p in offer["products"].items():
        a = p["attributes"]
        if "instanceType" not in a or "usagetype" not in a or a.get("regionCode") != region:
            continue
        (term,) = offer["terms"]["OnDemand"][sku].values()
        (dimension,) = term["priceDimensions"].values()
        priced.append((sku, a["instanceType"], prefix + a["usagetype"], dimension["pricePerUnit"]["USD"]))
    families = sorted({itype.split(".")[0] for _, itype, _, _ in priced})
    products: list[dict] = []
    terms: list[dict] = []
    for (plan, term, option), _ in FACTORS.items():
        years = int(term[0])
        groups = [""] if plan == "compute" else families
        for family in groups:
            psku = plan_sku(plan, term, option, family)
            product_family = "ComputeSavingsPlans" if plan == "compute" else "EC2InstanceSavingsPlans"
            products.append(_product(psku, product_family, term, option, family))
            rates = []
            for sku, itype, usage, price in priced:
                if family and itype.split(".")[0] != family:
                    continue
                rates += _traps(psku, sku, itype, prefix)[:1]
                rates.append(_rate(psku, sku, usage, rate_price(price, plan, term, option)))
            rates += _traps(psku, "", "", prefix)[1:]
            terms.append(
                {
                    "sku": psku,
                    "description": f"{years} year {OPTIONS[option]} {plan} Savings Plan",
                    "effectiveDate": "2025-11-01T00:00:00Z",
                    "leaseContractLength": {"duration": years, "unit": "year"},
                    "rates": rates,
                }
            )
    return {
        "version": version,
        "publicationDate": "2025-11-01T12:00:00Z",
        "products": products,
        "terms": {"savingsPlan": terms},
    }


def with_windows_byol(offer: dict, region: str, itype: str = "m5.large", price: str = "0.0960000000") -> dict:
    """`offer` with a Windows BYOL product of `itype` (on-demand term included): the selection
    skips it, so its Savings Plans rates (which `rates_file` gives it) must not be joined."""
    sku = "WINBYOL000000001"
    p = offerdata.product(
        sku, itype, region, os="Windows", licenseModel="Bring your own license", operation="RunInstances:0800"
    )
    offer["products"][sku] = p
    offer["terms"]["OnDemand"][sku] = offerdata.on_demand(sku, price)
    return offer


def serve(server, regions: dict[str, tuple[str, dict]], *, index_etag: str | None = '"sp-1"') -> None:
    """Serve the service index, the Savings Plans region index and one rates file per region:
    {region: (Savings Plans version, that region's offer dict)}."""
    server.set(SERVICE_INDEX, offerdata.dump(service_index()))
    server.set(SP_INDEX, offerdata.dump(region_index({r: v for r, (v, _) in regions.items()})), etag=index_etag)
    for region, (version, offer) in regions.items():
        server.set(sp_path(region, version), offerdata.dump(rates_file(region, offer, version)))
