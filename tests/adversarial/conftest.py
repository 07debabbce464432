"""The threat model as tests: every attack here runs against a real misbehaving server on
127.0.0.1 or real files, and every test that exercises a bound runs the code in a child
process under a memory limit, so a regression fails the test instead of the machine.

For the network tests: a data dir with a synced-nothing catalog, a config pointing every source
at the hostile server with chosen [http] knobs, and `pricesync` run as a real process (under a
memory cap where a size bound is exercised)."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from pricesync.core.config import load_settings

from tests.conftest import CLI, US_EAST_1, V1, cli_env, serve_aws, small_catalog
from tests.fakes.priceserver import PriceServer, Route

DEFAULT_LIMIT_MB = 400


def run_limited(
    code: str,
    *,
    mem_mb: int = DEFAULT_LIMIT_MB,
    timeout: float = 60,
    env: dict | None = None,
    args: tuple[str, ...] = (),
) -> subprocess.CompletedProcess:
    """Run `code` in a fresh Python with its address space capped at `mem_mb` (RLIMIT_AS).

    A bound that regresses makes the child fail with MemoryError (or be refused memory)
    instead of taking the machine down; the caller asserts on returncode and output.
    """
    limit = mem_mb * 1024 * 1024

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        preexec_fn=cap,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )


@pytest.fixture
def limited():
    """`limited(code, mem_mb=...)`: see run_limited."""
    return run_limited


# -- the network tests ---------------------------------------------------------------------------------------

CLI_CODE = "import sys\nfrom pricesync.core.cli import main\nsys.exit(main(sys.argv[1:]))"


class Setup:
    """A data dir and a config file; `http` knobs go to [http], `extra` is appended as is."""

    def __init__(self, tmp_path: Path, server: PriceServer, *, extra: str = "", **http) -> None:
        self.data_dir = tmp_path / "data"
        self.data_dir.mkdir(exist_ok=True)
        small_catalog(self.data_dir / "aws_catalog.json")
        knobs = {"retries": 1, "backoff_s": 0.01, "timeout_s": 10} | http
        self.config = tmp_path / "config.toml"
        self.config.write_text(
            # on-demand only ([sync] price_kinds = []): the default's spot is fetched from AWS's own hosts
            f'[aws]\nendpoint = "{server.url}"\nregions = ["us-east-1"]\n[sync]\nprice_kinds = []\n[http]\n'
            + "".join(f"{k} = {json.dumps(v)}\n" for k, v in knobs.items())
            + extra
        )
        self.settings = load_settings(self.config, self.data_dir)

    def env(self, **extra: str) -> dict[str, str]:
        return cli_env(self.settings) | extra

    def cli(self, *args: str, timeout: float = 60, **env: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*CLI, *args], env=self.env(**env), capture_output=True, text=True, timeout=timeout, check=False
        )

    def limited_cli(self, *args: str, mem_mb: int = 400, timeout: float = 60) -> subprocess.CompletedProcess:
        """`pricesync ARGS` with its address space capped at `mem_mb`."""
        return run_limited(CLI_CODE, mem_mb=mem_mb, timeout=timeout, env=self.env(), args=args)


def serve_us_east_1(server: PriceServer) -> None:
    serve_aws(server, {"us-east-1": (V1, US_EAST_1)})


@pytest.fixture
def aws(server):
    """The test server with a region index and us-east-1's offer file."""
    serve_us_east_1(server)
    return server


def route(server: PriceServer, path: str) -> Route:
    return server.routes[path]


def error_line(p: subprocess.CompletedProcess) -> str:
    """The single stderr line of a failed run (exit 1), without its `pricesync: ` prefix."""
    assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)
    lines = p.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("pricesync: "), p.stderr
    return lines[0].removeprefix("pricesync: ")
