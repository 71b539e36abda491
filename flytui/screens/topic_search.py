"""The whole-topic search view: an expression, where to start, which partitions; one progress line; the
matches (partition, offset, key, preview).

``TopicSearchScreen(topic, partition_count, state)`` is a ``ModalScreen[tuple[int, int] | None]``:

* ``enter`` in a field starts the search; the app runs it (:class:`SearchRequested` bubbles to the app,
  which answers through :meth:`TopicSearchScreen.show`). A field the app cannot use gets its message in the
  ``#error`` line (an expression error with a caret under the position where it fails).
* ``esc`` cancels a running search (the matches found so far stay); on a finished one it closes the view.
* ``enter`` on a match dismisses with ``(partition, offset)``: the app opens it in the stream.

The state shown lives in the app (:class:`SearchState`), so reopening the view shows the last search.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import DataTable, Input, Static

from flytui.decode import preview, visible_text
from flytui.screens._dialog import Dialog, error_line, hint_line, title_line
from flytui.topic_search import SearchSnapshot
from flytui.widgets.field_input import FieldInput

__all__ = ["SearchRequested", "SearchState", "TopicSearchScreen", "progress_text"]

KEY_WIDTH = 24
PREVIEW_WIDTH = 120


@dataclass
class SearchState:
    """One whole-topic search as the app keeps it: what was asked, and the last progress it heard."""

    topic: str
    expression: str = ""
    start: str = "beginning"
    partitions: str = "all"
    search_id: int = 0
    snapshot: SearchSnapshot | None = None
    skipped: tuple[int, ...] = ()
    error: str = ""
    cancel: threading.Event | None = None
    cancelled: bool = False

    @property
    def running(self) -> bool:
        """True while the search scans."""
        return self.cancel is not None and not self.cancelled and not (self.snapshot and self.snapshot.finished)


@dataclass
class SearchRequested(Message):
    """The user asked for a search (the texts as typed; the app parses and runs it)."""

    expression: str
    start: str
    partitions: str


def progress_text(state: SearchState) -> Text:
    """The one progress line: records scanned (and their rate), partitions done, matches so far."""
    snap = state.snapshot
    if state.error and snap is None:
        return Text("")
    if snap is None:
        return Text("Type an expression and press enter.", style="dim") if not state.cancel else Text("Starting…")
    if state.cancelled:
        status = "Cancelled"
    elif snap.finished:
        status = "Done"
    else:
        status = "Scanning"
    line = Text(f"{status}: ")
    line.append(f"{snap.scanned:,}", "bold")
    line.append(f" of {snap.total:,} records · {snap.rate:,.0f} rec/s · partitions {snap.partitions_done}/"
                f"{snap.partitions_total} · ")
    line.append(f"{snap.match_count:,} match{'es' if snap.match_count != 1 else ''}", "bold")
    if snap.capped:
        line.append(f" (the first {len(snap.matches):,} are kept and listed)", "yellow")
    if snap.finished and snap.first_match_after is not None:
        line.append(f" · first after {snap.first_match_after:.2f} s", "dim")
    if state.skipped:
        line.append(f" · no start on partition{'s' if len(state.skipped) > 1 else ''} "
                    f"{', '.join(map(str, state.skipped))}", "yellow")
    for problem in snap.errors[:2]:
        line.append(f" · {problem}", "red")
    return line


class TopicSearchScreen(Dialog["tuple[int, int] | None"]):
    """Search every partition of a topic and list the matches (see the module docstring)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel / close", show=False)]

    DEFAULT_CSS = """
    TopicSearchScreen > .dialog-box {
        width: 100%;
        max-width: 100%;
        height: 100%;
        max-height: 100%;
    }
    TopicSearchScreen #search-expression {
        width: 100%;
    }
    TopicSearchScreen .search-options {
        height: auto;
        width: 100%;
    }
    TopicSearchScreen .search-options Input {
        width: 1fr;
    }
    TopicSearchScreen .search-options Static {
        width: auto;
        padding: 1 1 0 1;
    }
    TopicSearchScreen #search-progress {
        width: 100%;
        height: auto;
    }
    TopicSearchScreen #search-results {
        height: 1fr;
        min-height: 3;
    }
    """

    def __init__(self, topic: str, partition_count: int, state: SearchState) -> None:
        super().__init__()
        self.topic = topic
        self.partition_count = partition_count
        self.state = state
        self._listed: list[str] = []
        self._listed_search = -1

    def compose(self) -> ComposeResult:
        """Title, the three fields, the progress line, the results and the keys."""
        with self.dialog_box():
            yield title_line(Text.assemble("Search the whole topic ", (self.topic, "bold"),
                                           f" ({self.partition_count} partitions)"))
            yield FieldInput(value=self.state.expression, id="search-expression",
                        placeholder='text, /regex/, $.status == "paid", key ~ /^cust-01/ …')
            with Horizontal(classes="search-options"):
                yield Static("From")
                yield FieldInput(value=self.state.start, id="search-start",
                            placeholder="beginning, end-N, group:NAME, offset")
                yield Static("Partitions")
                yield FieldInput(value=self.state.partitions, id="search-partitions", placeholder="all, 0,2 or 0-3")
            yield error_line()
            yield Static("", id="search-progress", markup=False)
            table: DataTable[Any] = DataTable(id="search-results", cursor_type="row", zebra_stripes=True)
            yield table
            yield hint_line("enter: search (in a field) / open the match in the stream (in the list) · "
                            "tab: fields and list · esc: cancel the scan, then close")

    def on_mount(self) -> None:
        """Columns, the last search's results, focus on the expression."""
        table = self.query_one("#search-results", DataTable)
        table.add_column("Partition", key="partition", width=9)
        table.add_column("Offset", key="offset", width=12)
        table.add_column("Key", key="key", width=KEY_WIDTH)
        table.add_column("Preview", key="preview")
        self.query_one("#search-expression", Input).focus()
        self.show(self.state)

    def show(self, state: SearchState) -> None:
        """Show ``state``: the error, the progress line, and the matches not listed yet."""
        self.state = state
        error = self.query_one("#error", Static)
        error.update(visible_text(state.error, multiline=True) if state.error else "")
        self.query_one("#search-progress", Static).update(progress_text(state))
        table = self.query_one("#search-results", DataTable)
        matches = state.snapshot.matches if state.snapshot else ()
        keys = [f"{m.partition}:{m.offset}" for m in matches]
        if self._listed_search != state.search_id or keys[:len(self._listed)] != self._listed:
            # another search, or the final order (sorted by partition and offset): list again, cursor kept
            chosen = None
            if table.has_focus and self._listed_search == state.search_id and \
                    0 <= table.cursor_row < len(self._listed):
                chosen = self._listed[table.cursor_row]  # the row the user is on
            table.clear()
            self._listed = []
            self._listed_search = state.search_id
            self._add_rows(table, matches, keys)
            if chosen in keys:
                table.move_cursor(row=keys.index(chosen))
            return
        self._add_rows(table, matches[len(self._listed):], keys[len(self._listed):])

    def _add_rows(self, table: DataTable[Any], matches: tuple[Any, ...], keys: list[str]) -> None:
        for match, key in zip(matches, keys, strict=True):
            table.add_row(Text(str(match.partition), justify="right"), Text(f"{match.offset:,}", justify="right"),
                          preview(match.key, KEY_WIDTH), preview(match.value, PREVIEW_WIDTH), key=key)
        self._listed.extend(keys)

    def _request(self) -> None:
        self.state.error = ""
        self.post_message(SearchRequested(self.query_one("#search-expression", Input).value,
                                          self.query_one("#search-start", Input).value,
                                          self.query_one("#search-partitions", Input).value))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._request()

    @on(DataTable.RowSelected, "#search-results")
    def _open(self, event: DataTable.RowSelected) -> None:
        event.stop()
        partition, _, offset = str(event.row_key.value).partition(":")
        self.close_with((int(partition), int(offset)))

    def action_cancel(self) -> None:
        """Cancel the running scan; with none running, close the view."""
        if self.state.running and self.state.cancel is not None:
            self.state.cancel.set()
            self.state.cancelled = True
            self.show(self.state)
            return
        self.close_with(None)
