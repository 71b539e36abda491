"""The `?` key reference.

Public API
----------
``HelpScreen(rows, *, title="Keys", read_only=False)`` — a ``ModalScreen[None]``.

* ``rows`` is a sequence of ``(key, description, where)`` tuples, e.g. ``("c", "Commit offsets…",
  "Messages")``; ``where`` names the pane or screen where the key works ("" or "Global" for everywhere).
  Rows are grouped by ``where`` in order of first appearance, keeping their order within a group.
* ``read_only`` adds a line saying that write actions are disabled (``--read-only``).
* ``esc``, ``?``, ``q`` or ``enter`` close it. Every string is shown as data, never markup.

``dialog_key_rows()`` — the rows for the keys that work in every dialog (section "Dialogs"), read from the
dialogs' bindings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static

from flytui.keys import help_rows
from flytui.screens._dialog import ALL_PARTITIONS_KEY, Dialog, hint_line, title_line

__all__ = ["HelpScreen", "dialog_key_rows", "group_rows"]


def dialog_key_rows() -> list[tuple[str, str, str]]:
    """``(key, what it does, "Dialogs")`` for the keys of flytui's dialogs: Textual's, then their bindings'."""
    rows = [(key, description, "Dialogs") for key, description in Dialog.OTHER_KEYS_HELP]
    return rows + help_rows([ALL_PARTITIONS_KEY, *Dialog.BINDINGS], "Dialogs")


def group_rows(rows: Sequence[tuple[str, str, str]]) -> list[tuple[str, list[tuple[str, str]]]]:
    """``[(where, [(key, description), ...]), ...]`` grouped by ``where`` in order of first appearance."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for key, description, where in rows:
        groups.setdefault(where or "Global", []).append((key, description))
    return list(groups.items())


class HelpScreen(Dialog[None]):
    """The key reference (see the module docstring)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark,q,enter", "cancel", "Close", show=False),
    ]

    DEFAULT_CSS = """
    HelpScreen > .dialog-box {
        width: 116;
    }
    HelpScreen #help-table {
        height: auto;
        max-height: 30;
    }
    HelpScreen #read-only {
        color: $text-warning;
        width: 100%;
    }
    """

    def __init__(self, rows: Sequence[tuple[str, str, str]], *, title: str = "Keys",
                 read_only: bool = False) -> None:
        super().__init__()
        self._filled_rows: list[tuple[str, str, str]] | None = None
        """The rows the table holds (a kept help screen rebuilds it only when they changed)."""
        self.configure(rows, title=title, read_only=read_only)

    def configure(self, rows: Sequence[tuple[str, str, str]], *, title: str = "Keys",
                  read_only: bool = False) -> None:
        """The keys to list (the dialog is kept between openings: see ``KeptDialogs``)."""
        self.rows = list(rows)
        self.heading = title
        self.read_only = read_only

    def compose(self) -> ComposeResult:
        """Title, the read-only note, the table, the hint."""
        with self.dialog_box():
            yield title_line(self.heading)
            if self.read_only:
                yield Static(Text("Read-only mode: commits, produce, DLQ replay and purge are disabled."),
                             id="read-only")
            yield DataTable(id="help-table", cursor_type="row", zebra_stripes=False, show_cursor=False)
            yield hint_line("esc / ? / q: close · ↑↓ pgup pgdn: scroll")

    def on_mount(self) -> None:
        """Fill the table, one section per ``where``."""
        table = self.query_one("#help-table", DataTable)
        table.add_column("KEY", width=18)
        # a fixed width, and rows as tall as their text: long descriptions wrap instead of running off the box
        table.add_column("ACTION", width=86)
        self._fill(table)

    def refill(self) -> None:
        """List this opening's keys (the same as last time, unless the read-only mode changed) from the top."""
        table = self.query_one("#help-table", DataTable)
        if self.rows != self._filled_rows:
            table.clear()
            self._fill(table)
        table.scroll_home(animate=False)
        self.set_focus(table)

    def _fill(self, table: DataTable[Text]) -> None:
        self._filled_rows = list(self.rows)
        first = True
        for where, entries in group_rows(self.rows):
            if not first:
                table.add_row(Text(""), Text(""))
            first = False
            table.add_row(Text(where, style="bold underline"), Text(""))
            for key, description in entries:
                table.add_row(Text(key, style="bold"), Text(description), height=None)
        table.focus()
