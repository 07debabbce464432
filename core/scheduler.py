"""PriceSyncScheduler: the price sync on a cron schedule, in-process (TUI) or headless (daemon).

Around APScheduler 3.x's BackgroundScheduler, in UTC, with the project's crontab meaning
(core.cronspec). One run at a time: a run that finds another in flight (this process: the
run lock; another process: the engine's file lock) logs "sync already running" and skips; a run
skipped in this process (the run lock, or the schedule firing while its last run still goes) is
told to the listeners as a "busy" event.
A run never raises: failures are logged with their traceback and the next run stays
scheduled. Each sync runs in a daemon thread the job waits on, so `shutdown()` returns
promptly even while a download blocks; the engine stops at its next cancel check and, since
every write is atomic and comes after the fetch, leaves no partial file.

Spot prices move hourly, list prices monthly: `[schedule] spot` (a cron; none by default) adds
a second job on the same APScheduler instance that syncs the `spot` kind only (the engine's
kinds-only sync: no offer file, the cached prices with fresh spot prices). It shares the run
lock (a spot run that finds the full sync running is skipped, and told as "busy") and never
catches up (the next one is at most an interval away); `next_spot_run_time` says when.
"""

from __future__ import annotations

import atexit
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED, JobExecutionEvent, JobSubmissionEvent
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from .config import Settings
from .cronspec import parse_cron
from .errors import PriceSyncError
from .formats import iso_z, parse_utc, provider_name
from .freshness import Freshness, watch_staleness
from .kinds import SPOT
from .models import SyncResult
from .notify import Notifier, stale_payload
from .providers.base import Progress
from .state import provider_state, update_provider_state
from .sync import SyncEngine

log = logging.getLogger("pricesync.scheduler")

JOB_ID = "price-sync"
STALENESS_JOB_ID = "staleness"
STALENESS_CHECK_S = 60  # how often the staleness alarm ([sync] max_age) is checked
SPOT_JOB_ID = "spot-sync"
SPOT_ONLY = frozenset({SPOT})
CANCEL_GRACE_S = 1.0  # how long a cancelled sync may take to stop before the run gives up on it
SHUTDOWN_WAIT_S = 2.5


@dataclass(frozen=True)
class RunRecord:
    started_at: datetime
    finished_at: datetime | None
    trigger: str  # "schedule" | "manual" | "catch-up" | "spot"
    status: str  # "running" | "updated" | "unchanged" | "failed" | "busy" | "cancelled"
    results: tuple[SyncResult, ...] = ()
    error: str | None = None


@dataclass(frozen=True)
class SchedulerEvent:
    kind: str  # "started" | "finished" | "failed" | "busy" (skipped: another run held the lock) | "missed"
    run: RunRecord | None
    next_run_time: datetime | None
    next_spot_run_time: datetime | None = None  # of the `[schedule] spot` job, if any


def overall_status(results: list[SyncResult], cancelled: bool) -> str:
    statuses = {r.status for r in results}
    if cancelled:
        return "cancelled"
    for status in ("failed", "busy", "updated"):
        if status in statuses:
            return status
    return "unchanged"


class PriceSyncScheduler:
    def __init__(
        self,
        settings: Settings,
        engine: SyncEngine,
        *,
        enabled: bool | None = None,
        trigger: BaseTrigger | None = None,
    ) -> None:
        """Runs `engine` (built with its listeners by the caller: pricesync.core.build_engine).
        `enabled` overrides [schedule] enabled (the TUI's --no-scheduler); `trigger` replaces the
        cron trigger (tests)."""
        sched = settings.schedule
        self.settings = settings
        self.engine = engine
        self.spec = parse_cron(sched.cron, sched.timezone)
        self.spot_spec = parse_cron(sched.spot, sched.timezone) if sched.spot else None
        self.enabled = sched.enabled if enabled is None else enabled
        self.providers = settings.scheduled_providers()
        self.write_back = sched.write_back
        self.progress: Progress | None = None  # told of each run's download progress (the dashboard's bar)
        self._trigger = trigger or self.spec.trigger()
        self._catch_up_delay = timedelta(seconds=sched.catch_up_delay_s)
        self._aps = BackgroundScheduler(timezone=UTC)
        self._aps.add_listener(self._on_missed, EVENT_JOB_MISSED)
        self._aps.add_listener(self._on_max_instances, EVENT_JOB_MAX_INSTANCES)
        self._run_lock = threading.Lock()
        self._cancel = threading.Event()
        self._listeners: list[Callable[[SchedulerEvent], None]] = []
        self._last_run: RunRecord | None = None
        self._shutdown_lock = threading.Lock()
        self._shut_down = False
        self._notifier = Notifier.from_settings(settings) if settings.webhooks else None

    # -- API -----------------------------------------------------------------------------------

    def describe(self) -> str:
        return self.spec.describe()

    def headline(self) -> str:
        names = " + ".join(provider_name(p) for p in self.providers)
        return f"{names} price sync scheduled {self.describe()}"

    def describe_spot(self) -> str | None:
        """The spot schedule in words ("every hour at minute 17 UTC"), or None without one."""
        return self.spot_spec.describe() if self.spot_spec is not None else None

    def start(self) -> None:
        self._aps.start()
        if self.settings.max_age is not None:  # watched even with the schedule disabled: syncs may come from elsewhere
            self._aps.add_job(
                self.check_staleness,
                IntervalTrigger(seconds=STALENESS_CHECK_S, timezone=UTC),
                id=STALENESS_JOB_ID,
                next_run_time=datetime.now(UTC),
                max_instances=1,
                coalesce=True,
                replace_existing=True,
            )
        if not self.enabled:
            log.info("Scheduler disabled; syncs run only when asked.")
            return
        self._aps.add_job(
            self._job,
            self._trigger,
            id=JOB_ID,
            args=("schedule",),
            max_instances=1,
            coalesce=True,
            misfire_grace_time=self.settings.schedule.misfire_grace_s,
            replace_existing=True,
        )
        log.info("Scheduler started. %s.", self.headline())
        if self.spot_spec is not None:
            self._aps.add_job(
                self._job,
                self.spot_spec.trigger(),
                id=SPOT_JOB_ID,
                args=("spot", None, None, SPOT_ONLY),
                max_instances=1,
                coalesce=True,
                misfire_grace_time=self.settings.schedule.misfire_grace_s,
                replace_existing=True,
            )
            log.info("Spot prices sync scheduled %s.", self.describe_spot())
        if self.settings.schedule.catch_up and self._missed_since_last_success():
            when = datetime.now(UTC) + self._catch_up_delay
            log.info(
                "A scheduled run was missed while pricesync was not running; catching up at %s",
                iso_z(when),
            )
            self._aps.add_job(self._job, DateTrigger(when), args=("catch-up",), misfire_grace_time=None)

    @property
    def next_run_time(self) -> datetime | None:
        return self._next(JOB_ID)

    @property
    def next_spot_run_time(self) -> datetime | None:
        """The next run of the spot-only job (None: no `[schedule] spot`, disabled or paused)."""
        return self._next(SPOT_JOB_ID)

    def _next(self, job_id: str) -> datetime | None:
        job = self._aps.get_job(job_id) if self.enabled and self._aps.running else None
        return job.next_run_time.astimezone(UTC) if job and job.next_run_time else None

    def next_run_for(self, provider: str) -> datetime | None:
        """The next scheduled run that syncs `provider` (None: it is not scheduled)."""
        return self.next_run_time if provider in self.providers else None

    @property
    def last_run(self) -> RunRecord | None:
        return self._last_run

    @property
    def running(self) -> bool:
        return self._run_lock.locked()

    def run_now(self, providers: list[str] | None = None, write_back: bool | None = None) -> bool:
        """Start a run now on the same job path as the schedule; False if one is in flight."""
        if self.running:
            log.warning("sync already running; not starting another")
            return False
        self._aps.add_job(
            self._job, DateTrigger(datetime.now(UTC)), args=("manual", providers, write_back), misfire_grace_time=None
        )
        return True

    def pause(self) -> None:
        if self.enabled:
            for job_id in self._job_ids():
                self._aps.pause_job(job_id)
            log.info("Scheduler paused.")

    def resume(self) -> None:
        if self.enabled:
            for job_id in self._job_ids():
                self._aps.resume_job(job_id)
            log.info("Scheduler resumed. Next run %s.", self.next_run_time)

    def check_staleness(self) -> list[Freshness]:
        """The staleness alarm: a warning in the log and the webhooks' `stale` event, once per
        episode (core.freshness). Runs every minute while the scheduler runs; never raises."""
        try:
            return watch_staleness(self.settings, self.providers, datetime.now(UTC), self._alert_stale)
        except PriceSyncError as exc:
            log.error("cannot check how fresh the prices are: %s", exc)
            return []

    def _alert_stale(self, f: Freshness) -> None:
        if self._notifier is not None:
            self._notifier.send(f.provider, stale_payload(f))

    def _job_ids(self) -> list[str]:
        return [JOB_ID] + ([SPOT_JOB_ID] if self.spot_spec is not None else [])

    def add_listener(self, fn: Callable[[SchedulerEvent], None]) -> None:
        """`fn` is called from a scheduler thread; a UI must hand the event over, not draw."""
        self._listeners.append(fn)

    def shutdown(self, wait_s: float = SHUTDOWN_WAIT_S) -> None:
        """Stop scheduling, signal an in-flight sync to cancel, return within about `wait_s`.
        Only the first call does anything (a host app's own call, then atexit's)."""
        with self._shutdown_lock:
            if self._shut_down:
                return
            self._shut_down = True
        atexit.unregister(self.shutdown)  # registered by pricesync.core.start_scheduler
        self._cancel.set()
        if self._aps.running:
            self._aps.shutdown(wait=False)
        if self._run_lock.acquire(timeout=wait_s):
            self._run_lock.release()
        else:
            log.warning("a sync was still stopping at shutdown; it writes nothing partial")
        log.info("Scheduler stopped.")

    # -- the job -------------------------------------------------------------------------------

    def _job(
        self,
        trigger: str,
        providers: list[str] | None = None,
        write_back: bool | None = None,
        kinds: frozenset[str] | None = None,
    ) -> None:
        """One run; `kinds` (the spot job: spot only) as for SyncEngine.sync."""
        if not self._run_lock.acquire(blocking=False):
            self._skipped(trigger)
            return
        try:
            self._run(
                trigger, providers or self.providers, self.write_back if write_back is None else write_back, kinds
            )
        except Exception as exc:  # never let a run take the scheduler down
            log.exception("%s run crashed", trigger)
            self._finish(RunRecord(datetime.now(UTC), datetime.now(UTC), trigger, "failed", (), repr(exc)))
        finally:
            self._run_lock.release()

    def _run(self, trigger: str, providers: list[str], write_back: bool, kinds: frozenset[str] | None = None) -> None:
        run = RunRecord(datetime.now(UTC), None, trigger, "running")
        self._last_run = run
        self._emit("started", run)
        log.info("%s run started: %s%s", trigger, ", ".join(providers), " with write-back" if write_back else "")
        results: list[SyncResult] = []
        for provider in providers:  # one failing provider does not stop the others
            if self._cancel.is_set():
                break
            results.append(self._sync_one(provider, write_back, kinds))
        status = overall_status(results, self._cancel.is_set())
        errors = [f"{r.provider}: {r.error}" for r in results if r.error]
        self._finish(
            replace(
                run,
                finished_at=datetime.now(UTC),
                status=status,
                results=tuple(results),
                error="; ".join(errors) or None,
            )
        )

    def _sync_one(self, provider: str, write_back: bool, kinds: frozenset[str] | None = None) -> SyncResult:
        """engine.sync in a daemon thread, so a blocked download cannot hold shutdown up.
        An exception (a bug) is logged with its traceback and becomes a failed result."""
        box: list[SyncResult | BaseException] = []

        def work() -> None:
            try:
                box.append(
                    self.engine.sync(
                        provider, write_back=write_back, cancel=self._cancel, progress=self.progress, kinds=kinds
                    )
                )
            except BaseException as exc:
                box.append(exc)

        worker = threading.Thread(target=work, name=f"pricesync-{provider}", daemon=True)
        worker.start()
        while worker.is_alive() and not self._cancel.is_set():
            worker.join(0.1)
        worker.join(CANCEL_GRACE_S if self._cancel.is_set() else None)
        if not box:
            return SyncResult(provider=provider, mode="", status="failed", error="cancelled at shutdown")
        if isinstance(box[0], BaseException):
            exc = box[0]
            log.error("%s sync crashed", provider, exc_info=(type(exc), exc, exc.__traceback__))
            return SyncResult(provider=provider, mode="", status="failed", error=f"internal error: {exc!r}")
        return box[0]

    def _finish(self, run: RunRecord) -> None:
        self._last_run = run
        for r in run.results:
            try:
                update_provider_state(
                    self.settings.data_dir,
                    r.provider,
                    {
                        "last_run": {
                            "time": iso_z(run.started_at),
                            "trigger": run.trigger,
                            "status": r.status,
                            "records": r.records,
                            "added": r.added,
                            "changed": r.changed,
                            "missing": r.missing,
                            "wrote_back": r.wrote_back,
                            "write_back_refused": r.write_back_refused,
                            "error": r.error,
                        }
                    },
                )
            except PriceSyncError as exc:
                log.error("cannot record the run in state.json: %s", exc)
        log.info("%s run %s%s", run.trigger, run.status, f": {run.error}" if run.error else "")
        self._emit("failed" if run.status in ("failed", "busy") else "finished", run)

    # -- catch-up and misfires -----------------------------------------------------------------

    def _missed_since_last_success(self) -> bool:
        """True when a scheduled fire time lies between the oldest last success and now.
        A provider never synced does not count: a fresh install does not download at start-up."""
        successes = []
        for provider in self.providers:
            try:
                last = parse_utc(provider_state(self.settings.data_dir, provider).get("last_success"))
            except PriceSyncError:
                last = None
            if last is not None:
                successes.append(last)
        if not successes:
            return False
        after = min(successes) + timedelta(seconds=1)
        fire = self._trigger.get_next_fire_time(None, after)
        return fire is not None and fire <= datetime.now(UTC)

    def _skipped(self, trigger: str) -> None:
        log.warning("sync already running; %s run skipped", trigger)
        now = datetime.now(UTC)
        self._emit("busy", RunRecord(now, now, trigger, "busy", error="sync already running"))

    def _on_max_instances(self, event: JobSubmissionEvent) -> None:
        """APScheduler's own skip: the schedule fired while its previous run was still going."""
        self._skipped("schedule")

    def _on_missed(self, event: JobExecutionEvent) -> None:
        log.warning(
            "scheduled run due at %s was missed (more than %ss late)",
            event.scheduled_run_time,
            self.settings.schedule.misfire_grace_s,
        )
        self._emit("missed", None)

    def _emit(self, kind: str, run: RunRecord | None) -> None:
        event = SchedulerEvent(kind, run, self.next_run_time, self.next_spot_run_time)
        for fn in self._listeners:
            try:
                fn(event)
            except Exception:
                log.exception("scheduler listener failed")
