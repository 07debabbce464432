"""`e` and the palette's exports: the rows shown, in the order shown, with exact prices, as CSV,
TSV, Markdown or JSON (pricesync.core's `render_export`, which neutralises every cell: no
control character, no spreadsheet formula, no Markdown markup). No Textual here."""

from __future__ import annotations

from collections.abc import Sequence

from pricesync.core import ExportTable, monthly_price, render_export

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
EXPORT_TITLES = {"tsv": "TSV", "markdown": "Markdown", "json": "JSON"}  # the palette's exports besides CSV (e)
SPEC_COLUMNS = ("type", "family", "vcpu", "mem", "gpu", "arch", "region", "os")


def export_table(rows: CatalogRows, order: Sequence[int]) -> ExportTable:
    specs = [rows.columns[c] for c in SPEC_COLUMNS]
    price, pending, available = (rows.columns[c] for c in ("price", "pending", "available"))
    lines = []
    for row in order:
        p = price.value(row)
        pend = pending.value(row)
        lines.append(
            (
                *(c.value(row) for c in specs),
                None if p is None else f"{p:f}",
                None if p is None else f"{monthly_price(p):f}",
                pend.kind if pend else None,
                None if pend is None or pend.price is None else f"{pend.price:f}",
                None if pend is None or pend.pct is None else f"{pend.pct:.4f}",
                "yes" if available.value(row) else "no",
            )
        )
    return ExportTable(HEADER, lines)


def export_bytes(rows: CatalogRows, order: Sequence[int], fmt: str = "csv") -> bytes:
    return render_export(export_table(rows, order), fmt)
