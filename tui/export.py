"""`e`: the rows shown, in the order shown, as CSV with exact prices. No Textual here.

Every cell goes through pricesync.core's `csv_cell`: no control character, and no text a
spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from pricesync.core import csv_cell, monthly_price, write_export

from .rows import CatalogRows

HEADER = (
    "instance_type",
    "family",
    "vcpu",
    "memory_gib",
    "gpu",
    "arch",
    "region",
    "os",
    "price_per_hour",
    "price_per_month",
    "pending",
    "pending_price",
    "pending_change_pct",
    "available",
)
SPEC_COLUMNS = ("type", "family", "vcpu", "mem", "gpu", "arch", "region", "os")


def csv_bytes(rows: CatalogRows, order: Sequence[int]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    specs = [rows.columns[c] for c in SPEC_COLUMNS]
    price, pending, available = (rows.columns[c] for c in ("price", "pending", "available"))
    for row in order:
        p = price.value(row)
        pend = pending.value(row)
        writer.writerow(
            [
                csv_cell(cell)
                for cell in (
                    *(c.value(row) for c in specs),
                    p,
                    None if p is None else f"{monthly_price(p):f}",
                    pend.kind if pend else None,
                    pend.price if pend else None,
                    None if pend is None or pend.pct is None else f"{pend.pct:.4f}",
                    "yes" if available.value(row) else "no",
                )
            ]
        )
    return out.getvalue().encode()


def export_csv(path: Path, rows: CatalogRows, order: Sequence[int]) -> None:
    """Write atomically; raises pricesync.core.ExportError (one line) if it cannot."""
    write_export(path, csv_bytes(rows, order))
