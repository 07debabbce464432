"""A damaged state.json: a provider entry that is not an object is one line naming the file; a
region's recorded version of the wrong shape counts as absent (the region is fetched afresh),
never an internal error."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest


@pytest.fixture
def synced(cli, settings) -> Path:
    p = cli("sync")
    assert p.returncode == 0, p.stderr
    return settings.data_dir


def edit_aws_state(data: Path, entry: object) -> Path:
    path = data / "state.json"
    obj = json.loads(path.read_text())
    obj["providers"]["aws"] = entry
    path.write_text(json.dumps(obj))
    return path


def test_a_provider_entry_that_is_not_an_object_is_one_line(cli, synced):
    state = edit_aws_state(synced, ["not", "an", "object"])
    p = cli("sync")
    assert p.returncode == 1
    assert p.stderr.count("\n") == 1 and p.stderr.startswith("pricesync: "), p.stderr
    assert re.search(rf"state file {re.escape(str(state))} has the wrong shape", p.stderr), p.stderr


def test_a_region_version_that_is_not_an_object_counts_as_absent(cli, synced):
    state = synced / "state.json"
    entry = json.loads(state.read_text())["providers"]["aws"]
    edit_aws_state(synced, entry | {"regions": {"us-east-1": "20251101000000"}})
    p = cli("sync")
    assert p.returncode == 0, p.stderr
    regions = json.loads(state.read_text())["providers"]["aws"]["regions"]
    assert regions["us-east-1"]["version"] == "20251101000000"  # recorded again, in its shape
