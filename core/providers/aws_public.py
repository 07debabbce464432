"""AWS Price List Bulk API: region index, then each wanted region's offer file, streamed.

No credentials. A region whose `currentVersionUrl` names the version the cache already
holds is not downloaded; when every wanted region is known, the index itself is fetched
conditionally (ETag / Last-Modified), so an unchanged sync costs one 304. Wanted Savings
Plans kinds are added to a region's records from its rates file (core.providers.aws_savings_plans),
whose version is kept beside the offer's.
"""

from __future__ import annotations

import logging
from urllib.parse import urljoin

from ..errors import Cancelled, SourceError
from ..formats import skipped_summary
from ..http import HttpSettings, NotModified, get_json, get_stream, make_client, redact_url
from ..models import as_object, as_text, is_region
from .aws_offer import parse_offer
from .aws_savings_plans import SavingsPlanFiles, SavingsPlansFetch
from .aws_urls import conditional, on_endpoint, validators, version_of
from .base import FetchRequest, FetchResult, RegionFetch, RegionVersion

log = logging.getLogger("pricesync.aws")

DEFAULT_ENDPOINT = "https://pricing.us-east-1.amazonaws.com"
INDEX_PATH = "/offers/v1.0/aws/AmazonEC2/current/region_index.json"


def check() -> str | None:
    """Nothing stops this source from syncing: it is public (no credentials) and its endpoint
    was checked with the config."""
    return None


class AwsPublicProvider:
    name = "aws"
    mode = "public"

    def __init__(self, endpoint: str = DEFAULT_ENDPOINT, http: HttpSettings | None = None) -> None:
        self.endpoint = endpoint.rstrip("/") + "/"
        self.http = http or HttpSettings()
        self.client = make_client(self.http)

    def close(self) -> None:
        self.client.close()

    def _index(
        self, request: FetchRequest, savings_plans: SavingsPlansFetch
    ) -> tuple[dict[str, str] | None, RegionVersion | None]:
        """Region -> currentVersionUrl, or None when a conditional request said 304."""
        url = urljoin(self.endpoint, INDEX_PATH.lstrip("/"))
        name = redact_url(url)
        all_known = request.regions is not None and all(
            r in request.known and savings_plans.unchanged(r) for r in request.regions
        )
        headers = conditional(request.index) if all_known else {}
        try:
            response, index = get_json(self.client, url, settings=self.http, headers=headers, cancel=request.cancel)
        except NotModified:
            return None, request.index
        index = as_object(index)
        regions = index.get("regions")
        if not isinstance(regions, dict) or not regions:
            raise SourceError(f"{name} is not an AWS region index (no 'regions')")
        urls: dict[str, str] = {}
        for code, item in regions.items():
            if is_region(code) and isinstance(item, dict) and isinstance(item.get("currentVersionUrl"), str):
                urls[code] = item["currentVersionUrl"]
        if len(urls) < len(regions):
            log.warning(
                "%s: %d region entries skipped (not a region code, or no currentVersionUrl)",
                name,
                len(regions) - len(urls),
            )
        v = validators(response.headers)
        return urls, RegionVersion(
            version=as_text(index.get("publicationDate")),
            etag=v.get("etag"),
            last_modified=v.get("last-modified"),
        )

    def fetch(self, request: FetchRequest) -> FetchResult:
        savings_plans = SavingsPlansFetch(SavingsPlanFiles(self.client, self.endpoint, self.http), request)
        urls, index_v = self._index(request, savings_plans)
        if urls is None:
            log.info("AWS region index unchanged (304); no offer file downloaded")
            unchanged = {r: RegionFetch(r, request.known[r], None) for r in request.regions or []}
            return FetchResult(unchanged, index_v, warnings=savings_plans.warnings)
        index_v = savings_plans.index_validators(index_v)
        wanted = request.regions if request.regions is not None else sorted(urls)
        unknown = [r for r in wanted if r not in urls]
        if unknown:
            raise SourceError(
                f"region {', '.join(unknown)} is not in the AWS price list index ({len(urls)} regions listed)"
            )
        result = FetchResult({}, index_v, warnings=savings_plans.warnings)
        for region in wanted:
            if request.cancel.is_set():
                raise Cancelled("sync cancelled")
            version = version_of(urls[region])
            known = request.known.get(region)
            if known is not None and known.version == version and savings_plans.unchanged(region):
                log.info("%s: price list version %s unchanged, skipped", region, version)
                result.regions[region] = RegionFetch(region, known, None)
                continue
            url = on_endpoint(self.endpoint, urls[region], "the AWS region index", f"an offer file for {region}")
            result.regions[region] = savings_plans.add(self._fetch_region(region, url, version, request))
        return result

    def _fetch_region(self, region: str, url: str, version: str, request: FetchRequest) -> RegionFetch:
        log.info("%s: downloading price list version %s", region, version)
        progress = request.progress
        count = [0]

        def on_bytes(n: int, total: int | None) -> None:
            if progress is not None:
                progress(region, n, total, count[0])

        def on_record(n: int) -> None:
            count[0] = n

        with get_stream(self.client, url, limits=self.http.download(), cancel=request.cancel, on_bytes=on_bytes) as (
            response,
            body,
        ):
            records, skipped = parse_offer(body.read, region, kinds=request.kinds, on_record=on_record)
            v = validators(response.headers)
            if progress is not None:
                progress(region, body.read_bytes, body.total, len(records))
        log.info(
            "%s: %d prices selected from %.1f MB%s (skipped: %s)",
            region,
            len(records),
            body.read_bytes / 1e6,
            f" of {body.total / 1e6:.1f} MB (read up to the last terms needed)"
            if body.total and body.read_bytes < body.total
            else "",
            skipped_summary(skipped),
        )
        return RegionFetch(
            region,
            RegionVersion(version=version, etag=v.get("etag"), last_modified=v.get("last-modified")),
            records,
            skipped=skipped,
            downloaded_bytes=body.read_bytes,
        )
