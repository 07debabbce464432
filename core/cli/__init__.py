"""`pricesync`: the headless client of the engine (cron, systemd, scripts). Like the dashboard,
it uses only pricesync.core's front door; rich (tables, progress bars) stays in here.

Exit codes: 0 updated or unchanged (warnings, e.g. a run the history could not record, go to
stderr as `pricesync: warning: ...` and into --json), 1 sync failed, 2 usage or config error,
3 another sync holds the lock.
"""

from __future__ import annotations

from .main import main

__all__ = ["main"]
