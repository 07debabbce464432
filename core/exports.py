"""Exports of the rows a client shows (the dashboard's `e` and palette, `pricesync list --csv
/ --tsv / --markdown / --json`): one table, four formats, every string neutralised
(core.textsafe). Files go to `<data dir>/exports/<provider>-<time>.<ext>`, written atomically
and never over another export: two in the same second get `-2`, `-3`, ... (core.fileio)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .errors import CatalogError, ExportError
from .fileio import atomic_create_bytes
from .textsafe import csv_cell, markdown_cell, terminal

Cell = str | int | float | bool | None
EXPORT_FORMATS = {"csv": "csv", "tsv": "tsv", "markdown": "md", "json": "json"}  # format -> file extension
MAX_SAME_NAME = 1000  # exports of one provider in one second


@dataclass(frozen=True)
class ExportTable:
    """Rows under a header of field names (the CSV header, the JSON keys)."""

    header: tuple[str, ...]
    rows: Sequence[Sequence[object]]  # Cell values (csv_fields gives them as object)


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _csv(table: ExportTable, delimiter: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(table.header)
    writer.writerows([csv_cell(_text(v)) for v in row] for row in table.rows)
    return out.getvalue()


def _tsv(table: ExportTable) -> str:
    """Tab-separated: a cell holds no tab or line break (`csv_cell` escapes every control character)."""
    lines = ["\t".join(table.header)]
    lines += ["\t".join(csv_cell(_text(v)) for v in row) for row in table.rows]
    return "\n".join(lines) + "\n"


def _markdown(table: ExportTable) -> str:
    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(cells) + " |"

    lines = [line([markdown_cell(h) for h in table.header]), line(["---"] * len(table.header))]
    lines += [line([markdown_cell(_text(v)) for v in row]) for row in table.rows]
    return "\n".join(lines) + "\n"


def _json(table: ExportTable) -> str:
    def value(v: object) -> object:
        return terminal(v) if isinstance(v, str) else v

    objects = [{k: value(v) for k, v in zip(table.header, row, strict=True)} for row in table.rows]
    return json.dumps(objects, indent=1, ensure_ascii=False) + "\n"


_RENDER: dict[str, Callable[[ExportTable], str]] = {
    "csv": lambda t: _csv(t, ","),
    "tsv": _tsv,
    "markdown": _markdown,
    "json": _json,
}


def render_export(table: ExportTable, fmt: str) -> bytes:
    """The table in `fmt` (one of EXPORT_FORMATS), UTF-8."""
    return _RENDER[fmt](table).encode()


def write_export(data: Path, provider: str, at: datetime, fmt: str, content: bytes) -> Path:
    """Write an export to a new file in `<data>/exports` and return its path; never replaces a
    file. ExportError (one line naming the file) if it cannot be written."""
    folder = data / "exports"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"cannot create {folder}: {exc.strerror or exc}") from None
    stem = f"{provider}-{at:%Y%m%d-%H%M%S}"
    for n in range(1, MAX_SAME_NAME + 1):
        path = folder / f"{stem}{f'-{n}' if n > 1 else ''}.{EXPORT_FORMATS[fmt]}"
        try:
            atomic_create_bytes(path, content)
        except FileExistsError:
            continue
        except CatalogError as exc:
            raise ExportError(str(exc)) from None
        return path
    raise ExportError(f"cannot write {folder / stem}.*: {MAX_SAME_NAME} exports in the same second")
