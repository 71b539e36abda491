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
    detail.set_mode(DecodeMode.JSON)     # values; or press ``m`` to cycle auto/text/json/hex/base64/protobuf(/msgpack)
    detail.set_key_mode(DecodeMode.TEXT) # keys have their own decoder; or press ``M``
    detail.set_schema("orders", schema)  # a TopicSchema registered for the topic (None: none)
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
    decode_value,
    human_size,
    next_mode,
    visible_text,
)
from flytui.numbers import number
from flytui.schema_decode import TopicSchema, decode_with_schema
from flytui.widgets._in_place import update_in_place
from flytui.widgets.decoded_view import DecodedView
from pyflymq.models import DLQEntry, Message

__all__ = ["RecordDetail"]

KEY_LIMIT = 4096
"""Bytes of a key the detail shows (keys are shown in full only when this is raised)."""

_LABEL_STYLE = "bold"
_DIM = "dim"


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
        Binding("m", "cycle_mode", "Decode mode", tooltip="Cycle how this pane decodes values"),
        Binding("M", "cycle_key_mode", "Key decode mode", show=False, tooltip="Cycle how this pane decodes keys"),
        Binding("L", "load_all", "Load whole value", tooltip="Load the whole value when it was cut"),
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
        """A decode mode changed (by key, :meth:`RecordDetail.set_mode` or :meth:`RecordDetail.set_key_mode`).

        ``part`` says which: ``"value"`` or ``"key"``.
        """

        def __init__(self, detail: RecordDetail, mode: DecodeMode, part: str = "value") -> None:
            super().__init__()
            self.detail = detail
            self.mode = mode
            self.part = part

        @property
        def control(self) -> RecordDetail:
            """The detail pane."""
            return self.detail

    def __init__(self, *, mode: DecodeMode | str = DecodeMode.AUTO, limit: int = DETAIL_LIMIT,
                 name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        """An empty detail pane decoding in ``mode``; values over ``limit`` bytes are cut until loaded."""
        super().__init__(name=name, id=id, classes=classes)
        self._mode = DecodeMode(mode)
        self._key_mode = DecodeMode.AUTO
        self._schema: TopicSchema | None = None
        self._schema_topic: str | None = None
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
        """The decode mode for values."""
        return self._mode

    @property
    def key_mode(self) -> DecodeMode:
        """The decode mode for keys (values have their own, :attr:`mode`)."""
        return self._key_mode

    @property
    def schema(self) -> TopicSchema | None:
        """The registered schema values of :attr:`schema_topic` are decoded with (None: none)."""
        return self._schema

    @property
    def schema_topic(self) -> str | None:
        """The topic :attr:`schema` belongs to."""
        return self._schema_topic

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
        """Decode values in ``mode`` from now on (``msgpack`` falls back with a note when not installed)."""
        mode = DecodeMode(mode)
        if mode is not self._mode:
            self._mode = mode
            self._render_record()
            self.post_message(self.ModeChanged(self, mode))

    def set_key_mode(self, mode: DecodeMode | str) -> None:
        """Decode keys in ``mode`` from now on; values keep their own mode."""
        mode = DecodeMode(mode)
        if mode is not self._key_mode:
            self._key_mode = mode
            self._render_record()
            self.post_message(self.ModeChanged(self, mode, "key"))

    def set_schema(self, topic: str | None, schema: TopicSchema | None) -> None:
        """Decode values of ``topic`` (and its dead letters' payloads) with ``schema`` (None: none)."""
        if (topic, schema) != (self._schema_topic, self._schema):
            self._schema_topic, self._schema = topic, schema
            self._render_record()

    def load_all(self) -> None:
        """Decode the whole value of the current record, however large."""
        if not self._full:
            self._full = True
            self._render_record()

    def action_cycle_mode(self) -> None:
        """Next value decode mode (auto, text, json, hex, base64, protobuf, msgpack when installed)."""
        self.set_mode(next_mode(self._mode))

    def action_cycle_key_mode(self) -> None:
        """Next key decode mode (the same cycle as values)."""
        self.set_key_mode(next_mode(self._key_mode))

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
    def _decode_key(self, data: bytes | None) -> Decoded:
        return decode_value(data, self._key_mode, limit=KEY_LIMIT)

    def _decode_value(self, data: bytes | None, topic: str) -> Decoded:
        limit = None if self._full else self.limit
        schema = self._schema if topic == self._schema_topic else None
        return decode_with_schema(data, self._mode, schema, limit=limit)

    @staticmethod
    def _mode_text(asked: DecodeMode, decoded: Decoded, key: str) -> Text:
        text = Text(asked.value)
        if decoded.mode_used is not asked:
            text.append(f" → {decoded.mode_used.value}")
        text.append(f" · {key}: change", style=_DIM)
        return text

    def _meta_rows(self, value: Decoded, key: Decoded | None) -> list[tuple[str, Text | str | None]]:
        rows: list[tuple[str, Text | str | None]] = [("Decode", self._mode_text(self._mode, value, "m"))]
        if key is not None:
            rows.append(("Key mode", self._mode_text(self._key_mode, key, "M")))
        if value.schema is not None:
            rows.append(("Schema", value.schema))
        return rows

    def _render_record(self) -> None:
        if not self._ready:
            return
        record = self._record
        if record is None:
            update_in_place(self._meta, Text("No record selected.", style=_DIM))
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
        key = self._decode_key(record.key)
        value = self._decode_value(record.value, record.topic)
        rows: list[tuple[str, Text | str | None]] = [
            ("Topic", record.topic),
            ("Partition", str(record.partition)),
            ("Offset", number(record.offset)),
            ("Key", self._size_text(record.key)),
            ("Value", self._size_text(record.value)),
        ]
        if record.retry_count:
            rows.append(("Redelivered", f"{record.retry_count} time{'s' if record.retry_count != 1 else ''}"))
        rows += self._meta_rows(value, key)
        update_in_place(self._meta, _field_table(rows))
        self._envelope_title.display = self._envelope.display = False
        self._show_key_value(key, value, "Value", note)

    def _render_dlq_entry(self, entry: DLQEntry, record: Message | None) -> None:
        key = self._decode_key(record.key if record is not None else None)
        payload = self._decode_value(entry.value, entry.original_topic or entry.topic.removesuffix(".dlq"))
        rows: list[tuple[str, Text | str | None]] = [("Topic", entry.topic)]
        if record is not None:
            rows += [("Partition", str(record.partition)), ("Offset", number(record.offset))]
        rows.append(("Payload", Text(human_size(len(entry.value)))))
        rows += self._meta_rows(payload, key if record is not None else None)
        update_in_place(self._meta, _field_table(rows))
        envelope: list[tuple[str, Text | str | None]] = [
            ("Original topic", entry.original_topic),
            ("Original offset", None if entry.original_offset is None else number(entry.original_offset)),
            ("Reason", entry.reason),
            ("Error", entry.error or None),
            ("Retry count", str(entry.retry_count)),
            ("First failure", entry.first_failed_at),
            ("Last failure", entry.last_failed_at),
            ("Entry id", entry.id or None),
        ]
        for name, value in sorted((entry.headers or {}).items()):
            envelope.append(("Header", f"{name}={value}"))
        update_in_place(self._envelope, _field_table(envelope, wrap=True))
        self._envelope_title.display = self._envelope.display = True
        self._show_key_value(key, payload, "Payload (failed record)", None)

    @staticmethod
    def _size_text(data: bytes | None) -> Text:
        if data is None:
            return Text("none", style=_DIM)
        return Text(f"{human_size(len(data))}" + (f" ({number(len(data))} bytes)" if len(data) >= 1024 else ""))

    def _show_key_value(self, key: Decoded, value: Decoded, value_label: str, note: Text | None) -> None:
        self.last_value = value
        self._key_title.display = self._key.display = True
        self._value_title.display = self._value.display = True
        update_in_place(self._key, self._with_error(key))
        update_in_place(self._value_title, Text(value_label))
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
                              f" ({number(value.total_bytes)} bytes) — press L to load all"))
        self._note.display = bool(notes)
        update_in_place(self._note, Text("\n").join(notes) if notes else Text())

    def _with_error(self, decoded: Decoded) -> RenderableType:
        fallback_marked = decoded.mode_used is DecodeMode.HEX and self._key_mode is not DecodeMode.HEX
        if decoded.error is None or fallback_marked:
            return decoded.renderable
        return Group(visible_text(f"⚠ {decoded.error}", style=MARKER_STYLE), decoded.renderable)
