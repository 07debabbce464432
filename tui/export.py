"""`e`: the rows shown, in the order shown, as CSV: the columns and encoding of every pricesync
CSV (pricesync.core's CSV_COLUMNS, csv_fields), with each row's pending change. No Textual here.

Every cell goes through pricesync.core's `csv_cell`: no control character, and no text a
spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from pricesync.core import CSV_COLUMNS, csv_cell, csv_fields, monthly_price, write_export

from .rows import CatalogRows

FROM_ROWS = {  # CSV column -> CatalogRows column
    "instance_type": "type",
    "family": "family",
    "vcpu": "vcpu",
    "memory_gib": "mem",
    "gpu": "gpu",
    "arch": "arch",
    "region": "region",
    "os": "os",
    "price_per_hour": "price",
    "price_synced_at": "synced",
    "available": "available",
}


def csv_bytes(rows: CatalogRows, order: Sequence[int]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    columns = {name: rows.columns[source] for name, source in FROM_ROWS.items()}
    pending = rows.columns["pending"]
    for row in order:
        values = {name: column.value(row) for name, column in columns.items()}
        price = values["price_per_hour"]
        if price is not None:
            values["price_per_month"] = monthly_price(price)
        if (p := pending.value(row)) is not None:
            values |= {"pending": p.kind, "pending_price": p.price, "pending_change_pct": p.pct}
        writer.writerow([csv_cell(cell) for cell in csv_fields(values)])
    return out.getvalue().encode()


def export_csv(path: Path, rows: CatalogRows, order: Sequence[int]) -> Path:
    """Write atomically; returns the path written (`path`, or `<name>-2.csv` when an export of
    the same second has it); raises pricesync.core.ExportError (one line) if it cannot."""
    return write_export(path, csv_bytes(rows, order))
