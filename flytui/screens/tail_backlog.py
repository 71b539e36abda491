"""Ask how much history a live tail starts with: the last N records of each partition (``kcat -o -N``).

Public API
----------
``TailBacklogScreen(last=100, partitions=None)`` — a ``ModalScreen[int | None]``, prefilled with ``last`` and
selected, so ``T`` ``enter`` repeats it and typed digits replace it. ``enter`` dismisses with N (0: from now),
``esc`` with None. :func:`parse_backlog` is the pure check behind it.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import Input, Static

from flytui.screens._dialog import Dialog, error_line, hint_line, label_line, title_line
from flytui.widgets._in_place import update_in_place
from flytui.widgets.field_input import FieldInput

__all__ = ["BACKLOG_MAX", "TailBacklogScreen", "parse_backlog"]

BACKLOG_MAX = 50_000
"""The most records a tail starts with per partition (the tail holds the newest 50,000 in all)."""


def parse_backlog(text: str) -> int:
    """The backlog N typed (``100``, ``-100`` as kcat writes it, ``1,000``); ValueError with the reason."""
    cleaned = text.strip().replace(",", "").replace("_", "").lstrip("-")
    if not cleaned.isdigit():
        raise ValueError("Type how many records of each partition to show first, e.g. 100 (0: only new ones).")
    value = int(cleaned)
    if value > BACKLOG_MAX:
        raise ValueError(f"At most {BACKLOG_MAX:,} records a partition (the tail keeps the newest 50,000).")
    return value


class TailBacklogScreen(Dialog[int | None]):
    """The live tail's backlog prompt (see the module docstring)."""

    def __init__(self, last: int = 100, partitions: int | None = None) -> None:
        super().__init__()
        self.configure(last, partitions)

    def configure(self, last: int = 100, partitions: int | None = None) -> None:
        """The backlog offered and the partitions it applies to (kept between openings: see ``KeptDialogs``)."""
        self.last = last
        self.partitions = partitions

    def _label(self) -> Text:
        each = "each partition" if self.partitions is None else f"each of the {self.partitions} partitions"
        return Text(f"Start with the last N records of {each}, then follow new ones:")

    def compose(self) -> ComposeResult:
        """Title, the number, hints."""
        with self.dialog_box():
            yield title_line("Live tail with backlog")
            yield label_line(self._label(), id="backlog-label")
            yield FieldInput(value=str(self.last), id="backlog", restrict=r"[-0-9,_]*", select_on_focus=True)
            yield error_line()
            yield hint_line("enter: start the tail · 0: only new records (like t) · esc: cancel")

    def on_mount(self) -> None:
        """Focus the number (selected: typing replaces it)."""
        self.set_focus(self.query_one("#backlog", Input))

    def refill(self) -> None:
        """Offer this opening's backlog in the widgets of an earlier opening."""
        update_in_place(self.query_one("#backlog-label", Static), self._label())
        self.query_one("#backlog", Input).value = str(self.last)
        self.clear_error()
        self.on_mount()

    @on(Input.Submitted, "#backlog")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.submit(lambda: parse_backlog(event.value))
