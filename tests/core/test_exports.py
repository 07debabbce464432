"""Exports: CSV, TSV, Markdown and JSON of one table, every string neutralised; files that never
overwrite one another (two in the same second) nor follow a link."""

from __future__ import annotations

import csv
import io
import json
import os
import re
from datetime import UTC, datetime

import pytest
from pricesync.core import ExportTable, render_export, write_export
from pricesync.core.errors import ExportError

EVIL = "=cmd|' /C calc'!A0\x1b]0;pwned\x07 *bold* [x](http://e) <b>|\t\nz"
TABLE = ExportTable(
    ("instance_type", "vcpu", "memory_gib", "price_per_hour", "note"),
    [
        ("m5.large", 2, 8.0, "0.0960000000", None),
        ("Standard_D2s_v5", None, 0.5, "-1.5", EVIL),
    ],
)
AT = datetime(2025, 11, 3, 9, 30, 5, tzinfo=UTC)


def test_csv_and_tsv_cells_are_neutralised():
    for fmt, delimiter in (("csv", ","), ("tsv", "\t")):
        text = render_export(TABLE, fmt).decode()
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
        assert rows[0] == list(TABLE.header) and len(rows) == 3
        assert rows[1] == ["m5.large", "2", "8.0", "0.0960000000", ""]
        assert rows[2][3] == "-1.5"  # a number stays a number
        assert rows[2][4] == "'=cmd|' /C calc'!A0\\x1b]0;pwned\\x07 *bold* [x](http://e) <b>|\\x09\\x0az"
    assert render_export(TABLE, "tsv").decode().count("\n") == 3  # no cell breaks a line


def test_markdown_escapes_cells():
    lines = render_export(TABLE, "markdown").decode().splitlines()
    assert lines[:3] == [
        "| instance\\_type | vcpu | memory\\_gib | price\\_per\\_hour | note |",
        "| --- | --- | --- | --- | --- |",
        "| m5.large | 2 | 8.0 | 0.0960000000 |  |",
    ]
    assert lines[3] == (
        "| Standard\\_D2s\\_v5 |  | 0.5 | -1.5 | =cmd\\|' /C calc'!A0\\\\x1b\\]0;pwned\\\\x07 \\*bold\\* "
        "\\[x\\](http://e) \\<b\\>\\|\\\\x09\\\\x0az |"
    )
    assert all(len(re.split(r"(?<!\\)\|", line)) == 5 + 2 for line in lines)  # five cells in every row


def test_json_keeps_types_and_neutralises_strings():
    rows = json.loads(render_export(TABLE, "json"))
    assert rows[0] == {
        "instance_type": "m5.large",
        "vcpu": 2,
        "memory_gib": 8.0,
        "price_per_hour": "0.0960000000",
        "note": None,
    }
    assert rows[1]["note"] == "=cmd|' /C calc'!A0\\x1b]0;pwned\\x07 *bold* [x](http://e) <b>|\\x09\\x0az"


def test_two_exports_in_the_same_second_keep_both(tmp_path):
    paths = [write_export(tmp_path, "aws", AT, "csv", f"{n}\n".encode()) for n in range(3)]
    assert [p.name for p in paths] == [
        "aws-20251103-093005.csv",
        "aws-20251103-093005-2.csv",
        "aws-20251103-093005-3.csv",
    ]
    assert [p.read_text() for p in paths] == ["0\n", "1\n", "2\n"]
    assert write_export(tmp_path, "aws", AT, "markdown", b"x").name == "aws-20251103-093005.md"
    assert oct(paths[0].stat().st_mode & 0o777) == "0o644"
    assert sorted(os.listdir(tmp_path / "exports")) == sorted([p.name for p in paths] + ["aws-20251103-093005.md"])


def test_an_export_never_writes_through_a_link(tmp_path):
    target = tmp_path / "victim"
    target.write_text("keep")
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "aws-20251103-093005.json").symlink_to(target)
    path = write_export(tmp_path, "aws", AT, "json", b"[]")
    assert path.name == "aws-20251103-093005-2.json" and target.read_text() == "keep"


def test_an_unwritable_exports_dir_is_one_line(tmp_path):
    (tmp_path / "exports").write_text("a file")
    with pytest.raises(ExportError, match=r"^cannot create .*exports: File exists$"):
        write_export(tmp_path, "aws", AT, "csv", b"x")
