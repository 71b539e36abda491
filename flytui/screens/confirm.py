"""A generic confirmation for destructive actions (DLQ purge, replay all, ...).

Public API
----------
``ConfirmScreen(title, body, consequences=(), *, confirm_key="y", confirm_label="Confirm",
confirm_word=None, danger=True)`` — a ``ModalScreen[bool]``.

* Dismisses ``True`` only on an explicit confirmation:
  * key mode (default): pressing ``confirm_key`` (``y``), or activating the *Confirm* button;
  * word mode (``confirm_word="purge"``): typing that exact word and pressing ``enter`` (or the button,
    which stays disabled until the word is typed). Use it for what cannot be undone.
* Dismisses ``False`` on ``esc``, ``n`` (key mode) or *Cancel*. The *Cancel* button has the focus at
  first, so a stray ``enter`` cancels.
* ``title``, ``body`` and every ``consequences`` line are shown as data (never markup).

Usage: ``app.push_screen(ConfirmScreen("Purge DLQ", "orders.dlq", ["deletes topic orders.dlq"],
confirm_word="purge"), on_answer)``.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Input, Static

from flytui.decode import visible_text
from flytui.screens._dialog import TypedConfirmDialog, error_line, hint_line, title_line
from flytui.widgets.field_input import FieldInput

__all__ = ["ConfirmScreen"]


class ConfirmScreen(TypedConfirmDialog):
    """Ask before a destructive action; ``True`` only on an explicit confirmation (see module docs)."""

    DEFAULT_CSS = """
    ConfirmScreen .confirm-body {
        width: 100%;
        height: auto;
    }
    ConfirmScreen .confirm-consequences {
        width: 100%;
        height: auto;
        margin: 1 0;
        color: $text-warning;
    }
    ConfirmScreen #confirm-word {
        margin-top: 1;
    }
    """

    def __init__(self, title: str, body: str, consequences: Sequence[str] = (), *,
                 confirm_key: str = "y", confirm_label: str = "Confirm", confirm_word: str | None = None,
                 danger: bool = True) -> None:
        super().__init__()
        self.title_text = title
        self.body = body
        self.consequences = list(consequences)
        self.confirm_key = confirm_key
        self.confirm_label = confirm_label
        self.confirm_word = confirm_word
        self.danger = danger

    def compose(self) -> ComposeResult:
        """Title, body, consequences, the confirmation control and the buttons."""
        with self.dialog_box(danger=self.danger):
            yield title_line(self.title_text)
            yield Static(visible_text(self.body, multiline=True), classes="confirm-body")
            if self.consequences:
                lines = Text()
                lines.append("This will:\n", style="bold")
                for line in self.consequences:
                    lines.append("  • ")
                    lines.append_text(visible_text(line))
                    lines.append("\n")
                lines.rstrip()
                yield Static(lines, classes="confirm-consequences", id="consequences")
            if self.confirm_word:
                yield hint_line(f"Type {self.confirm_word} and press enter to confirm. esc cancels.")
                yield FieldInput(placeholder=self.confirm_word, id="confirm-word")
                yield error_line()
            else:
                yield hint_line(f"Press {self.confirm_key} to confirm, n or esc to cancel.")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button(self.confirm_label, id="confirm", variant="error" if self.danger else "primary",
                             disabled=bool(self.confirm_word))

    def on_mount(self) -> None:
        """Focus the word input in word mode, else the Cancel button (so a stray enter cancels)."""
        if self.confirm_word:
            self.query_one("#confirm-word", Input).focus()
        else:
            self.query_one("#cancel", Button).focus()

    def on_key(self, event: events.Key) -> None:
        """Key mode: the confirm key confirms, ``n`` cancels."""
        if self.confirm_word:
            return
        if event.key == self.confirm_key:
            event.stop()
            self.close_with(True)
        elif event.key == "n":
            event.stop()
            self.close_with(False)
