"""`s` when the run it asks for is skipped because another run took the run lock first: the
scheduler's "busy" event ends the request (the dashboard no longer guesses with a timer)."""

from __future__ import annotations

import threading

from pricesync.core import PriceSyncScheduler, build_engine

from tests.tui.conftest import SIZE, loaded, make_app, notes, wait_for


class LosesTheRace(PriceSyncScheduler):
    """run_now queues the manual run, as the real one does; by the time it starts another run
    holds the run lock (a scheduled run that fired in between), so it is skipped."""

    def run_now(self, providers: list[str] | None = None, write_back: bool | None = None) -> bool:
        def race() -> None:
            with self._run_lock:  # the other run
                self._job("manual", providers, write_back)

        threading.Thread(target=race, name="pricesync-test-race").start()
        return True


async def test_a_skipped_manual_run_ends_the_request_and_says_so(settings):
    # the app's clock stands still: a request forgotten after a grace period would never end
    app = make_app(settings, scheduler=LosesTheRace(settings, build_engine(settings), enabled=False))
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await pilot.press("s")
        await wait_for(pilot, lambda: not app.syncing, "the request to end")
        assert app.check_action("sync_now", ()) is True
        assert "A sync is already running" in notes(app)
