"""A Flask app that keeps pricesync's catalogs current, the way the system pricesync grew from
did: the scheduled price sync starts with the app, logs its errors, and stops with it.

    pip install flask        # in pricesync's environment
    PRICESYNC_CONFIG=/etc/pricesync.toml PRICESYNC_DATA_DIR=/var/lib/pricesync \\
        flask --app examples/flask_app.py run      # or: python examples/flask_app.py

POST /prices/sync     start a sync now, on the scheduler's own job path (202; 409 while one runs)
GET  /prices/status   the schedule, the next run and the last run's outcome, as JSON
"""

from __future__ import annotations

import logging
from typing import Any

import pricesync.core
from flask import Flask, jsonify
from pricesync.core import PriceSyncScheduler, RunRecord, iso_z


def create_app() -> Flask:
    app = Flask(__name__)
    # the embedding: runs daily at 02:00 in [schedule] timezone; stopped at exit (atexit)
    scheduler = pricesync.core.start_scheduler(cron_hour=2, cron_minute=0)
    app.extensions["pricesync"] = scheduler

    @app.post("/prices/sync")
    def sync_now() -> tuple[Any, int]:
        if scheduler.run_now():
            return jsonify(started=True), 202
        return jsonify(started=False, error="sync already running"), 409

    @app.get("/prices/status")
    def status() -> Any:
        return jsonify(status_of(scheduler))

    return app


def status_of(scheduler: PriceSyncScheduler) -> dict[str, Any]:
    next_run = scheduler.next_run_time
    return {
        "schedule": scheduler.describe() if scheduler.enabled else "disabled",
        "next_run": iso_z(next_run) if next_run else None,
        "running": scheduler.running,
        "last_run": run_json(scheduler.last_run),
    }


def run_json(run: RunRecord | None) -> dict[str, Any] | None:
    if run is None:
        return None
    return {
        "trigger": run.trigger,
        "status": run.status,
        "started_at": iso_z(run.started_at),
        "finished_at": iso_z(run.finished_at) if run.finished_at else None,
        "error": run.error,
        "results": [r.to_json() for r in run.results],
    }


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    create_app().run()
