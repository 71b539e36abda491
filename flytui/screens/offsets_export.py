"""Save a consumer group's committed offsets on a topic to a CSV file (``topic,partition,offset``).

The ``kafka-consumer-groups --export`` habit: save the offsets before an incident change, and plan a commit
back to them later (the commit dialog's "offsets in a CSV file" target).

Public API
----------
``OffsetsExportScreen(topic, group="", *, groups=())`` — a ``ModalScreen[OffsetsExportRequest | None]``.
Fields: the group (completions from ``groups``), the file (default ``<group>-<topic>-offsets.csv``), an
*overwrite* box; ``tab`` / ``shift+tab`` move between them and the buttons. ``enter`` in a field / *Save*
dismisses with an :class:`OffsetsExportRequest`; ``esc`` / *Cancel* with ``None``. An existing file is
never replaced unless *overwrite* is ticked. Reading the offsets and writing the file is the caller's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.suggester import SuggestFromList
from textual.widgets import Button, Checkbox, Input, Static

from flytui.decode import visible_text
from flytui.screens._dialog import Dialog, error_line, hint_line, label_line, title_line
from flytui.screens.export import check_export_path
from flytui.widgets._in_place import update_in_place
from flytui.widgets.field_input import FieldInput

__all__ = ["OffsetsExportRequest", "OffsetsExportScreen", "default_offsets_path"]


@dataclass(frozen=True)
class OffsetsExportRequest:
    """Which group's offsets to save, and where."""

    group: str
    path: str
    overwrite: bool


def default_offsets_path(topic: str, group: str) -> str:
    """``<group>-<topic>-offsets.csv`` with anything unusual in the names replaced by ``_``."""
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in f"{group or 'group'}-{topic}")
    return f"{safe}-offsets.csv"


class OffsetsExportScreen(Dialog["OffsetsExportRequest | None"]):
    """Ask which group's offsets to save and where (see the module docstring)."""

    SUBMIT_BUTTON: ClassVar[str | None] = "save"

    DEFAULT_CSS = """
    OffsetsExportScreen #group, OffsetsExportScreen #path {
        width: 100%;
    }
    """

    def __init__(self, topic: str, group: str = "", *, groups: Sequence[str] = ()) -> None:
        super().__init__()
        self.configure(topic, group, groups=groups)

    def configure(self, topic: str, group: str = "", *, groups: Sequence[str] = ()) -> None:
        """The topic and group of this opening (the dialog is kept between openings: see ``KeptDialogs``)."""
        self.topic = topic
        self.group = group
        self.groups = list(groups)

    def _heading(self) -> Text:
        heading = Text("Save a group's committed offsets on ")
        heading.append_text(visible_text(self.topic, style="bold"))
        return heading

    def compose(self) -> ComposeResult:
        """Group, file, overwrite box, errors, buttons."""
        with self.dialog_box():
            title = title_line(self._heading())
            title.id = "title"
            yield title
            yield hint_line("CSV lines topic,partition,offset, as kafka-consumer-groups --export writes them. "
                            "Plan a commit back to them with c → 'the offsets in a CSV file'.")
            yield label_line("Group")
            yield FieldInput(value=self.group, id="group", placeholder="group name",
                        suggester=SuggestFromList(self.groups) if self.groups else None)
            yield label_line("File")
            yield FieldInput(value=default_offsets_path(self.topic, self.group), id="path")
            yield Checkbox("overwrite if the file exists", id="overwrite")
            yield error_line()
            yield hint_line("enter: save · tab / shift+tab: next / previous field · space: tick · esc: cancel")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Save", id="save", variant="primary")

    def on_mount(self) -> None:
        """Focus the group when it is empty, else the file."""
        self.set_focus(self.query_one("#path" if self.group else "#group", Input))

    def refill(self) -> None:
        """Show this opening's topic and group in the widgets of an earlier opening."""
        update_in_place(self.query_one("#title", Static), self._heading())
        group = self.query_one("#group", Input)
        group.value = self.group
        group.suggester = SuggestFromList(self.groups) if self.groups else None
        self.query_one("#path", Input).value = default_offsets_path(self.topic, self.group)
        self.query_one("#overwrite", Checkbox).value = False
        self.clear_error()
        self.on_mount()

    @on(Input.Changed)
    @on(Checkbox.Changed)
    def _changed(self) -> None:
        self.clear_error()

    def build_result(self) -> OffsetsExportRequest:
        """The request the form describes; :class:`ValueError` with a message for the user if invalid."""
        group = self.query_one("#group", Input).value.strip()
        if not group:
            raise ValueError("Type the consumer group whose offsets to save.")
        overwrite = self.query_one("#overwrite", Checkbox).value
        path = check_export_path(self.query_one("#path", Input).value, overwrite)
        return OffsetsExportRequest(group, path, overwrite)

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_submit()
