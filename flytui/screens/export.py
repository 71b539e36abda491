"""Export records to a JSONL file: choose what and where, then watch the progress.

Public API
----------
``ExportScreen(default_path="flytui-export.jsonl", *, partition=0, low=0, high=0, view_count=0,
filter_text="")`` — a ``ModalScreen[ExportRequest | None]``.

* ``partition`` and ``[low, high)`` describe the partition being browsed, ``view_count`` how many records
  the current view holds, ``filter_text`` the active filter ("" = none: the *filter matches* scope is
  then disabled).
* Scopes: the current view; an offset range ``[from, to)`` of the partition; the filter's matches within
  that range. The range defaults to the whole partition.
* The path is expanded (``~``) and made absolute. An existing file is never replaced silently: the
  *overwrite* box must be ticked, otherwise the dialog refuses with a message.
* ``enter`` in a field / *Export* dismisses with an :class:`ExportRequest`; ``esc`` with ``None``.
  Write the file with :func:`flytui.export.write_jsonl` (pass ``overwrite=request.overwrite``).

``ExportProgressScreen(path, total=None, *, cancel=None)`` — a ``ModalScreen[None]`` with a progress bar.
Feed it with ``update_progress(done, total=None, *, finished=False, error="")`` from the UI thread (e.g. on
each ``ExportProgress`` message); ``esc`` / ``enter`` closes it at any time (an unfinished export carries
on in the background). With ``cancel`` (a ``threading.Event`` the export watches), ``c`` or the *Cancel
export* button sets it while the export runs.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from enum import Enum
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Button, Checkbox, Input, ProgressBar, RadioButton, RadioSet, Static

from flytui.decode import visible_text
from flytui.offset_plan import parse_explicit_offset
from flytui.screens._dialog import Dialog, error_line, hint_line, label_line, title_line
from flytui.widgets._in_place import relabel_in_place, update_in_place
from flytui.widgets.field_input import FieldInput

__all__ = ["ExportProgressScreen", "ExportRequest", "ExportScope", "ExportScreen", "check_export_path"]


class ExportScope(str, Enum):
    """What to export."""

    VIEW = "view"
    """The records in the current view."""
    RANGE = "range"
    """Every record of the partition in ``[start, end)``."""
    MATCHES = "matches"
    """The filter's matches in ``[start, end)``."""


@dataclass(frozen=True)
class ExportRequest:
    """What :class:`ExportScreen` asked for. ``start``/``end`` (end exclusive) are ``None`` for the view."""

    path: str
    scope: ExportScope
    partition: int
    start: int | None
    end: int | None
    overwrite: bool
    filter_text: str = ""


def check_export_path(text: str, overwrite: bool) -> str:
    """The absolute path to write, or :class:`ValueError` saying why not (empty, a folder, a missing
    folder, or an existing file without ``overwrite``)."""
    raw = text.strip()
    if not raw:
        raise ValueError("Type the file to write, e.g. ~/orders.jsonl.")
    path = os.path.abspath(os.path.expanduser(raw))
    if os.path.isdir(path):
        raise ValueError(f"{path} is a folder: add a file name.")
    folder = os.path.dirname(path)
    if not os.path.isdir(folder):
        raise ValueError(f"The folder {folder} does not exist.")
    if os.path.lexists(path) and not overwrite:
        raise ValueError(f"{path} already exists: tick 'overwrite' or choose another name.")
    return path


class ExportScreen(Dialog["ExportRequest | None"]):
    """Ask what to export and where (see the module docstring)."""

    SUBMIT_BUTTON: ClassVar[str | None] = "export"

    DEFAULT_CSS = """
    ExportScreen #path {
        width: 100%;
    }
    ExportScreen .range-row {
        height: auto;
        width: 100%;
    }
    ExportScreen .range-row Input {
        width: 24;
    }
    ExportScreen .range-row Static {
        width: auto;
        padding: 1 1;
    }
    ExportScreen #path-warning.-exists {
        color: $text-warning;
    }
    ExportScreen #path-warning {
        color: $text-muted;
        width: 100%;
        height: auto;
    }
    """

    def __init__(self, default_path: str = "flytui-export.jsonl", *, partition: int = 0, low: int = 0,
                 high: int = 0, view_count: int = 0, filter_text: str = "") -> None:
        super().__init__()
        self.configure(default_path, partition=partition, low=low, high=high, view_count=view_count,
                       filter_text=filter_text)

    def configure(self, default_path: str = "flytui-export.jsonl", *, partition: int = 0, low: int = 0,
                  high: int = 0, view_count: int = 0, filter_text: str = "") -> None:
        """What this opening can export (the dialog is kept between openings: see ``KeptDialogs``)."""
        self.default_path = default_path
        self.partition = partition
        self.low = low
        self.high = high
        self.view_count = view_count
        self.filter_text = filter_text

    def compose(self) -> ComposeResult:
        """Path, overwrite box, scope, range, errors, buttons."""
        with self.dialog_box():
            yield title_line("Export to a JSONL file")
            yield hint_line("One JSON object per line: topic, partition, offset, key, value "
                            "(UTF-8 text, or base64 with key_encoding / value_encoding).")
            yield label_line("File")
            yield FieldInput(value=self.default_path, id="path")
            yield Static("", id="path-warning", markup=False)
            yield Checkbox("overwrite if the file exists", id="overwrite")
            yield label_line("Export")
            view_label, range_label, matches_label = self._scope_labels()
            with RadioSet(id="scope"):
                yield RadioButton(view_label, value=True, id="scope-view")
                yield RadioButton(range_label, id="scope-range")
                yield RadioButton(matches_label, id="scope-matches", disabled=not self.filter_text)
            with Horizontal(classes="range-row"):
                yield Static(Text("from offset"))
                yield FieldInput(value=str(self.low), id="range-from", disabled=True)
                yield Static(Text("to (exclusive)"))
                yield FieldInput(value=str(self.high), id="range-to", disabled=True)
            yield hint_line(self._range_hint(), id="range-hint")
            yield error_line()
            yield hint_line("enter: export · esc: cancel")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Export", id="export", variant="primary")

    def _scope_labels(self) -> tuple[Text, Text, Text]:
        matches = (Text.assemble("the filter's matches in that range (filter: ",
                                 visible_text(self.filter_text, style="bold"), ")")
                   if self.filter_text else Text("the filter's matches (no filter set)"))
        return (Text(f"the current view ({self.view_count} records)"),
                Text(f"an offset range of partition {self.partition}"), matches)

    def _range_hint(self) -> Text:
        return Text(f"Partition {self.partition} holds offsets {self.low}..{self.high - 1}."
                    if self.high > self.low else f"Partition {self.partition} holds no records.")

    def on_mount(self) -> None:
        """Focus the path and check it."""
        self.set_focus(self.query_one("#path", Input))
        self._check_path()

    def refill(self) -> None:
        """Show this opening's partition, range, view and filter in the widgets of an earlier opening."""
        self.query_one("#path", Input).value = self.default_path
        self.query_one("#overwrite", Checkbox).value = False
        for button_id, label in zip(("#scope-view", "#scope-range", "#scope-matches"), self._scope_labels(),
                                    strict=True):
            relabel_in_place(self.query_one(button_id, RadioButton), label)
        self.query_one("#scope-matches", RadioButton).disabled = not self.filter_text
        self.query_one("#scope-view", RadioButton).value = True
        for input_id, value in (("#range-from", self.low), ("#range-to", self.high)):
            field = self.query_one(input_id, Input)
            field.value = str(value)
            field.disabled = True
        update_in_place(self.query_one("#range-hint", Static), self._range_hint())
        self.clear_error()
        self.query_one(".dialog-box").scroll_home(animate=False)
        self.on_mount()

    @property
    def scope(self) -> ExportScope:
        """The chosen scope."""
        pressed = self.query_one("#scope", RadioSet).pressed_button
        if pressed is None or pressed.id is None:
            return ExportScope.VIEW
        return ExportScope(pressed.id.removeprefix("scope-"))

    @on(RadioSet.Changed, "#scope")
    def _scope_changed(self) -> None:
        ranged = self.scope is not ExportScope.VIEW
        self.query_one("#range-from", Input).disabled = not ranged
        self.query_one("#range-to", Input).disabled = not ranged
        self.clear_error()

    def _check_path(self) -> None:
        warning = self.query_one("#path-warning", Static)
        raw = self.query_one("#path", Input).value.strip()
        path = os.path.abspath(os.path.expanduser(raw)) if raw else ""
        exists = bool(path) and os.path.lexists(path) and not os.path.isdir(path)
        warning.set_class(exists, "-exists")
        if exists:
            overwrite = self.query_one("#overwrite", Checkbox).value
            update_in_place(warning, visible_text(f"⚠ {path} exists: it will be REPLACED" if overwrite
                                                  else f"⚠ {path} exists: tick 'overwrite' or choose another name"))
        else:
            update_in_place(warning, visible_text(f"→ {path}" if path else ""))

    @on(Input.Changed, "#path")
    @on(Checkbox.Changed, "#overwrite")
    def _path_changed(self) -> None:
        self._check_path()
        self.clear_error()

    @on(Input.Changed, "#range-from, #range-to")
    def _range_changed(self) -> None:
        self.clear_error()

    def build_result(self) -> ExportRequest:
        """The request the form describes; :class:`ValueError` with a message for the user if invalid."""
        overwrite = self.query_one("#overwrite", Checkbox).value
        path = check_export_path(self.query_one("#path", Input).value, overwrite)
        scope = self.scope
        if scope is ExportScope.VIEW:
            if self.view_count <= 0:
                raise ValueError("The current view holds no records.")
            return ExportRequest(path, scope, self.partition, None, None, overwrite, self.filter_text)
        try:
            start = parse_explicit_offset(self.query_one("#range-from", Input).value)
            end = parse_explicit_offset(self.query_one("#range-to", Input).value)
        except ValueError as exc:
            raise ValueError(f"Range: {exc}") from None
        if start < self.low:
            raise ValueError(f"Range: {start} is before the lowest retained offset {self.low}.")
        if end > self.high:
            raise ValueError(f"Range: {end} is past the end; the next offset to be written is {self.high}.")
        if start >= end:
            raise ValueError(f"Range: from ({start}) must be below to ({end}, exclusive).")
        return ExportRequest(path, scope, self.partition, start, end, overwrite, self.filter_text)

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_submit()


class ExportProgressScreen(Dialog[None]):
    """A progress bar for a running export (see the module docstring)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "cancel", "Close", show=False),
        Binding("c", "cancel_export", "Cancel export", show=False),
    ]

    DEFAULT_CSS = """
    ExportProgressScreen #progress {
        width: 100%;
        margin-top: 1;
    }
    ExportProgressScreen #progress-status {
        width: 100%;
        height: auto;
    }
    ExportProgressScreen #progress-status.-ok {
        color: $text-success;
    }
    ExportProgressScreen #progress-status.-error {
        color: $text-error;
    }
    """

    def __init__(self, path: str, total: int | None = None, *, cancel: threading.Event | None = None) -> None:
        super().__init__()
        self.path = path
        self.total = total
        self.cancel = cancel
        self.done = 0
        self.finished = False
        self.error = ""

    def compose(self) -> ComposeResult:
        """Title, bar, status line, hint."""
        with self.dialog_box():
            yield title_line(Text.assemble("Exporting to ", (self.path, "bold")))
            yield ProgressBar(total=self.total, show_eta=True, id="progress")
            yield Static(Text("starting…"), id="progress-status")
            if self.cancel is not None:
                yield hint_line("c: cancel the export (nothing is written) · "
                                "esc / enter: close this window (the export continues)")
                with Horizontal(classes="dialog-buttons"):
                    yield Button("Cancel export", id="cancel-export", variant="error")
            else:
                yield hint_line("esc / enter: close (an unfinished export continues in the background)")

    def action_cancel_export(self) -> None:
        """Ask the running export to stop (it then removes its temporary file)."""
        if self.cancel is None or self.finished or self.error or self.cancel.is_set():
            return
        self.cancel.set()
        self.query_one("#progress-status", Static).update(Text(f"cancelling after {self.done} record(s)…"))

    @on(Button.Pressed, "#cancel-export")
    def _cancel_export_pressed(self) -> None:
        self.action_cancel_export()

    def update_progress(self, done: int, total: int | None = None, *, finished: bool = False,
                        error: str = "") -> None:
        """Show ``done`` records written (of ``total``); ``finished`` / ``error`` end the export."""
        self.done = done
        if total is not None:
            self.total = total
        self.finished = finished
        self.error = error
        if not self.is_mounted:
            return
        bar = self.query_one("#progress", ProgressBar)
        status = self.query_one("#progress-status", Static)
        if finished or error:
            for button in self.query("#cancel-export"):
                button.disabled = True
        if error:
            status.set_classes("-error")
            status.update(visible_text(f"✗ Export failed after {done} record(s): {error}"))
            return
        if finished:
            bar.update(total=max(done, 1), progress=max(done, 1))
            status.set_classes("-ok")
            status.update(visible_text(f"✓ {done} record(s) written to {self.path}"))
            return
        bar.update(total=self.total, progress=done)
        of = f" of {self.total}" if self.total is not None else ""
        status.update(Text(f"{done}{of} record(s) written…"))

    def on_mount(self) -> None:
        """Show whatever progress arrived before the screen was mounted."""
        if self.done or self.finished or self.error:
            self.update_progress(self.done, finished=self.finished, error=self.error)
