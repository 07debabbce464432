"""AWS Price List Query API (`pricing:GetProducts`) through boto3, with the standard credential
chain (environment, shared files, SSO, instance role) and an optional named profile.

For each region and OS, `get_products` is paged with TERM_MATCH filters that narrow the
products to the public source's selection; every item still goes through the same
`select_product` / `select_on_demand_price` as the Bulk API file (the $0 Capacity Block
twin passes all of these filters), so both sources select the same records from the same data.
PriceList items arrive as JSON strings and are parsed one by one as the pages come.

botocore's own HTTP has no total deadline and no size bound (its read timeout restarts with
every chunk), so every request it signs is sent through core.http instead (a `before-send`
handler): the same deadline, decompressed-size bound, same-origin redirects and redacted
messages as every other source. botocore keeps its retries and error parsing.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import re
from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING

import boto3
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, ProfileNotFound

from ..errors import Cancelled, ConfigError, SourceError
from ..formats import skipped_summary
from ..http import HttpSettings, bounded, make_client, plain, redact_url, response_shape
from ..models import as_object, as_text
from . import paging
from .aws_offer import OPERATING_SYSTEMS, RecordSet, make_record, select_on_demand_price, select_product
from .base import FetchRequest, FetchResult, RegionFetch, RegionVersion

if TYPE_CHECKING:
    from mypy_boto3_pricing.type_defs import FilterTypeDef  # boto3-stubs[pricing], in the lint extra

log = logging.getLogger("pricesync.aws")

PRICING_REGION = "us-east-1"  # the Pricing API's own endpoint region
NO_CREDENTIALS = (
    "no AWS credentials found for the Pricing API (--boto3): configure them (environment, "
    "~/.aws files, SSO, instance role) or use --public, which needs none"
)
# real region codes only: `us-east-1`, `us-gov-west-1`; not Local Zones (`us-east-1-bos-1`)
_REGION_RE = re.compile(r"^[a-z]+(?:-[a-z]+)+-\d+$")
# No productFamily filter: TERM_MATCH takes one value, and instances come in two families
# ("Compute Instance" and "Compute Instance (bare metal)"). An operating system, Shared
# tenancy and capacity status Used already narrow the products to instances; select_product
# checks the family of each.
_SHARED_FILTERS = {
    "tenancy": "Shared",
    "preInstalledSw": "NA",
    "capacitystatus": "Used",
    "licenseModel": "No License required",
}


def product_filters(region: str, operating_system: str) -> list[FilterTypeDef]:
    """TERM_MATCH on the selection's attributes, and productFamily CONTAINS "Compute Instance":
    one TERM_MATCH value could not take both "Compute Instance" and "Compute Instance (bare
    metal)"."""
    fields = {"regionCode": region, "operatingSystem": operating_system, **_SHARED_FILTERS}
    filters: list[FilterTypeDef] = [{"Type": "TERM_MATCH", "Field": k, "Value": v} for k, v in fields.items()]
    filters.append({"Type": "CONTAINS", "Field": "productFamily", "Value": "Compute Instance"})
    return filters


@contextlib.contextmanager
def api_errors(endpoint_url: str | None) -> Iterator[None]:
    """botocore's exceptions -> one-line SourceErrors, the endpoint's user info redacted and
    the server's words kept to one plain line."""
    try:
        yield
    except NoCredentialsError:
        raise SourceError(NO_CREDENTIALS) from None
    except ClientError as exc:
        err = exc.response.get("Error", {})
        raise SourceError(
            f"AWS Pricing API: {plain(err.get('Code', 'error'), 60)}: {plain(err.get('Message', ''))}"
        ) from None
    except BotoCoreError as exc:
        text = str(exc).replace(endpoint_url, redact_url(endpoint_url)) if endpoint_url else str(exc)
        raise SourceError(f"AWS Pricing API: {plain(text)}") from None


class _Raw:
    """The body of a response already read (and bounded) by core.http, as botocore reads it."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: object) -> Iterator[bytes]:
        yield self.data


def _body(request: AWSPreparedRequest) -> bytes:
    """The signed request's body as bytes (botocore may hold a file object, or a str)."""
    body = request.body
    if body is not None and not isinstance(body, (str, bytes, bytearray)):
        body = body.read()
    return body.encode() if isinstance(body, str) else bytes(body or b"")


class _Sender:
    """The `before-send` handler: send botocore's signed request through core.http."""

    def __init__(self, http: HttpSettings) -> None:
        self.http = http
        self.client = make_client(dataclasses.replace(http, retries=0))  # botocore retries

    def __call__(self, request: AWSPreparedRequest, **_: object) -> AWSResponse:
        with bounded(
            self.client,
            request.method,
            request.url,
            limits=self.http.document(),
            headers=dict(request.headers.items()),
            content=_body(request),
        ) as (response, received):
            data = received.whole()
        headers = dict(response.headers.items())
        # botocore-stubs want an HTTPHeaders; AWSResponse takes any mapping (it copies it into a HeadersDict)
        return AWSResponse(request.url, response.status_code, headers, _Raw(data))  # type: ignore[arg-type]


def _session(profile: str) -> boto3.Session:
    try:
        return boto3.Session(profile_name=profile or None)
    except ProfileNotFound:
        raise ConfigError(f"AWS profile {profile!r} (aws.profile) is not in the AWS config files") from None


def check(profile: str) -> str | None:
    """Why the Pricing API cannot be asked with this profile, or None. Reads the AWS config files,
    builds no client: credentials themselves are only looked for at sync time."""
    try:
        _session(profile)
    except ConfigError as exc:
        return str(exc)
    return None


class AwsBoto3Provider:
    name = "aws"
    mode = "boto3"

    def __init__(self, profile: str = "", endpoint_url: str | None = None, http: HttpSettings | None = None) -> None:
        http = http or HttpSettings()
        self.endpoint_url = endpoint_url or None
        session = _session(profile)
        self._sender = _Sender(http)
        try:
            self.client = session.client(
                "pricing",
                region_name=PRICING_REGION,
                endpoint_url=endpoint_url or None,
                verify=http.verify_tls,
                # timeouts and sizes are core.http's (see _Sender); botocore keeps its retries
                config=Config(
                    retries={"max_attempts": http.retries + 1, "mode": "standard"}, user_agent_extra="pricesync"
                ),
            )
        except ValueError:  # botocore's message quotes the URL whole
            raise ConfigError(f"the AWS Pricing API endpoint {redact_url(endpoint_url)} is not a valid URL") from None
        # botocore-stubs type a handler as returning None; a before-send handler's response is what botocore uses
        self.client.meta.events.register("before-send.pricing", self._sender)  # type: ignore[arg-type]

    def close(self) -> None:
        self.client.close()
        self._sender.client.close()

    def fetch(self, request: FetchRequest) -> FetchResult:
        with api_errors(self.endpoint_url):
            regions = request.regions if request.regions is not None else self._all_regions()
            return FetchResult({region: self._region(region, request) for region in regions})

    def _all_regions(self) -> list[str]:
        codes: set[str] = set()
        with response_shape("the AWS Pricing API's region list"):
            for page in self.client.get_paginator("get_attribute_values").paginate(
                ServiceCode="AmazonEC2", AttributeName="regionCode"
            ):
                codes.update(v.get("Value", "") for v in page.get("AttributeValues", []))
            return sorted(c for c in codes if isinstance(c, str) and _REGION_RE.match(c))

    def _region(self, region: str, request: FetchRequest) -> RegionFetch:
        log.info("%s: querying the AWS Pricing API", region)
        skipped: Counter[str] = Counter()
        records = RecordSet(skipped, None)
        items = received = 0
        versions: set[tuple[str, str]] = set()
        with response_shape(f"the AWS Pricing API's answer for {region}"):  # botocore's parser crashes too
            for os_name in OPERATING_SYSTEMS:
                pages = self.client.get_paginator("get_products").paginate(
                    ServiceCode="AmazonEC2",
                    Filters=product_filters(region, os_name),
                    FormatVersion="aws_v1",
                    PaginationConfig={"PageSize": 100},
                )
                for n, page in enumerate(pages, 1):
                    if request.cancel.is_set():
                        raise Cancelled("sync cancelled")
                    if n > paging.MAX_PAGES:
                        raise SourceError(
                            f"the AWS Pricing API has more than {paging.MAX_PAGES} pages of {os_name} "
                            f"products for {region}; stopped (a listing that never ends?)"
                        )
                    for text in page.get("PriceList", []):
                        items += 1
                        received += len(text)
                        self._take(text, region, records, skipped, versions)
                    if request.progress is not None:
                        request.progress(region, received, None, len(records.by_key))
        if not items:
            raise SourceError(f"the AWS Pricing API has no EC2 products for region {region!r}")
        version, published = max(versions) if versions else (None, "")
        log.info(
            "%s: %d prices selected from %d products (skipped: %s)",
            region,
            len(records.by_key),
            items,
            skipped_summary(skipped),
        )
        return RegionFetch(
            region,
            RegionVersion(version=version),
            list(records.by_key.values()),
            publication_date=published or None,
            skipped=skipped,
        )

    @staticmethod
    def _take(
        text: str, region: str, records: RecordSet, skipped: Counter[str], versions: set[tuple[str, str]]
    ) -> None:
        """One PriceList item (a JSON string: product, terms, version) into `records`."""
        try:
            item = json.loads(text)
        except (ValueError, TypeError, RecursionError):
            skipped["bad_item"] += 1
            return
        if not isinstance(item, dict):
            skipped["bad_item"] += 1
            return
        product, reason = select_product(as_object(item.get("product")), region)
        if product is None:
            skipped[reason] += 1
            return
        on_demand = as_object(item.get("terms")).get("OnDemand")
        if on_demand is None:
            skipped["no_on_demand_term"] += 1
            return
        price, reason = select_on_demand_price(on_demand)
        if price is None:
            skipped[reason] += 1
            return
        sku = as_text(as_object(item.get("product")).get("sku"))
        records.add(make_record(product, region, *price, sku=sku))
        if isinstance(item.get("version"), str):
            versions.add((item["version"], str(item.get("publicationDate") or "")))
