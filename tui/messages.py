"""Messages posted to the app from other threads (log handler, scheduler, workers).

`post_message` is thread-safe and does not block; widgets are only touched by the
handlers of these messages, on the UI thread. Each message is a dataclass (Textual's Message
initialises itself in `__post_init__`).
"""

from __future__ import annotations

from dataclasses import dataclass

from pricesync.core import SanityReport, SavedView, SchedulerEvent, Snapshot, SyncResult
from textual.message import Message

from .cells import Layout
from .changes import EntryHistory, Marks, RunChanges, RunList
from .dataset import Dataset
from .rowindex import RowIndex, View


@dataclass
class LogLine(Message):
    created: float
    levelno: int
    text: str


@dataclass
class SchedulerChanged(Message):
    event: SchedulerEvent


@dataclass
class DatasetLoaded(Message):
    """A provider's catalog was (re)loaded; `order` holds the rows of `view`, `layout` the
    columns' widths and decimals."""

    generation: int
    dataset: Dataset
    view: View
    order: list[int]
    layout: Layout


@dataclass
class OrderReady(Message):
    """The rows of a new view (filter, sort, regions) of the catalog behind `index`."""

    generation: int
    index: RowIndex
    order: list[int]


@dataclass
class WriteBackDone(Message):
    result: SyncResult


@dataclass
class ExportDone(Message):
    path: str | None
    rows: int
    error: str | None = None


@dataclass
class MarksLoaded(Message):
    """The rows the last sync with changes moved, for the table's marks."""

    generation: int
    marks: Marks


@dataclass
class RunsLoaded(Message):
    runs: RunList


@dataclass
class RunChangesLoaded(Message):
    changes: RunChanges


@dataclass
class EntryHistoryLoaded(Message):
    history: EntryHistory


@dataclass
class GuardReady(Message):
    """What the sanity guard says of writing back `snapshot`, for the confirm dialog."""

    snapshot: Snapshot
    guard: SanityReport


@dataclass
class SyncProgress(Message):
    """A running sync's download of one region (core's Progress callback, from its thread)."""

    region: str
    done: int  # bytes
    total: int | None
    at: float  # time.monotonic()


@dataclass
class FilesChanged(Message):
    """The provider's catalog, cache or state.json changed on disk (another process wrote)."""

    provider: str
    signature: tuple


@dataclass
class ViewsLoaded(Message):
    """The saved views (views.json), or why they cannot be read."""

    views: dict[str, SavedView]
    error: str | None = None


@dataclass
class ViewSaved(Message):
    name: str
    error: str | None = None
