"""Issue 9, item 8 (and 15's redirect message): redirects and URLs stay on the configured origin.

Before, the AWS source followed redirects to any host and took absolute `currentVersionUrl`s
from the index (a stand-in for the instance-metadata address was reached), the GCP source
forwarded `X-Goog-Api-Key` to whatever host a redirect named, and an Azure link or GCP token
that changed on every page ran forever. Each "other origin" here is a second real server on
another port of 127.0.0.1 that records every request it gets: it must get none.
"""

from __future__ import annotations

import json
import os

import pytest
from pricesync.core.config import load_settings
from pricesync.core.errors import SourceError
from pricesync.core.http import HttpSettings
from pricesync.core.providers import paging
from pricesync.core.providers.aws_boto3 import AwsBoto3Provider
from pricesync.core.providers.base import FetchRequest
from pricesync.core.sources import make_provider

from tests.adversarial.conftest import Setup, error_line, route
from tests.conftest import INDEX, OFFER, V1
from tests.fakes import azuredata as az
from tests.fakes import gcpdata as g
from tests.fakes import offerdata
from tests.fakes.priceserver import Route, Running

KEY = "AIzaSyTEST-origin-key-0123456789abcd"


@pytest.fixture
def elsewhere():
    """Another origin (same host, another port): a stand-in for another host or 169.254.169.254."""
    running = Running()
    running.state.set("/latest/meta-data/iam/security-credentials/", b'{"AccessKeyId": "stolen"}')
    yield running.state
    running.stop()


def redirect(to: str, status: int = 302) -> Route:
    return Route(b"", status=status, headers={"Location": to})


# -- redirects ------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_to_another_origin_is_not_followed(aws, elsewhere, tmp_path, status):
    target = f"{elsewhere.url}/latest/meta-data/iam/security-credentials/"
    aws.routes[INDEX] = redirect(target, status)
    line = error_line(Setup(tmp_path, aws).cli("sync", "--force"))
    assert line.endswith(f"{aws.url}{INDEX} redirects to {target}, another origin: not followed"), line
    assert elsewhere.requests == []


def test_a_redirect_within_the_origin_is_followed(aws, tmp_path):
    aws.set("/moved/region_index.json", route(aws, INDEX).body)
    aws.routes[INDEX] = redirect("/moved/region_index.json", 301)
    p = Setup(tmp_path, aws).cli("sync", "--force")
    assert p.returncode == 0, p.stderr
    assert aws.hits("/moved/region_index.json") == 1


def test_a_redirect_to_another_scheme_on_the_same_host_is_not_followed(aws, tmp_path):
    port = aws.url.rsplit(":", 1)[1]
    aws.routes[INDEX] = redirect(f"https://127.0.0.1:{port}/x")
    line = error_line(Setup(tmp_path, aws).cli("sync", "--force"))
    assert line.endswith(f"redirects to https://127.0.0.1:{port}/x, another origin: not followed"), line


def test_a_redirect_loop_names_the_url(aws, tmp_path):
    aws.routes[INDEX] = redirect(INDEX)
    line = error_line(Setup(tmp_path, aws).cli("sync", "--force"))
    assert line.endswith(f"{aws.url}{INDEX} redirects more than 5 times"), line
    assert aws.hits(INDEX) == 6


def test_a_failed_redirect_names_the_url_that_failed(aws, tmp_path):
    aws.routes[INDEX] = redirect("/gone/region_index.json")
    line = error_line(Setup(tmp_path, aws).cli("sync", "--force"))
    assert line.endswith(
        f"HTTP 404 Not Found from {aws.url}/gone/region_index.json (redirected from {aws.url}{INDEX})"
    ), line


def test_an_offer_redirect_to_another_origin_is_not_followed(aws, elsewhere, tmp_path):
    aws.routes[OFFER] = redirect(f"{elsewhere.url}/offer.json")
    line = error_line(Setup(tmp_path, aws).cli("sync", "--force"))
    assert line.endswith(f"{aws.url}{OFFER} redirects to {elsewhere.url}/offer.json, another origin: not followed")
    assert elsewhere.requests == []


# -- the AWS index's currentVersionUrl -------------------------------------------------------------


def serve_index(server, current_version_url: str) -> None:
    index = offerdata.region_index({"us-east-1": V1})
    index["regions"]["us-east-1"]["currentVersionUrl"] = current_version_url
    server.set(INDEX, offerdata.dump(index))


@pytest.mark.parametrize(
    "form", ["{other}/latest/meta-data/iam/security-credentials/", "//127.0.0.1:{port}/latest/meta-data/"]
)
def test_an_offer_url_on_another_origin_is_refused(aws, elsewhere, tmp_path, form):
    url = form.format(other=elsewhere.url, port=elsewhere.url.rsplit(":", 1)[1])
    serve_index(aws, url)
    line = error_line(Setup(tmp_path, aws).cli("sync", "--force"))
    assert "the AWS region index names an offer file for us-east-1 on another origin" in line, line
    assert line.endswith("; refused"), line
    assert elsewhere.requests == []


def test_an_offer_url_on_the_same_origin_is_taken(aws, tmp_path):
    serve_index(aws, f"{aws.url}{OFFER}")
    p = Setup(tmp_path, aws).cli("sync", "--force")
    assert p.returncode == 0, p.stderr
    assert aws.hits(OFFER) == 1


def test_an_offer_path_stays_under_a_mirror_prefix(aws, tmp_path):
    """A path is taken relative to the configured endpoint, as before."""
    for path in (INDEX, OFFER):
        aws.routes["/mirror" + path] = aws.routes.pop(path)
    setup = Setup(tmp_path, aws)
    p = setup.cli("sync", "--force", "--endpoint", f"{aws.url}/mirror/")
    assert p.returncode == 0, p.stderr
    assert aws.hits("/mirror" + OFFER) == 1


# -- GCP: the key never leaves the configured origin -------------------------------------------------


@pytest.fixture
def gcp_setup(tmp_path, server, monkeypatch):
    monkeypatch.delenv("PRICESYNC_GCP_API_KEY", raising=False)
    routes = g.serve_gcp(server, g.catalog_skus(g.AMERICAS), key=KEY, page_size=5)
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'[gcp]\nenabled = true\nregions = ["us-east1"]\nendpoint = "{server.url}{g.PATH}"\n'
        f'api_key = "{KEY}"\n[http]\nretries = 1\nbackoff_s = 0.01\ntimeout_s = 5\n'
    )
    return load_settings(cfg, tmp_path / "data"), routes


def fetch(settings, provider: str, regions=("us-east1",)):
    source = make_provider(settings, provider)
    try:
        return source.fetch(FetchRequest(list(regions), {}))
    finally:
        source.close()


@pytest.mark.parametrize("page", [0, 1])
def test_the_gcp_key_is_never_sent_to_another_origin(gcp_setup, server, elsewhere, page):
    settings, routes = gcp_setup
    target = f"{elsewhere.url}{g.PATH}?pageToken=stolen"
    routes[page].status, routes[page].headers = 307, {"Location": target}
    with pytest.raises(SourceError, match=r"redirects to .*, another origin: not followed$") as err:
        fetch(settings, "gcp")
    assert elsewhere.requests == []
    assert KEY not in str(err.value)
    assert all(h.get("X-Goog-Api-Key") == KEY for _, h in server.requests)  # only ever to its own origin


# -- paging that never ends -----------------------------------------------------------------------------


def test_an_azure_link_that_changes_on_every_page_stops_at_the_page_limit(server, tmp_path, monkeypatch):
    monkeypatch.setattr(paging, "MAX_PAGES", 40)
    pages = iter(range(10**6))
    server.responders[az.PATH] = lambda *_: Route(
        az.dump(az.page([az.item("Standard_D2s_v5", "eastus", "0.096")], az.next_link("eastus", 1000 * next(pages))))
    )
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[azure]\nenabled = true\nregions = ["eastus"]\nendpoint = "{server.url}{az.PATH}"\n')
    with pytest.raises(SourceError, match=rf"^{server.url}{az.PATH} has more than 40 pages; stopped"):
        fetch(load_settings(cfg, tmp_path / "data"), "azure", ["eastus"])
    assert len(server.requests) == 40


def test_a_gcp_token_that_changes_on_every_page_stops_at_the_page_limit(gcp_setup, server, monkeypatch):
    monkeypatch.setattr(paging, "MAX_PAGES", 40)
    settings, _ = gcp_setup
    tokens = iter(range(10**6))
    server.responders[g.PATH] = lambda *_: Route(json.dumps({"skus": [], "nextPageToken": f"t{next(tokens)}"}).encode())
    with pytest.raises(SourceError, match=rf"^{server.url}{g.PATH} has more than 40 pages; stopped"):
        fetch(settings, "gcp")
    assert len(server.requests) == 40


def test_a_pricing_api_token_that_changes_on_every_page_stops_at_the_page_limit(server, monkeypatch):
    monkeypatch.setattr(paging, "MAX_PAGES", 10)
    for name, value in {
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ACCESS_KEY_ID": "AKIDTEST",
        "AWS_SECRET_ACCESS_KEY": "test",
    }.items():
        monkeypatch.setenv(name, value)
    tokens = iter(range(10**6))
    server.responders["/"] = lambda *_: Route(
        json.dumps({"FormatVersion": "aws_v1", "PriceList": [], "NextToken": f"t{next(tokens)}"}).encode()
    )
    provider = AwsBoto3Provider("", server.url, HttpSettings(retries=0))
    try:
        with pytest.raises(
            SourceError,
            match=r"^the AWS Pricing API has more than 10 pages of Linux products for "
            r"us-east-1; stopped",
        ):
            provider.fetch(FetchRequest(["us-east-1"], {}))
    finally:
        provider.close()
    assert len(server.requests) == 11


def test_the_page_limit_is_far_above_real_listings():
    # Azure: ~1,000 items a page, a region's VM prices a few thousand items, all regions a few
    # hundred pages; GCP: 5,000 SKUs a page, Compute Engine under ten pages
    assert paging.MAX_PAGES == 2000
