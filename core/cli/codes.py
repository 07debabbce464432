"""Exit codes of `pricesync`, and the usage error (exit 2) the commands raise."""

from __future__ import annotations

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_BUSY = 0, 1, 2, 3
EXIT_WRITE_BACK_REFUSED = 4  # the prices were fetched and cached; the sanity guard kept the catalog


class UsageError(Exception):
    """A command-line usage error: one line, exit code 2."""
