"""Issue 9, item 7 (the network half; the parser half is test_parser_bounds.py): every response
has a memory bound, counted after decompression.

Before, the index and API pages were held whole up to `max_download_mb` (6,000 MB), and a 1 MB
gzip body expanded to 3.6 GB of RSS. Now a document stops at `max_document_mb` (32 MB) of
decompressed bytes, a download at `max_download_mb`, and only one layer of gzip or deflate is
accepted. Each attack runs `pricesync` in a child capped at 400 MB of address space: against
the old code it dies of MemoryError instead of printing the bound.
"""

from __future__ import annotations

import json

import pytest

from tests.adversarial.conftest import Setup, error_line, route
from tests.conftest import INDEX, OFFER
from tests.fakes.priceserver import gzip_bomb, gzipped

MEM_MB = 400


def test_an_endless_index_stops_at_the_document_bound(aws, tmp_path):
    index = route(aws, INDEX)
    index.endless = b" " * 65536  # valid JSON whitespace after the index, forever
    line = error_line(Setup(tmp_path, aws).limited_cli("sync", "--force", mem_mb=MEM_MB))
    assert line.endswith(f"{aws.url}{INDEX} is larger than the 32 MB limit (decompressed)"), line


def test_a_gzip_bomb_index_stops_at_the_document_bound(aws, tmp_path):
    # 1 GB of whitespace after a valid index, about 1 MB on the wire
    index = route(aws, INDEX)
    index.body, index.headers = gzip_bomb(1000, prefix=index.body), {"Content-Encoding": "gzip"}
    assert len(index.body) < 2_000_000
    line = error_line(Setup(tmp_path, aws).limited_cli("sync", "--force", mem_mb=MEM_MB))
    assert line.endswith(f"{aws.url}{INDEX} is larger than the 32 MB limit (decompressed)"), line


def test_a_gzip_bomb_offer_stops_at_the_download_bound(aws, tmp_path):
    # the offer streams through the parser (whitespace costs it nothing), so the bound is the
    # decompressed size, not memory: max_download_mb = 50 here, 6,000 by default
    offer = route(aws, OFFER)
    between = offer.body[: offer.body.index(b'"terms"')]  # the products, then spaces where the terms would begin
    offer.body, offer.headers = gzip_bomb(200, prefix=between), {"Content-Encoding": "gzip"}
    setup = Setup(tmp_path, aws, max_download_mb=50)
    line = error_line(setup.limited_cli("sync", "--force", mem_mb=MEM_MB))
    assert line.endswith(f"{aws.url}{OFFER} is larger than the 50 MB limit (decompressed)"), line


def test_a_document_under_the_bound_is_read_whole(aws, tmp_path):
    index = route(aws, INDEX)
    index.body = index.body + b" " * 5_000_000
    p = Setup(tmp_path, aws).limited_cli("sync", "--force", mem_mb=MEM_MB)
    assert p.returncode == 0, p.stderr


def test_a_gzip_index_and_offer_are_read(aws, tmp_path):
    for path in (INDEX, OFFER):
        r = route(aws, path)
        r.body, r.headers = gzipped(r.body), {"Content-Encoding": "gzip"}
    p = Setup(tmp_path, aws).cli("sync", "--force", "--json")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["records"] == 6


@pytest.mark.parametrize("encoding", ["gzip, gzip", "gzip, deflate", "br", "compress"])
def test_stacked_or_unasked_encodings_are_refused(aws, tmp_path, encoding):
    # stacked layers multiply a bomb's ratio (1000 x 1000); others were never asked for
    route(aws, INDEX).headers = {"Content-Encoding": encoding}
    line = error_line(Setup(tmp_path, aws).cli("sync", "--force"))
    assert line.endswith(f"{aws.url}{INDEX} sent a Content-Encoding other than one layer of gzip or deflate"), line


def test_only_gzip_and_deflate_are_asked_for(aws, tmp_path):
    assert Setup(tmp_path, aws).cli("sync", "--force").returncode == 0
    assert {h.get("Accept-Encoding") for _, h in aws.requests} == {"gzip, deflate"}


def test_a_document_bound_is_configurable(aws, tmp_path):
    route(aws, INDEX).body += b" " * 2_000_000
    line = error_line(Setup(tmp_path, aws, max_document_mb=1).cli("sync", "--force"))
    assert line.endswith(f"{INDEX} is larger than the 1 MB limit (decompressed)"), line
