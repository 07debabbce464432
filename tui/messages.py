"""Messages posted to the app from other threads (log handler, scheduler, workers).

`post_message` is thread-safe and does not block; widgets are only touched by the
handlers of these messages, on the UI thread.
"""

from __future__ import annotations

from pricesync.core.models import SyncResult
from pricesync.core.scheduler import SchedulerEvent
from textual.message import Message

from .changes import EntryHistory, Marks, RunChanges, RunList
from .dataset import Dataset
from .rowindex import RowIndex, View


class LogLine(Message):
    def __init__(self, created: float, levelno: int, text: str) -> None:
        super().__init__()
        self.created = created
        self.levelno = levelno
        self.text = text


class SchedulerChanged(Message):
    def __init__(self, event: SchedulerEvent) -> None:
        super().__init__()
        self.event = event


class DatasetLoaded(Message):
    """A provider's catalog was (re)loaded; `order` holds the rows of `view`, `widths` the
    columns' widths."""

    def __init__(self, generation: int, dataset: Dataset, view: View, order: list[int], widths: dict[str, int]) -> None:
        super().__init__()
        self.generation = generation
        self.dataset = dataset
        self.view = view
        self.order = order
        self.widths = widths


class OrderReady(Message):
    """The rows of a new view (filter, sort, regions) of the catalog behind `index`."""

    def __init__(self, generation: int, index: RowIndex, order: list[int]) -> None:
        super().__init__()
        self.generation = generation
        self.index = index
        self.order = order


class WriteBackDone(Message):
    def __init__(self, result: SyncResult) -> None:
        super().__init__()
        self.result = result


class ExportDone(Message):
    def __init__(self, path: str | None, rows: int, error: str | None = None) -> None:
        super().__init__()
        self.path = path
        self.rows = rows
        self.error = error


class MarksLoaded(Message):
    """The rows the last sync with changes moved, for the table's marks."""

    def __init__(self, generation: int, marks: Marks) -> None:
        super().__init__()
        self.generation = generation
        self.marks = marks


class RunsLoaded(Message):
    def __init__(self, runs: RunList) -> None:
        super().__init__()
        self.runs = runs


class RunChangesLoaded(Message):
    def __init__(self, changes: RunChanges) -> None:
        super().__init__()
        self.changes = changes


class EntryHistoryLoaded(Message):
    def __init__(self, history: EntryHistory) -> None:
        super().__init__()
        self.history = history
