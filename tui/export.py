"""`e` and the palette's exports: the rows shown, in the order shown, with exact prices, as CSV,
TSV, Markdown or JSON (pricesync.core's `render_export`, which neutralises every cell: no
control character, no spreadsheet formula, no Markdown markup). No Textual here."""

from __future__ import annotations

from collections.abc import Sequence

from pricesync.core import CSV_COLUMNS, ExportTable, csv_fields, monthly_price, render_export

from .rows import CatalogRows

EXPORT_TITLES = {"tsv": "TSV", "markdown": "Markdown", "json": "JSON"}  # the palette's exports besides CSV (e)
FROM_ROWS = {  # export column -> CatalogRows column
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


def export_table(rows: CatalogRows, order: Sequence[int]) -> ExportTable:
    """The rows shown in the columns and encoding of every pricesync CSV (core's CSV_COLUMNS,
    csv_fields), with each row's pending change."""
    columns = {name: rows.columns[source] for name, source in FROM_ROWS.items()}
    pending = rows.columns["pending"]
    lines = []
    for row in order:
        values = {name: column.value(row) for name, column in columns.items()}
        price = values["price_per_hour"]
        if price is not None:
            values["price_per_month"] = monthly_price(price)
        if (p := pending.value(row)) is not None:
            values |= {"pending": p.kind, "pending_price": p.price, "pending_change_pct": p.pct}
        if (specs := rows.specs[row]) is not None:
            values |= specs.to_json()
        lines.append(csv_fields(values))
    return ExportTable(CSV_COLUMNS, lines)


def export_bytes(rows: CatalogRows, order: Sequence[int], fmt: str = "csv") -> bytes:
    return render_export(export_table(rows, order), fmt)
