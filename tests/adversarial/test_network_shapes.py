"""Issue 9, item 11 (its server half): a response of the wrong shape is one plain SourceError.

Before, a valid JSON response with a wrong type somewhere (a list where an object belongs, a
number for a string) crashed a provider, and the run said `internal error: AttributeError(...)`
with whatever the exception quoted. Here every source's response handling is fuzzed: each node
of a real-shaped response (the top level and one item of each kind, all the way down) is
replaced, in turn, by each JSON value of another type, and the source must either go on or
fail with a SourceError, never anything else.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator
from decimal import Decimal

import pytest
from pricesync.core.errors import SourceError
from pricesync.core.http import HttpSettings
from pricesync.core.providers.aws_boto3 import AwsBoto3Provider
from pricesync.core.providers.aws_offer import parse_offer
from pricesync.core.providers.aws_public import AwsPublicProvider
from pricesync.core.providers.azure import AzureProvider
from pricesync.core.providers.base import FetchRequest
from pricesync.core.providers.gcp import GcpProvider

from tests.adversarial.conftest import serve_us_east_1
from tests.conftest import INDEX, OFFER, US_EAST_1, V1
from tests.fakes import azuredata as az
from tests.fakes import gcpdata as g
from tests.fakes import offerdata
from tests.fakes.priceserver import Route
from tests.fakes.pricingapi import CONTENT_TYPE, price_list_items

WRONG = [None, True, -1, Decimal("1e400"), "", "x", [], [1, "a"], {"a": [None]}]
HTTP = HttpSettings(retries=0, timeout_s=5)
KEY = "AIzaSyTEST-shape-key-0123456789abcdef"


def nodes(doc: object, path: tuple = ()) -> Iterator[tuple]:
    """The path of every node of `doc`, the root included."""
    yield path
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from nodes(v, (*path, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from nodes(v, (*path, i))


def mutations(doc: object, under: tuple = ()) -> Iterator[tuple[tuple, object, object]]:
    """(path, wrong value, document) for every node below `under` and every value of another
    type; the document is changed in place for the time of one case, then restored."""
    target = doc
    for step in under:
        target = target[step]
    for path in list(nodes(target, under)):
        parent = doc
        for step in path[:-1]:
            parent = parent[step]
        node = parent[path[-1]] if path else doc
        for wrong in WRONG:
            if type(wrong) is type(node):
                continue
            if not path:
                yield path, wrong, wrong
                continue
            parent[path[-1]] = wrong
            try:
                yield path, wrong, doc
            finally:
                parent[path[-1]] = node


def dump(doc: object) -> bytes:
    return az.dump(doc)  # JSON with Decimals as bare numbers


def survivors(cases: Iterator[tuple[tuple, object, object]], run) -> list[str]:
    """Run each case; return a line for every exception that is not a SourceError."""
    bad = []
    for path, wrong, mutated in cases:
        try:
            run(mutated)
        except SourceError:
            pass
        except Exception as exc:
            bad.append(f"{'.'.join(map(str, path)) or '<root>'} = {wrong!r}: {type(exc).__name__}: {exc}")
    return bad


def fetch(provider, regions) -> None:
    provider.fetch(FetchRequest(list(regions), {}))


# -- AWS Bulk API: the region index and the offer file --------------------------------------------------


def test_aws_index_of_any_shape(server):
    serve_us_east_1(server)
    base = json.loads(server.routes[INDEX].body)
    provider = AwsPublicProvider(server.url, HTTP)

    def run(doc):
        server.routes[INDEX] = Route(dump(doc))
        fetch(provider, ["us-east-1"])

    try:
        assert survivors(mutations(base), run) == []
    finally:
        provider.close()


# one instance type with its traps; Reserved terms are skipped unparsed, so one level of them is enough
OFFER_DOC = offerdata.region_offer("us-east-1", {("m5.large", "Linux"): US_EAST_1[("m5.large", "Linux")]}, version=V1)
FIRST_SKU = next(iter(OFFER_DOC["products"]))
OFFER_PARTS = [(), ("products", FIRST_SKU), ("terms", "OnDemand", FIRST_SKU)]


@pytest.mark.parametrize("under", OFFER_PARTS, ids=lambda p: ".".join(p[:2]) or "<top>")
def test_aws_offer_of_any_shape(under):
    def run(doc):
        data = dump(doc)
        parse_offer(io.BytesIO(data).read, "us-east-1")

    cases = (
        mutations(OFFER_DOC, under)
        if under
        else ((path, wrong, doc) for path, wrong, doc in mutations(OFFER_DOC) if len(path) <= 3)
    )
    assert survivors(cases, run) == []


def test_aws_offer_through_the_source(server):
    """One wrong shape end to end: the SKU it hits is skipped and counted, the others priced."""
    serve_us_east_1(server)
    doc = offerdata.region_offer("us-east-1", US_EAST_1, version=V1)
    sku = next(iter(doc["products"]))
    doc["terms"]["OnDemand"][sku] = {"T": {"priceDimensions": [1]}}
    server.routes[OFFER] = Route(dump(doc))
    provider = AwsPublicProvider(server.url, HTTP)
    try:
        region = provider.fetch(FetchRequest(["us-east-1"], {})).regions["us-east-1"]
    finally:
        provider.close()
    assert region.skipped["no_hourly_price"] == 1 and len(region.records) == len(US_EAST_1) - 1


# -- Azure Retail Prices -------------------------------------------------------------------------------


def test_azure_pages_of_any_shape(server):
    items = [az.item("Standard_D2s_v5", "eastus", "0.096"), az.item("Standard_D4s_v5", "eastus", "0.192")]
    base = json.loads(dump(az.page(items, None)), parse_float=Decimal)
    provider = AzureProvider(f"{server.url}{az.PATH}", HTTP)
    current = [base]
    server.responders[az.PATH] = lambda path, *_: Route(dump(current[0] if "$skip" not in path else az.page([], None)))

    def run(doc):
        current[0] = doc
        fetch(provider, ["eastus"])

    try:
        top = ((p, w, d) for p, w, d in mutations(base) if len(p) <= 1)
        assert survivors(top, run) == []
        assert survivors(mutations(base, ("Items", 0)), run) == []
        link = {**base, "NextPageLink": "http://[::1"}  # a link that does not parse
        assert survivors(iter([(("NextPageLink",), "http://[::1", link)]), run) == []
    finally:
        provider.close()


# -- GCP Cloud Billing Catalog ---------------------------------------------------------------------------


def test_gcp_pages_of_any_shape(server):
    skus = g.family_skus("n2d", g.AMERICAS, 27502000, 3686000)[:2]
    base = {"skus": skus, "nextPageToken": ""}
    provider = GcpProvider(f"{server.url}{g.PATH}", KEY, HTTP)
    current = [base]
    server.responders[g.PATH] = lambda *_: Route(dump(current[0]))

    def run(doc):
        current[0] = doc
        fetch(provider, [g.AMERICAS[1][0]])

    try:
        top = ((p, w, d) for p, w, d in mutations(base) if len(p) <= 1)
        assert survivors(top, run) == []
        assert survivors(mutations(base, ("skus", 0)), run) == []
    finally:
        provider.close()


# -- AWS Pricing API (boto3): its pages and their PriceList items ------------------------------------------


@pytest.fixture
def pricing_api(server, monkeypatch):
    for name in (
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_PRICING",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDTESTTESTTEST")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test-secret")
    provider = AwsBoto3Provider("", server.url, HTTP)
    yield provider
    provider.close()


def test_pricing_api_pages_of_any_shape(server, pricing_api):
    item = json.dumps(price_list_items(OFFER_DOC)[0])
    base = {"FormatVersion": "aws_v1", "PriceList": [item, item]}
    current = [base]
    server.responders["/"] = lambda *_: Route(dump(current[0]), content_type=CONTENT_TYPE)

    def run(doc):
        current[0] = doc
        fetch(pricing_api, ["us-east-1"])

    assert survivors(mutations(base), run) == []


def test_pricing_api_items_of_any_shape(server, pricing_api):
    item = price_list_items(OFFER_DOC)[0]
    current = [item]
    server.responders["/"] = lambda *_: Route(
        json.dumps({"FormatVersion": "aws_v1", "PriceList": [dump(current[0]).decode()]}).encode(),
        content_type=CONTENT_TYPE,
    )

    def run(doc):
        current[0] = doc
        fetch(pricing_api, ["us-east-1"])

    cases = ((p, w, d) for p, w, d in mutations(item) if len(p) <= 3)
    assert survivors(cases, run) == []
