"""Item 10: source strings are neutralised before any output sees them (core.textsafe), and
identifiers outside a conservative character set are skipped at parse time, counted.

Hostile strings come from the real 127.0.0.1 server (offer files, a version in the region
index, an HTTP reason phrase), from files written by hand, and from the history; they are
looked for in what the real `pricesync` commands print, in sync.log, in the dashboard's
rendered screen, in a CSV export and in a Slack message."""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import pty
import struct
import subprocess
import termios
import threading
import unicodedata
from fcntl import ioctl
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from pricesync.core.config import load_settings
from pricesync.core.history import HistoryStore
from pricesync.core.logs import setup_logging
from pricesync.core.models import Catalog, CatalogEntry, SourceInfo, SyncResult, is_instance_type, is_region
from pricesync.core.notify import Webhook, render, sample_payload
from pricesync.core.providers.base import FetchRequest
from pricesync.core.sources import make_provider
from pricesync.core.state import update_provider_state
from pricesync.core.textsafe import csv_cell, markup, slack, terminal
from pricesync.tui.app import PriceSyncApp
from pricesync.tui.cells import column_layout
from pricesync.tui.export import export_bytes
from pricesync.tui.rows import build_rows
from pricesync.tui.screens import ChangesScreen
from pricesync.tui.widgets.catalog_table import CatalogTable
from rich.markup import render as rich_render
from textual.app import App, ComposeResult
from textual.content import Content

from tests.conftest import CLI, US_EAST_1, cli_env, read_terminal
from tests.fakes import azuredata as az
from tests.fakes import gcpdata as g
from tests.fakes import offerdata
from tests.tui.conftest import screen_text, wait_for

TITLE = "\x1b]0;pwned\x07"  # retitles the terminal window
CLEAR = "\x1b[2J"  # clears the screen
CSI = "\x9b2J"  # the same, as a C1 control
FAKE_LINE = "\r\nm5.large us-east-1 linux: 0.0960 -> 0.0001"
BIDI = "\u202e"  # right-to-left override: "exe.gnp" reads "png.exe"
LINK = "[link=https://evil.example]click[/link]"
HOSTILE = [TITLE, CLEAR, CSI, FAKE_LINE, BIDI, "\u2066", "\u200b", "\x7f", "\x00", "\u2028", "\ud800"]


def unsafe(text: str) -> set[str]:
    """Characters a terminal would act on or that hide what is shown (newlines allowed)."""
    return {ch for ch in text if ch != "\n" and not (ch.isprintable() or unicodedata.category(ch) == "Zs")}


# -- the functions themselves ---------------------------------------------------------------------


@pytest.mark.parametrize("hostile", HOSTILE)
def test_terminal_leaves_nothing_a_terminal_would_act_on(hostile):
    shown = terminal(f"m5{hostile}large")
    assert not unsafe(shown) and "\n" not in shown and shown.startswith("m5\\") and shown.endswith("large")


def test_terminal_keeps_letters_and_spaces():
    for text in ("Standard_D2s_v5", "Zürich Nord", "東京リージョン", "a\u00a0b", "n2d-standard-8 (€)"):
        assert terminal(text) == text
    assert (
        terminal(TITLE) == "\\x1b]0;pwned\\x07"
        and terminal(BIDI) == "\\u202e"
        and terminal("\U000e0001") == "\\U000e0001"
    )


@pytest.mark.parametrize(
    "text",
    [
        LINK,
        "[b]bold[/b]",
        "[@click=app.quit]x[/]",
        "[#ff0000]red",
        "a\\[b]c",
        "trailing\\",
        "\\\\[i]x",
        f"{LINK}{TITLE}",
        "[1] list index",
        "Standard_D2s_v5",
    ],
)
def test_markup_is_shown_literally_by_rich_and_never_styles_in_textual(text):
    assert rich_render(markup(text)).plain == terminal(text)
    assert not rich_render(markup(text)).spans
    assert not Content.from_markup(markup(text)).spans  # the dashboard never parses source strings anyway


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("https://evil.example","x")', '\'=HYPERLINK("https://evil.example","x")'),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "\\x09=1"),
        ("\r=1", "\\x0d=1"),
        ("-1.5", "-1.5"),
        ("0.0960000000", "0.0960000000"),
        ("m5.large", "m5.large"),
        (None, ""),
        (8.0, "8.0"),
    ],
)
def test_csv_cells_never_start_a_formula(value, cell):
    assert csv_cell(value) == cell


def test_slack_text_has_no_links_or_mentions():
    assert (
        slack("<!channel> & <https://evil.example|click>")
        == "&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;"
    )
    assert slack(f"v{TITLE}") == "v\\x1b]0;pwned\\x07"
    payload = sample_payload() | {"source_version": "<!here>", "regions": ["<@U123>"]}
    payload["changes"] = [dict(payload["changes"][0], instance_type=f"m5.large{FAKE_LINE}<https://evil.example|x>")]
    text = json.loads(render(Webhook("https://hooks.example/x", format="slack"), payload, 0))["text"]
    assert "<" not in text and ">" not in text.replace("-&gt;", "") and not unsafe(text)
    assert "&lt;!here&gt;" in text and text.count("\n") == 1  # the header, then one line of changes


def test_sync_log_lines_are_neutralised(tmp_path):
    logger = setup_logging(tmp_path)
    try:
        logger.warning("offer says %s", f"m5{TITLE}{FAKE_LINE}")
        try:
            raise ValueError(f"bad version {CLEAR}{BIDI}")
        except ValueError:
            logger.exception("sync failed")
    finally:
        for h in [h for h in logger.handlers if getattr(h, "baseFilename", "").startswith(str(tmp_path))]:
            logger.removeHandler(h)
            h.close()
    text = (tmp_path / "sync.log").read_text()
    assert not unsafe(text)
    lines = text.splitlines()
    assert any(
        line.endswith("offer says m5\\x1b]0;pwned\\x07\\x0d\\x0am5.large us-east-1 linux: 0.0960 -> 0.0001")
        for line in lines
    )  # one line, the fake one inside it
    assert "ValueError: bad version \\x1b[2J\\u202e" in lines


# -- identifiers are checked at parse time ------------------------------------------------------------


BAD_TYPES = [
    f"m5.large{TITLE}",
    f"m5.xlarge{CLEAR}",
    f"t3.nano{FAKE_LINE}",
    f"c6g.large{BIDI}gnp.exe",
    "[link=https://evil.example]m5.large[/link]",
    "m5." + "x" * 70,
    "m5 large",
    "m5.larg\u0435",
]


def test_identifier_rules():
    for good in (
        "m5.large",
        "c7i.metal-24xl",
        "m7i-flex.xlarge",
        "Standard_D2s_v5",
        "Standard_E64-16ds_v4",
        "n2d-standard-8",
    ):
        assert is_instance_type(good), good
    for good in ("us-east-1", "us-gov-west-1", "eastus", "eastus2euap", "europe-west4"):
        assert is_region(good), good
    assert not any(is_instance_type(bad) for bad in BAD_TYPES)
    assert not any(is_region(bad) for bad in ("US East", "us-east-1\n", "eu_west", "", "x" * 65, "../../etc"))


def hostile_offer(version: str, prices: dict) -> dict:
    """The fixture's prices plus one Linux product per hostile instance type, each with a
    price of its own (they would all be selected if their names were not checked)."""
    offer = offerdata.region_offer("us-east-1", prices, version=version)
    for i, itype in enumerate(BAD_TYPES):
        sku = f"HOSTILE{i:09d}"
        offer["products"][sku] = offerdata.product(sku, "m5.large", "us-east-1", instanceType=itype)
        offer["terms"]["OnDemand"][sku] = offerdata.on_demand(sku, f"0.{i + 1}000000000")
    return offer


def serve_offer(server, version: str, offer: dict) -> None:
    """The index names `version` verbatim; httpx percent-encodes what must be, the server
    sees the encoded path."""
    import httpx

    url = f"/offers/v1.0/aws/AmazonEC2/{version}/us-east-1/index.json"
    server.set(
        "/offers/v1.0/aws/AmazonEC2/current/region_index.json",
        offerdata.dump(offerdata.region_index({"us-east-1": version})),
    )
    server.set(httpx.URL(f"http://x{url}").raw_path.decode(), offerdata.dump(offer))


def test_hostile_offer_strings_never_reach_sync_list_changes_or_the_log(cli, server, settings):
    serve_offer(server, "20251101000000", hostile_offer("20251101000000", US_EAST_1))
    p = cli("sync", "--region", "us-east-1", "--write-back", "--json")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["skipped"]["bad_identifier"] == len(BAD_TYPES) and out["records"] == len(US_EAST_1)

    # a new version whose name carries a bidi override and markup, and a price that moved
    version = f"2025{BIDI}1102[b]x"
    serve_offer(server, version, hostile_offer(version, US_EAST_1 | {("m5.large", "Linux"): "0.1000000000"}))
    outputs = [cli("sync", "--region", "us-east-1", "--write-back"), cli("list"), cli("list", "--csv"), cli("changes")]
    for p in outputs:
        assert p.returncode == 0, p.stderr
        assert not unsafe(p.stdout + p.stderr), (p.args, unsafe(p.stdout + p.stderr))
    changes = outputs[-1].stdout
    assert "2025\\u202e1102[b]x" in changes  # the version, shown escaped and literally, not as bold
    assert "pwned" not in "".join(p.stdout for p in outputs)
    log = (settings.data_dir / "sync.log").read_text()
    assert not unsafe(log) and "version 2025\\u202e1102[b]x" in log


class HostileStatus(BaseHTTPRequestHandler):
    """Answers everything with 403 and a reason phrase that is an escape sequence."""

    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.send_response(403, f"{TITLE}{CLEAR}Forbidden")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def hostile_status_url():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), HostileStatus)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_a_hostile_http_reason_phrase_is_one_neutral_line(cli, settings, hostile_status_url):
    p = cli("sync", "--endpoint", hostile_status_url)
    assert p.returncode == 1 and p.stderr.count("\n") == 1 and not unsafe(p.stdout + p.stderr)
    assert "HTTP 403 Forbidden from" in p.stderr and "pwned" not in p.stderr  # the standard phrase, not the server's
    assert not unsafe((settings.data_dir / "sync.log").read_text())


def test_azure_and_gcp_identifiers_are_checked(server, tmp_path, monkeypatch):
    monkeypatch.delenv("PRICESYNC_GCP_API_KEY", raising=False)
    items = [
        az.item("Standard_D2s_v5", "eastus", "0.096"),
        az.item(f"Standard_D4s_v5{TITLE}", "eastus", "0.192"),
        az.item("Standard_D8s_v5", f"eastus{CLEAR}", "0.384"),
        az.item("Standard_ZZ4s_v9", "eastus", "0.5", series=f"ZZ{FAKE_LINE}"),
    ]  # unknown size: family from the name
    az.serve_azure(server, {"eastus": items})
    g.serve_gcp(server, g.catalog_skus(g.AMERICAS, ("Nowhere", [f"us-east1{CLEAR}"])), key="k")
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'[azure]\nenabled = true\nendpoint = "{server.url}{az.PATH}"\n'
        f'[gcp]\nenabled = true\nendpoint = "{server.url}{g.PATH}"\napi_key = "k"\n[http]\nretries = 0\n'
    )
    settings = load_settings(cfg, tmp_path / "data")
    azure = make_provider(settings, "azure")
    result = azure.fetch(FetchRequest(None, {}))
    azure.close()
    got = {r.instance_type: r for f in result.regions.values() for r in f.records}
    assert set(got) == {"Standard_D2s_v5", "Standard_ZZ4s_v9"} and set(result.regions) == {"eastus"}
    assert got["Standard_ZZ4s_v9"].family is None  # a series name with control characters is no family
    assert result.regions["eastus"].skipped["bad_identifier"] == 1
    gcp = make_provider(settings, "gcp")
    result = gcp.fetch(FetchRequest(None, {}))
    gcp.close()
    assert f"us-east1{CLEAR}" not in result.regions  # ignored: no region of 0 prices to fail the sync
    assert result.regions["us-east1"].records


def test_a_hostile_region_code_in_the_aws_index_is_ignored_by_all_regions(cli, aws_server):
    """`--all-regions` takes its codes from the untrusted index: a code that is no region code is
    skipped (logged), the real regions sync."""
    path = "/offers/v1.0/aws/AmazonEC2/current/region_index.json"
    index = json.loads(aws_server.routes[path].body)
    index["regions"][f"eu-west-9{CLEAR}"] = {"regionCode": "x", "currentVersionUrl": "/offers/x/index.json"}
    aws_server.routes[path].body = json.dumps(index).encode()
    p = cli("sync", "--all-regions", "--json")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["regions"] == ["eu-west-1", "us-east-1"]


# -- the catalog as the CLI shows it ------------------------------------------------------------------


def hostile_catalog(path: Path, family: str, arch: str = "x86_64") -> None:
    """The fixture catalog with a hostile family (and arch) on every m5 entry: a catalog the
    owner of the data dir wrote, or an older pricesync that checked less."""
    obj = json.loads(path.read_text())
    for e in obj["entries"]:
        if e["family"] == "m5":
            e["family"], e["arch"], e["price_per_hour"] = family, arch, "0.0960000000"
    path.write_text(json.dumps(obj))


def run_on_a_terminal(args: list[str], env: dict[str, str]) -> bytes:
    """`pricesync ARGS` with stdout on a pseudo-terminal (200 x 50), as an operator sees it."""
    master, slave = pty.openpty()
    ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
    env = {k: v for k, v in env.items() if k not in ("NO_COLOR", "TERM", "COLUMNS", "LINES")} | {
        "TERM": "xterm-256color"
    }
    proc = subprocess.Popen([*CLI, *args], stdout=slave, stderr=subprocess.PIPE, env=env)
    os.close(slave)
    out = read_terminal(master)
    proc.wait(timeout=60)
    assert proc.returncode == 0, proc.stderr.read()
    return out


def test_list_on_a_terminal_never_makes_links_or_runs_escapes(settings):
    hostile_catalog(settings.data_dir / "aws_catalog.json", f"{LINK}{TITLE}", arch=f"x86{CSI}")
    out = run_on_a_terminal(["list"], cli_env(settings))
    assert b"\x1b]8;" not in out and b"\x1b]0;" not in out and b"\x07" not in out  # no OSC 8 link, no title
    assert b"\x1b[2J" not in out and "\x9b".encode() not in out
    text = out.decode()
    assert LINK in text and "\\x1b]0;pwned\\x07" in text and "x86\\x9b2J" in text


def test_list_csv_neutralises_formulas_and_controls(cli, settings):
    formula = '=HYPERLINK("https://evil.example","m5")'
    hostile_catalog(settings.data_dir / "aws_catalog.json", formula, arch=f"@SUM(1){CLEAR}")
    p = cli("list", "--csv")
    assert p.returncode == 0 and not unsafe(p.stdout.replace("\r\n", "\n"))
    rows = list(csv.DictReader(io.StringIO(p.stdout)))
    m5 = [r for r in rows if r["instance_type"].startswith("m5.")]
    assert m5 and all(r["family"] == "'" + formula and r["arch"] == "'@SUM(1)\\x1b[2J" for r in m5)
    assert all(r["price_per_month"] == "70.08" for r in m5)


# -- the dashboard ----------------------------------------------------------------------------------


def hostile_entries() -> tuple[CatalogEntry, ...]:
    names = [f"m5.large{TITLE}", f"m5.xlarge{FAKE_LINE}", f"c6g.large{BIDI}gnp", LINK, f"r5.large{CSI}"]
    return tuple(
        CatalogEntry(name, f"m5{CLEAR}", f"us-east-1{BIDI}", "linux", 2, 8.0, 0, f"x86{TITLE}", "0.0960000000")
        for name in names
    )


class TableApp(App):
    def compose(self) -> ComposeResult:
        yield CatalogTable()


async def test_the_table_renders_no_control_characters():
    catalog = Catalog("aws", "USD", None, SourceInfo("bundled"), hostile_entries())
    rows = build_rows(catalog)

    async with TableApp().run_test(size=(200, 20)) as pilot:
        table = pilot.app.query_one(CatalogTable)
        table.show_rows(rows, list(range(len(rows))), column_layout(rows), "type", False)
        await pilot.pause()
        segments = [seg.text for y in range(8) for seg in table.render_line(y)]
        assert not unsafe("".join(segments))
        text = screen_text(pilot.app)
        assert "m5.large\\x1b]0;pwned\\x07" in text and LINK in text and "us-east-1\\u202e" in text
        assert not unsafe(pilot.app.export_screenshot())


def test_export_csv_neutralises_every_cell():
    entries = (
        CatalogEntry(
            "m5.large",
            '=HYPERLINK("https://evil.example")',
            "us-east-1",
            "linux",
            2,
            8.0,
            0,
            f"+x86{TITLE}",
            "0.0960000000",
        ),
    )
    rows = build_rows(Catalog("aws", "USD", None, SourceInfo("bundled"), entries))
    got = list(csv.reader(io.StringIO(export_bytes(rows, [0], entries).decode())))[1]
    assert got[1] == '\'=HYPERLINK("https://evil.example")' and got[5] == "'+x86\\x1b]0;pwned\\x07"
    assert got[8:10] == ["0.096", "70.08"]


async def test_status_bar_log_pane_and_notifications_show_source_strings_literally(settings):
    hostile_catalog(settings.data_dir / "aws_catalog.json", f"{LINK}{TITLE}")
    update_provider_state(
        settings.data_dir,
        "aws",
        {
            "last_attempt": "2025-11-03T09:00:00Z",
            "last_status": "failed",
            "last_error": f"HTTP 403 {TITLE}{CLEAR}[b]Forbidden[/b] from http://127.0.0.1/x",
        },
    )
    app = PriceSyncApp(settings, scheduler_enabled=False)

    async with app.run_test(size=(200, 40), notifications=True) as pilot:
        await wait_for(pilot, lambda: app.data is not None and app.table.message is None, "the catalog")
        logging.getLogger("pricesync.test").warning("source said %s", f"{CLEAR}{FAKE_LINE}{LINK}")
        app.notify(f"[b]bold[/b] {LINK} {TITLE}", severity="error")
        app.query_one(CatalogTable).focus()
        await wait_for(pilot, lambda: "source said" in "".join(line.text for line in app.query_one("#log").lines))
        await pilot.pause()
        shot = app.export_screenshot()
        assert not unsafe(shot)
        status = str(app.query_one("#status").render())
        assert "HTTP 403 \\x1b]0;pwned\\x07\\x1b[2J[b]Forbidden[/b]" in status
        log = "".join(line.text for line in app.query_one("#log").lines)
        assert "source said \\x1b[2J\\x0d\\x0am5.large" in log and LINK in log
        assert "[b]bold[/b]" in html_text(shot) and "x1b]0;pwned" in html_text(shot)  # the toast
        assert LINK in screen_text(app)  # the family column


def html_text(svg: str) -> str:
    import html
    import re

    return html.unescape("".join(re.findall(r">([^<]*)</text>", svg))).replace("\xa0", " ")


async def test_the_changes_screen_shows_history_strings_literally(settings):
    store = HistoryStore(settings.data_dir)
    regions = ("us-east-1",)
    store.record(
        SyncResult("aws", "public", "updated", regions, 9, source_version="20251101000000"), [], "2025-11-01T02:00:00Z"
    )
    store.record(
        SyncResult("aws", "public", "updated", regions, 9, source_version=f"2025{BIDI}[b]x{TITLE}"),
        [
            ((f"m5.large{CLEAR}", "us-east-1", "linux"), "0.0960000000", "0.1000000000"),
            ((LINK, "us-east-1", "linux"), None, "0.2000000000"),
        ],
        "2025-11-02T02:00:00Z",
    )
    store.record(
        SyncResult("aws", "public", "failed", regions, error=f"HTTP 403 {TITLE}{FAKE_LINE}"),
        [],
        f"2025-11-03T0{CLEAR}:00Z",
    )  # a history file pricesync did not write
    app = PriceSyncApp(settings, scheduler_enabled=False)

    async with app.run_test(size=(200, 40)) as pilot:
        await wait_for(pilot, lambda: app.data is not None and app.table.message is None, "the catalog")
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, ChangesScreen) and app.screen.shown, "the changes")
        await pilot.pause()
        shot = app.export_screenshot()
        assert not unsafe(shot)
        text = html_text(shot)
        assert "m5.large\\x1b[2J" in text and LINK in text and "2025\\u202e[b]x\\x1b]0;pwned\\x07" in text
        assert "HTTP 403 \\x1b]0;pwned\\x07\\x0d\\x0am5.large" in text and "2025-11-03 0\\x1b[2J" in text
