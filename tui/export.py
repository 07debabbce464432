"""`e` and the palette's exports: the rows shown, in the order shown, with exact prices, as CSV,
TSV, Markdown or JSON (pricesync.core's `render_export`, which neutralises every cell: no
control character, no spreadsheet formula, no Markdown markup). The columns and cells are
`pricesync list --csv`'s for the same price kind and --units (core's export_columns and
kind_export_values). No Textual here."""

from __future__ import annotations

from collections.abc import Sequence

from pricesync.core import (
    CatalogEntry,
    ExportTable,
    csv_fields,
    export_columns,
    kind_export_values,
    monthly_price,
    render_export,
)

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
    "price_synced_at": "synced",
    "available": "available",
}


def export_table(
    rows: CatalogRows, order: Sequence[int], entries: Sequence[CatalogEntry], units: bool = False
) -> ExportTable:
    """The rows shown in the columns and encoding of every pricesync CSV (core's csv_columns,
    csv_fields), with each row's pending change; a price kind's columns when `rows` show one,
    the unit prices' when `units`. `entries` are the catalog's: row i is entries[i] (the rows
    after them are the cache's added ones)."""
    columns = {name: rows.columns[source] for name, source in FROM_ROWS.items()}
    pending = rows.columns["pending"]
    header = export_columns(rows.kind, units)
    lines = []
    for row in order:
        entry = entries[row] if row < len(entries) else None
        values = {name: column.value(row) for name, column in columns.items()}
        price = entry.price_per_hour if entry else None  # on demand's, whatever kind is shown
        if price is not None:
            values |= {"price_per_hour": price, "price_per_month": monthly_price(price)}
        if (p := pending.value(row)) is not None:
            values |= {"pending": p.kind, "pending_price": p.price, "pending_change_pct": p.pct}
        if (specs := rows.specs[row]) is not None:
            values |= specs.to_json()
        lines.append(csv_fields(values | kind_export_values(entry, rows.kind, units), header))
    return ExportTable(header, lines)


def export_bytes(
    rows: CatalogRows, order: Sequence[int], entries: Sequence[CatalogEntry], fmt: str = "csv", units: bool = False
) -> bytes:
    return render_export(export_table(rows, order, entries, units), fmt)
