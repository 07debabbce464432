"""Paged JSON listings (Azure Retail Prices, GCP Cloud Billing Catalog): fetch page after page
with core.http's retries and bounds, report bytes to the progress bar, stop on cancel, and
refuse a listing whose next page is one already fetched (a loop) or that goes on past
MAX_PAGES (a link or token that changes on every page would never end)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from decimal import Decimal

import httpx

from ..errors import Cancelled, SourceError
from ..http import HttpSettings, get_json, redact_url, response_shape
from ..models import JsonObject
from .base import FetchRequest

# Far above real listings: Azure's VM prices of one region are a few pages of 1,000 items,
# of every region a few hundred; GCP's Compute Engine SKUs are under ten pages of 5,000.
MAX_PAGES = 2000

# a page -> (url, params) of the next page, or None at the end
NextPage = Callable[[JsonObject], tuple[str, dict[str, str] | None] | None]


class _PageBytes:
    """Bytes downloaded over every page so far, reported with the records selected so far."""

    def __init__(self, request: FetchRequest, label: str, count: Callable[[], int]) -> None:
        self.request, self.label, self.count = request, label, count
        self.done = self.page = 0

    def on_bytes(self, n: int, total: int | None) -> None:
        self.page = n
        if self.request.progress is not None:
            self.request.progress(self.label, self.done + n, None, self.count())

    def page_done(self) -> None:
        self.done, self.page = self.done + self.page, 0


def iter_pages(
    client: httpx.Client,
    http: HttpSettings,
    url: str,
    params: dict[str, str] | None,
    request: FetchRequest,
    *,
    next_page: NextPage,
    label: str,
    count: Callable[[], int],
    headers: dict[str, str] | None = None,
) -> Iterator[JsonObject]:
    """Each page as a JSON object, JSON numbers parsed as Decimal (prices stay exact).

    `label` and `count()` (records selected so far) go to `request.progress` with the bytes
    downloaded over all pages.
    """
    progress = _PageBytes(request, label, count)
    listing = redact_url(url)
    seen: set[bytes] = set()
    while True:
        if request.cancel.is_set():
            raise Cancelled("sync cancelled")
        key = hashlib.sha256(repr((url, sorted((params or {}).items()))).encode()).digest()  # a link can be long
        if key in seen:
            raise SourceError(f"paging loops: the next page of {listing} is one already fetched")
        if len(seen) == MAX_PAGES:
            raise SourceError(f"{listing} has more than {MAX_PAGES} pages; stopped (a listing that never ends?)")
        seen.add(key)
        _, page = get_json(
            client,
            url,
            settings=http,
            params=params,
            headers=headers,
            cancel=request.cancel,
            on_bytes=progress.on_bytes,
            parse_float=Decimal,
        )
        progress.page_done()
        if not isinstance(page, dict):
            raise SourceError(f"page {len(seen)} of {listing} is not a JSON object")
        yield page
        with response_shape(f"page {len(seen)} of {listing}"):
            following = next_page(page)
        if following is None:
            return
        url, params = following
