"""The AWS Price List Query API's JSON protocol, served by tests.fakes.priceserver for boto3.

botocore POSTs `/` with `X-Amz-Target: AWSPriceListService.GetProducts` (or
`.GetAttributeValues`) and a JSON body (`ServiceCode`, `Filters`, `MaxResults`, `NextToken`);
the answer is `{"FormatVersion": "aws_v1", "PriceList": [<one JSON string per product>],
"NextToken": ...}` as in ../shared/realdata (fixinventory, amazon-ec2-instance-selector).
TERM_MATCH (and CONTAINS) filters are applied to the product's attributes (and `productFamily`), as the
real API does; everything else about selection is left to the client.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from tests.fakes.priceserver import PriceServer, Route

CONTENT_TYPE = "application/x-amz-json-1.1"
THROTTLED = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}).encode()


def price_list_items(offer: dict) -> list[dict]:
    """An offer file (tests.fakes.offerdata.region_offer) as GetProducts items: one per product,
    with its own terms, the offer's version and publication date."""
    items = []
    for sku, product in offer["products"].items():
        items.append(
            {
                "product": product,
                "serviceCode": "AmazonEC2",
                "terms": {
                    kind: offer["terms"][kind][sku] for kind in ("OnDemand", "Reserved") if sku in offer["terms"][kind]
                },
                "version": offer["version"],
                "publicationDate": offer["publicationDate"],
            }
        )
    return items


def matches(item: dict, filters: list[dict]) -> bool:
    product = item["product"]
    for f in filters:
        value = product.get(f["Field"]) if f["Field"] == "productFamily" else product["attributes"].get(f["Field"])
        if f["Type"] == "TERM_MATCH" and value == f["Value"]:
            continue
        if f["Type"] == "CONTAINS" and isinstance(value, str) and f["Value"] in value:
            continue
        return False
    return True


@dataclass
class PricingApi:
    """State of the fake API: its items, page size and scripted faults."""

    items: list[dict]
    page_size: int = 3
    throttle: list[int] = field(default_factory=list)  # statuses of the next answers (400 or 429), then normal
    fail_at_call: int | None = None  # this GetProducts call (1-based) and every later one answers 500
    calls: list[dict] = field(default_factory=list)  # request bodies, in order

    def get_products(self, body: dict) -> Route:
        if self.fail_at_call is not None and len(self.calls) >= self.fail_at_call:
            return Route(
                json.dumps({"__type": "InternalErrorException", "message": "internal failure"}).encode(),
                status=500,
                content_type=CONTENT_TYPE,
            )
        selected = [i for i in self.items if matches(i, body.get("Filters", []))]
        start = int(body.get("NextToken") or 0)
        size = min(self.page_size, int(body.get("MaxResults") or 100))
        answer = {
            "FormatVersion": "aws_v1",
            "PriceList": [json.dumps(i, separators=(",", ":")) for i in selected[start : start + size]],
        }
        if start + size < len(selected):
            answer["NextToken"] = str(start + size)
        return Route(json.dumps(answer).encode(), content_type=CONTENT_TYPE)

    def get_attribute_values(self, body: dict) -> Route:
        values = sorted({i["product"]["attributes"].get(body["AttributeName"]) for i in self.items} - {None})
        return Route(
            json.dumps({"AttributeValues": [{"Value": v} for v in values]}).encode(), content_type=CONTENT_TYPE
        )

    def respond(self, path: str, headers: dict, body: bytes) -> Route | None:
        target = {k.lower(): v for k, v in headers.items()}.get("x-amz-target", "")
        request = json.loads(body or b"{}")
        if self.throttle:
            status = self.throttle.pop(0)
            return Route(THROTTLED if status == 400 else b"", status=status, content_type=CONTENT_TYPE)
        if target == "AWSPriceListService.GetProducts":
            self.calls.append(request)
            return self.get_products(request)
        if target == "AWSPriceListService.GetAttributeValues":
            return self.get_attribute_values(request)
        return Route(
            json.dumps({"__type": "UnknownOperationException"}).encode(), status=400, content_type=CONTENT_TYPE
        )


def serve_pricing_api(server: PriceServer, items: list[dict], **opts) -> PricingApi:
    api = PricingApi(items, **opts)
    server.responders["/"] = api.respond
    return api
