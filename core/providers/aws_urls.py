"""The AWS price list's URLs and validators: a path an index names, taken on the configured
endpoint; the version a path carries; the ETag / Last-Modified of a response and the
conditional headers that send them back. Shared by the offer files and the Savings Plans files."""

from __future__ import annotations

from urllib.parse import urljoin

import httpx

from ..errors import SourceError
from ..http import origin, redact_url
from .base import RegionVersion


def validators(headers: httpx.Headers) -> dict[str, str]:
    return {k: headers[k] for k in ("etag", "last-modified") if k in headers}


def conditional(v: RegionVersion | None) -> dict[str, str]:
    headers: dict[str, str] = {}
    if v and v.etag:
        headers["If-None-Match"] = v.etag
    if v and v.last_modified:
        headers["If-Modified-Since"] = v.last_modified
    return headers


def on_endpoint(endpoint: str, url: str, named_by: str, what: str) -> str:
    """A URL an index names: a path (taken relative to the configured endpoint, so a mirror
    under a path prefix works) or a URL on the endpoint's own origin. Anything else is refused:
    the index is untrusted, and a URL naming another origin could send the download anywhere
    (an instance-metadata address, say). `named_by` and `what` name both in the message."""
    try:
        target = httpx.URL(url)
        if target.host:  # absolute, or scheme-relative (`//host/...`)
            resolved = httpx.URL(endpoint).join(target)
            if origin(resolved) != origin(httpx.URL(endpoint)):
                raise SourceError(f"{named_by} names {what} on another origin ({redact_url(resolved)}); refused")
            return str(resolved)
        if target.scheme:
            raise httpx.InvalidURL("a scheme without a host")
    except httpx.InvalidURL:
        raise SourceError(f"{named_by} names an invalid URL for {what}") from None
    return urljoin(endpoint, url.lstrip("/"))


def version_of(url: str) -> str:
    """`/offers/v1.0/aws/AmazonEC2/20250523232744/us-east-1/index.json` (or a Savings Plans
    `/savingsPlan/v1.0/aws/AWSComputeSavingsPlan/20250911184447/us-east-1/index.json`) ->
    the version, `20250523232744`."""
    parts = url.strip("/").split("/")
    return parts[-3] if len(parts) >= 3 else url
