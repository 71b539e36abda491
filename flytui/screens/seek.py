"""Seek the record browser: to an offset, relative to the current one, the beginning, the end, a group's commit.

Public API
----------
``SeekScreen(partition, current, low, high, *, groups=(), initial="", partition_count=None, error="",
all_partitions=False)`` — a ``ModalScreen[SeekRequest | None]``.

* ``partition`` is the partition being browsed, ``current`` the offset of the selected record / cursor,
  ``[low, high]`` its range when the dialog opened (``high`` exclusive: the next offset to be written).
  ``groups`` are the group names known on this topic (offered as completions).
* Accepts every :func:`flytui.offset_plan.parse_seek_spec` form: ``1234``, ``+N`` / ``-N`` (relative to
  ``current``), ``beginning`` / ``b`` / ``earliest``, ``end`` / ``e`` / ``latest``, ``end-N``, and
  ``group:NAME``. A live preview shows what it means with the range known at open, or why it fails.
* The request is **resolved when the user presses enter**, by the caller, against watermarks and committed
  offsets read then (the partition may have grown meanwhile): the dialog refuses only what does not parse.
  ``error`` reopens it with the text kept and the caller's resolution error shown.
* Scope: this partition (the offset must be inside the range) or all partitions (the same form is applied
  to each partition and clamped into its range: use :meth:`SeekRequest.resolve`). ``ctrl+a`` toggles it.
* Keyboard: ``tab`` / ``shift+tab`` move through the input, the scope and the buttons; ``↑↓`` and
  ``enter`` / ``space`` choose a scope. ``enter`` in the input / *Seek* dismisses with a
  :class:`SeekRequest`; ``esc`` / *Cancel* with ``None``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.suggester import SuggestFromList
from textual.widgets import Button, Input, RadioButton, RadioSet, Static

from flytui.decode import visible_text
from flytui.offset_plan import SeekKind, SeekSpec, parse_seek_spec
from flytui.screens._dialog import ALL_PARTITIONS_KEY, Dialog, error_line, hint_line, label_line, title_line
from flytui.widgets._in_place import relabel_in_place, update_in_place
from flytui.widgets.field_input import FieldInput

__all__ = ["SeekRequest", "SeekScreen"]


@dataclass(frozen=True)
class SeekRequest:
    """What the user asked for in :class:`SeekScreen`.

    ``spec`` is the parsed form, ``all_partitions`` the scope, ``text`` what was typed. ``offset`` is a
    preview only: what it meant on the dialog's partition with the range known when the dialog opened
    (``None`` for ``group:NAME`` or outside that range); the caller resolves the request again at enter
    with :meth:`resolve` and fresh watermarks.
    """

    spec: SeekSpec
    all_partitions: bool
    offset: int | None
    text: str

    @property
    def group(self) -> str | None:
        """The group name for ``group:NAME``, else ``None``."""
        return self.spec.group if self.spec.kind is SeekKind.GROUP else None

    def resolve(self, current: int, low: int, high: int, committed: int | None = None) -> int:
        """The offset on one partition (``committed``: the group's committed offset there, for
        ``group:NAME``). Clamped into ``[low, high]`` when the request covers all partitions; strict
        (:class:`ValueError`) for a single partition."""
        return self.spec.resolve(current, low, high, committed=committed, clamp=self.all_partitions)


class SeekScreen(Dialog["SeekRequest | None"]):
    """Ask where to seek (see the module docstring)."""

    SUBMIT_BUTTON: ClassVar[str | None] = "seek"

    BINDINGS: ClassVar[list[BindingType]] = [ALL_PARTITIONS_KEY]

    DEFAULT_CSS = """
    SeekScreen #seek-input {
        width: 100%;
    }
    SeekScreen #groups-hint {
        height: 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    SeekScreen #preview {
        width: 100%;
        height: auto;
    }
    SeekScreen #preview.-ok {
        color: $text-success;
    }
    SeekScreen #preview.-error {
        color: $text-error;
    }
    """

    def __init__(self, partition: int, current: int, low: int, high: int, *, groups: Sequence[str] = (),
                 initial: str = "", partition_count: int | None = None, error: str = "",
                 all_partitions: bool = False) -> None:
        super().__init__()
        self.configure(partition, current, low, high, groups=groups, initial=initial,
                       partition_count=partition_count, error=error, all_partitions=all_partitions)

    def configure(self, partition: int, current: int, low: int, high: int, *, groups: Sequence[str] = (),
                  initial: str = "", partition_count: int | None = None, error: str = "",
                  all_partitions: bool = False) -> None:
        """Where this opening seeks from (the dialog is kept between openings: see ``KeptDialogs``)."""
        self._shown_all = all_partitions
        self.initial_error = error
        self.initial_all = all_partitions
        self.partition = partition
        self.current = current
        self.low = low
        self.high = high
        self.groups = list(groups)
        self.initial = initial
        self.partition_count = partition_count

    def _where(self) -> Text:
        if self.low >= self.high:
            return Text(f"Partition {self.partition} holds no records "
                        f"(the next offset to be written is {self.high}).")
        return Text(f"Partition {self.partition} holds offsets {self.low}..{self.high - 1}, the next to be written "
                    f"is {self.high}. You are at offset {self.current}.")

    def _suggester(self) -> SuggestFromList:
        return SuggestFromList(["beginning", "end", *(f"group:{g}" for g in self.groups)], case_sensitive=False)

    def _scope_labels(self) -> tuple[Text, Text]:
        all_label = ("all partitions" if self.partition_count is None
                     else f"all partitions ({self.partition_count})")
        return (Text(f"this partition ({self.partition})"),
                Text(f"{all_label}: the same form on each, clamped into its range"))

    def _groups_text(self) -> Text:
        """One line: the groups whose offsets ``group:NAME`` can seek to (cut with … when it is too long)."""
        if not self.groups:
            return Text("No group has committed offsets on this topic.")
        shown = self.groups[:8]
        text = Text("Groups on this topic: ")
        text.append_text(visible_text(", ".join(shown)))
        if len(self.groups) > len(shown):
            text.append(f", … ({len(self.groups) - len(shown)} more)")
        return text

    def compose(self) -> ComposeResult:
        """Range info, the input, the live preview, the scope and the buttons."""
        one_label, all_label = self._scope_labels()
        with self.dialog_box():
            yield title_line("Seek")
            yield Static(self._where(), id="range-info")
            yield FieldInput(value=self.initial, placeholder="1234, +N, -N, beginning, end, end-N, group:NAME",
                        id="seek-input", suggester=self._suggester())
            yield Static("", id="preview", markup=False)
            yield label_line("Partitions")
            with RadioSet(id="scope"):
                yield RadioButton(one_label, value=not self.initial_all, id="scope-one")
                yield RadioButton(all_label, value=self.initial_all, id="scope-all")
            yield error_line()
            yield hint_line("1234 an offset · +N / -N from the current offset · beginning (b) · end (e): only new "
                            "records · end-N: the last N · group:NAME: where that group resumes")
            yield hint_line(self._groups_text(), id="groups-hint")
            yield hint_line("enter: seek (resolved against the partition as it is then) · ctrl+a: all partitions "
                            "on/off · tab / shift+tab: next / previous field · ↑↓ + space: scope · esc: cancel")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Seek", id="seek", variant="primary")

    def on_mount(self) -> None:
        """Focus the input and show the preview of the initial text."""
        self.set_focus(self.query_one("#seek-input", Input))
        self._update_preview()
        if self.initial_error:
            self.query_one("#error", Static).update(Text(self.initial_error))

    def refill(self) -> None:
        """Show this opening's partition, range, groups and text in the widgets of an earlier opening."""
        update_in_place(self.query_one("#range-info", Static), self._where())
        seek_input = self.query_one("#seek-input", Input)
        seek_input.suggester = self._suggester()
        seek_input.value = self.initial
        one_label, all_label = self._scope_labels()
        relabel_in_place(self.query_one("#scope-one", RadioButton), one_label)
        relabel_in_place(self.query_one("#scope-all", RadioButton), all_label)
        self.query_one("#scope-all" if self.initial_all else "#scope-one", RadioButton).value = True
        update_in_place(self.query_one("#groups-hint", Static), self._groups_text())
        self.query_one(".dialog-box").scroll_home(animate=False)
        self.on_mount()

    @property
    def all_partitions(self) -> bool:
        """True when the scope is all partitions."""
        return self.query_one("#scope-all", RadioButton).value

    def action_toggle_all(self) -> None:
        """Switch the scope between this partition and all partitions."""
        target = "#scope-one" if self.all_partitions else "#scope-all"
        self.query_one(target, RadioButton).value = True

    def build_result(self) -> SeekRequest:
        """The request the form describes; :class:`ValueError` with a message for the user if it does not
        parse. Whether the offset exists is checked when it is resolved, at enter."""
        text = self.query_one("#seek-input", Input).value
        spec = parse_seek_spec(text)
        all_partitions = self.all_partitions
        offset = None
        if spec.kind is not SeekKind.GROUP:
            try:
                offset = spec.resolve(self.current, self.low, self.high, clamp=all_partitions)
            except ValueError:
                offset = None
        return SeekRequest(spec=spec, all_partitions=all_partitions, offset=offset, text=text.strip())

    def _update_preview(self) -> None:
        preview = self.query_one("#preview", Static)
        text = self.query_one("#seek-input", Input).value
        if not (self.initial_error and text == self.initial):  # keep the caller's error until the text changes
            self.clear_error()
        if not text.strip():
            preview.set_classes("")
            update_in_place(preview, "")
            return
        try:
            request = self.build_result()
        except ValueError as exc:
            preview.set_classes("-error")
            update_in_place(preview, Text(str(exc)))
            return
        if request.spec.kind is not SeekKind.GROUP and request.offset is None:
            try:  # say why, with the range known now; the broker's range at enter decides
                request.spec.resolve(self.current, self.low, self.high)
            except ValueError as exc:
                preview.set_classes("-error")
                update_in_place(preview, Text(f"{exc} Checked again against the partition when you press enter."))
                return
        preview.set_classes("-ok")
        if request.group is not None:
            message = f"→ {request.spec.describe()} (read from the broker when you press enter)"
            if self.groups and request.group not in self.groups:
                message += f"; no group {request.group!r} is known on this topic yet"
        elif request.all_partitions:
            message = (f"→ {request.spec.describe()} on every partition "
                       f"(here: offset {request.offset})")
        else:
            message = f"→ offset {request.offset} ({request.spec.describe()}) as of now; resolved again at enter"
        update_in_place(preview, Text(message))

    @on(Input.Changed, "#seek-input")
    def _input_changed(self) -> None:
        self._update_preview()

    @on(RadioSet.Changed, "#scope")
    def _scope_changed(self) -> None:
        if self.all_partitions == self._shown_all:
            return  # the echo of a refill setting the scope it was opened with
        self._shown_all = self.all_partitions
        self.initial_error = ""
        self._update_preview()

    @on(Input.Submitted, "#seek-input")
    def _submitted(self) -> None:
        self.action_submit()
