"""The threat model as tests: every attack here runs against a real misbehaving server on
127.0.0.1 or real files, and every test that exercises a bound runs the code in a child
process under a memory limit, so a regression fails the test instead of the machine."""

from __future__ import annotations

import resource
import subprocess
import sys
import textwrap

import pytest

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
