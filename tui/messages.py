"""Messages posted to the app from other threads (log handler, scheduler, workers).

`post_message` is thread-safe and does not block; widgets are only touched by the
handlers of these messages, on the UI thread. Each message is a dataclass (Textual's Message
initialises itself in `__post_init__`).
"""

from __future__ import annotations

from dataclasses import dataclass

from pricesync.core import SavedView, SchedulerEvent, SyncResult
from textual.message import Message

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
    """A provider's catalog was (re)loaded; `order` holds the rows of `view`, `widths` the
    columns' widths."""

    generation: int
    dataset: Dataset
    view: View
    order: list[int]
    widths: dict[str, int]


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
class ViewsLoaded(Message):
    """The saved views (views.json), or why they cannot be read."""

    views: dict[str, SavedView]
    error: str | None = None


@dataclass
class ViewSaved(Message):
    name: str
    error: str | None = None
