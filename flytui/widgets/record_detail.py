"""The detail pane: one record's metadata, key and value decoded, and the DLQ envelope when there is one.

``RecordDetail`` is a ``Vertical`` with a fixed set of children updated in place (nothing is mounted per
record): ``Static`` sections for metadata, DLQ envelope and key, and a Line-API
:class:`~flytui.widgets.decoded_view.DecodedView` for the value that renders only the lines on screen.
Content is built with :mod:`flytui.decode`, so it is never parsed as markup and control characters show as
visible stand-ins. Values over :data:`flytui.decode.DETAIL_LIMIT` bytes are decoded only up to the limit,
with a note; ``L`` (or :meth:`load_all`) decodes the whole value. Keys are cut at :data:`KEY_LIMIT`.
Arrow keys, page keys, home/end scroll the value while the pane has focus.

Usage::

    detail = RecordDetail(id="detail")
    detail.show_record(message)          # a pyflymq Message (a ``<topic>.dlq`` record shows its envelope)
    detail.show_record(dlq_entry)        # or a DLQEntry as FETCH_DLQ returns it
    detail.show_record(None)             # "no record selected"
    detail.set_mode(DecodeMode.JSON)     # or press ``m`` to cycle auto/text/json/hex/base64(/msgpack)
    detail.load_all()                    # or press ``L`` when the value was cut
"""

from __future__ import annotations

from typing import ClassVar

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.message import Message as TextualMessage
from textual.widgets import Static

from flytui.decode import (
    DETAIL_LIMIT,
    MARKER_STYLE,
    Decoded,
    DecodeMode,
    available_modes,
    decode_value,
    human_size,
    next_mode,
    visible_text,
)
from flytui.widgets.decoded_view import DecodedView
from pyflymq.models import DLQEntry, Message

__all__ = ["RecordDetail"]

KEY_LIMIT = 4096
"""Bytes of a key the detail shows (keys are shown in full only when this is raised)."""

_LABEL_STYLE = "bold"
_DIM = "dim"


def _update_static(static: Static, content: RenderableType) -> None:
    """``static.update(content)``, re-laying out the screen only when the height changes.

    A layout repaints every widget on the screen; while the tail runs and the detail follows it, that
    would happen several times a second for no visible change.
    """
    if not static.display:
        static.update(content, layout=False)  # hidden: its height does not matter until it is shown
        return
    width = static.size.width
    if not width:
        static.update(content)
        return
    static.update(content, layout=False)
    # Textual annotates a RulesMap but passes widget.styles itself (Widget.get_content_height)
    if static.visual.get_height(static.styles, width) != static.size.height:  # type: ignore[arg-type]
        static.refresh(layout=True)


def _field_table(rows: list[tuple[str, Text | str | None]], wrap: bool = False) -> Table:
    """A two-column label/value grid; values are Text (str values are made visible first).

    Without ``wrap`` every row is one line (long values end in "…"), so the height is the row count.
    """
    table = Table.grid(padding=(0, 1))
    label_width = max((len(label) for label, _ in rows), default=0)
    table.add_column(style=_LABEL_STYLE, no_wrap=True, min_width=label_width)
    table.add_column(overflow="fold" if wrap else "ellipsis", no_wrap=not wrap)
    for label, value in rows:
        if value is None:
            shown = Text("—", style=_DIM)
        elif isinstance(value, Text):
            shown = value
        else:
            shown = visible_text(value)
        table.add_row(Text(label), shown)
    return table


class RecordDetail(Vertical, can_focus=True):
    """Shows one record (or DLQ entry): metadata, envelope, key and value decoded in the current mode."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("m", "cycle_mode", "Decode mode"),
        Binding("L", "load_all", "Load whole value"),
        Binding("up,k", "scroll_value('up')", "Scroll up", show=False),
        Binding("down,j", "scroll_value('down')", "Scroll down", show=False),
        Binding("left,h", "scroll_value('left')", "Scroll left", show=False),
        Binding("right,l", "scroll_value('right')", "Scroll right", show=False),
        Binding("pageup", "scroll_value('page_up')", "Page up", show=False),
        Binding("pagedown", "scroll_value('page_down')", "Page down", show=False),
        Binding("home,g", "scroll_value('home')", "Top", show=False),
        Binding("end,G", "scroll_value('end')", "Bottom", show=False),
    ]

    DEFAULT_CSS = """
    RecordDetail {
        width: 1fr;
        height: 1fr;
        border: round $panel-lighten-2;
        padding: 0 1;
        &:focus { border: round $accent; }
        & Static { width: 1fr; height: auto; }
        & > .record-detail--top { height: auto; max-height: 60%; }
        & .record-detail--section { margin-top: 1; text-style: bold; color: $text-accent; }
        & .record-detail--note { color: $text-warning; }
        & > DecodedView { height: 1fr; }
    }
    """

    class ModeChanged(TextualMessage):
        """The decode mode changed (by key or :meth:`RecordDetail.set_mode`)."""

        def __init__(self, detail: RecordDetail, mode: DecodeMode) -> None:
            super().__init__()
            self.detail = detail
            self.mode = mode

        @property
        def control(self) -> RecordDetail:
            """The detail pane."""
            return self.detail

    def __init__(self, *, mode: DecodeMode | str = DecodeMode.AUTO, limit: int = DETAIL_LIMIT,
                 name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        """An empty detail pane decoding in ``mode``; values over ``limit`` bytes are cut until loaded."""
        super().__init__(name=name, id=id, classes=classes)
        self._mode = DecodeMode(mode)
        self.limit = limit
        self._record: Message | DLQEntry | None = None
        self._full = False
        self._ready = False
        self._meta = Static("", markup=False, classes="record-detail--meta")
        self._envelope_title = Static(Text("DLQ envelope"), markup=False, classes="record-detail--section")
        self._envelope = Static("", markup=False, classes="record-detail--envelope")
        self._key_title = Static(Text("Key"), markup=False, classes="record-detail--section")
        self._key = Static("", markup=False, classes="record-detail--key")
        self._value_title = Static(Text("Value"), markup=False, classes="record-detail--section")
        self._value = DecodedView(classes="record-detail--value")
        self._note = Static("", markup=False, classes="record-detail--note")
        self.last_value: Decoded | None = None
        """The last decoded value (or DLQ payload), for tests and the app."""

    def compose(self) -> ComposeResult:
        """The fixed set of sections, updated in place."""
        with VerticalScroll(classes="record-detail--top", can_focus=False):
            yield self._meta
            yield self._envelope_title
            yield self._envelope
            yield self._key_title
            yield self._key
        yield self._value_title
        yield self._note
        yield self._value

    def on_mount(self) -> None:
        """Show the record given before mounting, or "no record selected"."""
        self._ready = True
        self._render_record()

    # -- public API ----------------------------------------------------------------------------------------
    @property
    def record(self) -> Message | DLQEntry | None:
        """The record shown."""
        return self._record

    @property
    def mode(self) -> DecodeMode:
        """The decode mode for key and value."""
        return self._mode

    @property
    def fully_loaded(self) -> bool:
        """True after :meth:`load_all` for the current record."""
        return self._full

    def show_record(self, record: Message | DLQEntry | None) -> None:
        """Show ``record`` (cheap when it is the one shown already, or an equal one)."""
        if record is self._record or (record is not None and record == self._record):
            return
        self._record = record
        self._full = False
        self._render_record()

    def set_mode(self, mode: DecodeMode | str) -> None:
        """Decode in ``mode`` from now on (``msgpack`` falls back with a note when it is not installed)."""
        mode = DecodeMode(mode)
        if mode is not self._mode:
            self._mode = mode
            self._render_record()
            self.post_message(self.ModeChanged(self, mode))

    def load_all(self) -> None:
        """Decode the whole value of the current record, however large."""
        if not self._full:
            self._full = True
            self._render_record()

    def action_cycle_mode(self) -> None:
        """Next decode mode (auto, text, json, hex, base64, msgpack when installed)."""
        self.set_mode(next_mode(self._mode))

    def action_load_all(self) -> None:
        """Load the whole value when it was cut."""
        self.load_all()

    def action_scroll_value(self, how: str) -> None:
        """Scroll the value: up, down, left, right, page_up, page_down, home, end."""
        view = self._value
        actions = {
            "up": view.scroll_up, "down": view.scroll_down, "left": view.scroll_left,
            "right": view.scroll_right, "page_up": view.scroll_page_up, "page_down": view.scroll_page_down,
            "home": view.scroll_home, "end": view.scroll_end,
        }
        action = actions.get(how)
        if action is not None:
            action(animate=False)

    # -- rendering -----------------------------------------------------------------------------------------
    def _decode(self, data: bytes | None, limit: int | None = None) -> Decoded:
        if limit is None:
            limit = None if self._full else self.limit
        return decode_value(data, self._mode, limit=limit)

    def _mode_text(self, decoded: Decoded) -> Text:
        text = Text(self._mode.value)
        if decoded.mode_used is not self._mode:
            text.append(f" → {decoded.mode_used.value}")
        others = "/".join(mode.value for mode in available_modes())
        text.append(f" · m: {others}", style=_DIM)
        return text

    def _render_record(self) -> None:
        if not self._ready:
            return
        record = self._record
        if record is None:
            _update_static(self._meta, Text("No record selected.", style=_DIM))
            for widget in (self._envelope_title, self._envelope, self._key_title, self._key,
                           self._value_title, self._value, self._note):
                widget.display = False
            self.last_value = None
            return
        if isinstance(record, DLQEntry):
            self._render_dlq_entry(record, None)
        elif record.topic.endswith(".dlq"):
            entry = DLQEntry.from_record(record.topic, record.value)
            if entry is None:
                self._render_message(record, note=Text("not a FlyMQ DLQ envelope — value shown as is",
                                                       style=MARKER_STYLE))
            else:
                self._render_dlq_entry(entry, record)
        else:
            self._render_message(record)

    def _render_message(self, record: Message, note: Text | None = None) -> None:
        key = self._decode(record.key, KEY_LIMIT)
        value = self._decode(record.value)
        rows: list[tuple[str, Text | str | None]] = [
            ("Topic", record.topic),
            ("Partition", str(record.partition)),
            ("Offset", f"{record.offset:,}"),
            ("Key", self._size_text(record.key)),
            ("Value", self._size_text(record.value)),
        ]
        if record.retry_count:
            rows.append(("Redelivered", f"{record.retry_count} time{'s' if record.retry_count != 1 else ''}"))
        rows.append(("Decode", self._mode_text(value)))
        _update_static(self._meta, _field_table(rows))
        self._envelope_title.display = self._envelope.display = False
        self._show_key_value(key, value, "Value", note)

    def _render_dlq_entry(self, entry: DLQEntry, record: Message | None) -> None:
        key = self._decode(record.key if record is not None else None, KEY_LIMIT)
        payload = self._decode(entry.value)
        rows: list[tuple[str, Text | str | None]] = [("Topic", entry.topic)]
        if record is not None:
            rows += [("Partition", str(record.partition)), ("Offset", f"{record.offset:,}")]
        rows += [
            ("Payload", Text(human_size(len(entry.value)))),
            ("Decode", self._mode_text(payload)),
        ]
        _update_static(self._meta, _field_table(rows))
        envelope: list[tuple[str, Text | str | None]] = [
            ("Original topic", entry.original_topic),
            ("Original offset", None if entry.original_offset is None else f"{entry.original_offset:,}"),
            ("Reason", entry.reason),
            ("Error", entry.error or None),
            ("Retry count", str(entry.retry_count)),
            ("First failure", entry.first_failed_at),
            ("Last failure", entry.last_failed_at),
            ("Entry id", entry.id or None),
        ]
        for name, value in sorted((entry.headers or {}).items()):
            envelope.append(("Header", f"{name}={value}"))
        _update_static(self._envelope, _field_table(envelope, wrap=True))
        self._envelope_title.display = self._envelope.display = True
        self._show_key_value(key, payload, "Payload (failed record)", None)

    @staticmethod
    def _size_text(data: bytes | None) -> Text:
        if data is None:
            return Text("none", style=_DIM)
        return Text(f"{human_size(len(data))}" + (f" ({len(data):,} bytes)" if len(data) >= 1024 else ""))

    def _show_key_value(self, key: Decoded, value: Decoded, value_label: str, note: Text | None) -> None:
        self.last_value = value
        self._key_title.display = self._key.display = True
        self._value_title.display = self._value.display = True
        _update_static(self._key, self._with_error(key))
        _update_static(self._value_title, Text(value_label))
        self._value.show(value.lines)
        notes: list[Text] = []
        if note is not None:
            notes.append(note)
        if key.truncated:
            notes.append(Text(f"key cut at {human_size(key.shown_bytes)} of {human_size(key.total_bytes)}"))
        fallback_marked = value.mode_used is DecodeMode.HEX and self._mode is not DecodeMode.HEX
        if value.error is not None and not fallback_marked:
            notes.append(visible_text(f"⚠ {value.error}"))
        if value.truncated:
            notes.append(Text(f"showing first {human_size(value.shown_bytes)} of {human_size(value.total_bytes)}"
                              f" ({value.total_bytes:,} bytes) — press L to load all"))
        self._note.display = bool(notes)
        _update_static(self._note, Text("\n").join(notes) if notes else Text())

    def _with_error(self, decoded: Decoded) -> RenderableType:
        fallback_marked = decoded.mode_used is DecodeMode.HEX and self._mode is not DecodeMode.HEX
        if decoded.error is None or fallback_marked:
            return decoded.renderable
        return Group(visible_text(f"⚠ {decoded.error}", style=MARKER_STYLE), decoded.renderable)
