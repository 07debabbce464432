"""`s` when the run it asks for is skipped because another run took the run lock first: the
scheduler's "busy" event ends the request (the dashboard no longer guesses with a timer)."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime

from pricesync.core import PriceSyncScheduler, build_engine
from pricesync.tui.app import PriceSyncApp

WAIT_S = 20.0  # a bound on waits, not a timing assertion
FROZEN = datetime(2025, 11, 3, 9, 30, 5, tzinfo=UTC)  # the app's clock never moves


class LosesTheRace(PriceSyncScheduler):
    """run_now queues the manual run, as the real one does; by the time it starts another run
    holds the run lock (a scheduled run that fired in between), so it is skipped."""

    def run_now(self, providers: list[str] | None = None, write_back: bool | None = None) -> bool:
        def race() -> None:
            with self._run_lock:  # the other run
                self._job("manual", providers, write_back)

        threading.Thread(target=race, name="pricesync-test-race").start()
        return True


async def until(pilot, predicate, what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await pilot.pause(0.05)


def test_a_skipped_manual_run_ends_the_request_and_says_so(settings):
    scheduler = LosesTheRace(settings, build_engine(settings), enabled=False)
    app = PriceSyncApp(settings, scheduler=scheduler, clock=lambda: FROZEN)

    async def go() -> None:
        async with app.run_test(size=(160, 50)) as pilot:
            await until(pilot, lambda: app.data is not None and app.data.catalog is not None, "the catalog")
            await pilot.press("s")
            await until(pilot, lambda: not app.syncing, "the request to end")
            assert app.check_action("sync_now", ()) is True
            assert "A sync is already running" in [n.message for n in app._notifications]

    asyncio.run(go())
