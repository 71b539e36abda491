"""Produce a message, or edit and resend the selected record.

Public API
----------
``ProduceScreen(topic="", key=None, value=b"", *, topics=(), source=None)`` — a
``ModalScreen[ProduceRequest | None]``.

* Prefill ``topic``, ``key`` (bytes, str or ``None``) and ``value`` (bytes or str) for edit-and-resend;
  ``source`` (e.g. ``"orders partition 2 offset 41"``) names the record being resent in the title.
  ``topics`` are offered as completions for the topic field.
* The value is typed in a text area in one of four encodings: ``text`` (UTF-8), ``json`` (UTF-8, must
  parse as JSON; sent exactly as typed), ``hex`` and ``base64``; the key in ``text``, ``hex`` or
  ``base64``. Switching the encoding converts what is typed when it can. A prefilled binary value opens
  in ``hex``, a JSON value in ``json``. An empty key means no key.
* ``ctrl+s`` / *Send* validates and dismisses with a :class:`ProduceRequest` (``topic``, ``key`` bytes or
  ``None``, ``value`` bytes); errors are shown inline. ``esc`` / *Cancel* dismisses with ``None``.
  The screen writes nothing itself; ``--read-only`` is the caller's to enforce (do not open it).

:func:`encode_field`, :func:`render_field` and :func:`guess_encoding` are the pure conversions.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.suggester import SuggestFromList
from textual.widgets import Button, Input, Select, Static, TextArea

from flytui.decode import visible_text
from flytui.screens._dialog import Dialog, error_line, hint_line, label_line, title_line
from flytui.widgets._in_place import update_in_place
from flytui.widgets.field_input import FieldInput

__all__ = ["KEY_ENCODINGS", "VALUE_ENCODINGS", "ProduceRequest", "ProduceScreen", "encode_field",
           "guess_encoding", "render_field"]

VALUE_ENCODINGS = ("text", "json", "hex", "base64")
"""How the value field is read."""
KEY_ENCODINGS = ("text", "hex", "base64")
"""How the key field is read."""


@dataclass(frozen=True)
class ProduceRequest:
    """A record to produce: topic, key (``None``: no key) and value, as bytes."""

    topic: str
    key: bytes | None
    value: bytes


def encode_field(text: str, encoding: str) -> bytes:
    """The bytes ``text`` stands for in ``encoding``; :class:`ValueError` with a message if it does not."""
    if encoding == "text":
        return text.encode("utf-8")
    if encoding == "json":
        try:
            json.loads(text)
        except ValueError as exc:
            raise ValueError(f"not valid JSON: {exc}") from None
        return text.encode("utf-8")
    if encoding == "hex":
        compact = "".join(text.split())
        if compact[:2].lower() == "0x":
            compact = compact[2:]
        try:
            return bytes.fromhex(compact)
        except ValueError:
            raise ValueError("not valid hex: use pairs of 0-9 a-f, spaces allowed") from None
    if encoding == "base64":
        compact = "".join(text.split())
        try:
            return base64.b64decode(compact, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("not valid base64") from None
    raise ValueError(f"unknown encoding {encoding!r}")


def render_field(data: bytes, encoding: str) -> str:
    """``data`` written in ``encoding`` (inverse of :func:`encode_field`); :class:`ValueError` when the
    bytes are not UTF-8 (``text``) or not JSON (``json``)."""
    if encoding in ("text", "json"):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError("the bytes are not UTF-8 text") from None
        if encoding == "json":
            encode_field(text, "json")
        return text
    if encoding == "hex":
        return data.hex(" ")
    if encoding == "base64":
        return base64.b64encode(data).decode("ascii")
    raise ValueError(f"unknown encoding {encoding!r}")


def guess_encoding(data: bytes, *, allow_json: bool = True) -> str:
    """The friendliest encoding that shows ``data`` exactly: ``json``, ``text``, else ``hex``."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return "hex"
    if allow_json and text.strip()[:1] in ("{", "["):
        try:
            json.loads(text)
            return "json"
        except ValueError:
            pass
    if any(not ch.isprintable() and ch not in "\n\t" for ch in text):
        return "hex"
    return "text"


def _as_bytes(data: bytes | str | None) -> bytes | None:
    if data is None:
        return None
    return data.encode("utf-8") if isinstance(data, str) else bytes(data)


class ProduceScreen(Dialog["ProduceRequest | None"]):
    """Compose a record to produce (see the module docstring)."""

    SUBMIT_BUTTON: ClassVar[str | None] = "send"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "submit", "Send", show=False, priority=True),
    ]

    DEFAULT_CSS = """
    ProduceScreen .field-row {
        height: auto;
        width: 100%;
    }
    ProduceScreen #topic {
        width: 100%;
    }
    ProduceScreen #key {
        width: 1fr;
    }
    ProduceScreen .field-row .dialog-label {
        width: 1fr;
    }
    ProduceScreen Select {
        width: 16;
    }
    ProduceScreen #value {
        height: 10;
        width: 100%;
    }
    ProduceScreen #status {
        width: 100%;
        color: $text-muted;
    }
    """

    def __init__(self, topic: str = "", key: bytes | str | None = None, value: bytes | str = b"", *,
                 topics: Sequence[str] = (), source: str | None = None) -> None:
        super().__init__()
        self.configure(topic, key, value, topics=topics, source=source)

    def configure(self, topic: str = "", key: bytes | str | None = None, value: bytes | str = b"", *,
                  topics: Sequence[str] = (), source: str | None = None) -> None:
        """What this opening produces (the dialog is kept between openings: see ``KeptDialogs``)."""
        self.topic = topic
        self.key_bytes = _as_bytes(key)
        self.value_bytes = _as_bytes(value) or b""
        self.topics = list(topics)
        self.source = source
        self._key_encoding = "text" if self.key_bytes is None else guess_encoding(self.key_bytes,
                                                                                  allow_json=False)
        self._value_encoding = guess_encoding(self.value_bytes) if self.value_bytes else "text"

    def _heading(self) -> Text:
        return Text("Produce a message") if self.source is None else Text.assemble(
            "Edit and resend ", visible_text(self.source, style="bold"))

    def _key_text(self) -> str:
        return "" if self.key_bytes is None else render_field(self.key_bytes, self._key_encoding)

    def compose(self) -> ComposeResult:
        """Topic, key + encoding, value encoding + text area, status, errors, buttons."""
        key_text = self._key_text()
        with self.dialog_box():
            title = title_line(self._heading())
            title.id = "title"
            yield title
            yield hint_line("FlyMQ chooses the partition from the key's hash (round-robin without a key).")
            yield label_line("Topic")
            yield FieldInput(value=self.topic, id="topic", placeholder="topic name",
                        suggester=SuggestFromList(self.topics) if self.topics else None)
            yield label_line("Key (empty: no key)")
            with Horizontal(classes="field-row"):
                yield FieldInput(value=key_text, id="key", placeholder="no key")
                yield Select([(name, name) for name in KEY_ENCODINGS], value=self._key_encoding,
                             allow_blank=False, id="key-encoding")
            with Horizontal(classes="field-row"):
                yield label_line("Value")
                yield Select([(name, name) for name in VALUE_ENCODINGS], value=self._value_encoding,
                             allow_blank=False, id="value-encoding")
            yield TextArea(render_field(self.value_bytes, self._value_encoding), id="value",
                           soft_wrap=True, show_line_numbers=False)
            yield Static("", id="status", markup=False)
            yield error_line()
            yield hint_line("ctrl+s: send · tab: next field · esc: cancel")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Send", id="send", variant="primary")

    def on_mount(self) -> None:
        """Focus the first empty field (the topic, else the value) and show the sizes."""
        self._focus_first()
        self._update_status()

    def _focus_first(self) -> None:
        self.set_focus(self.query_one("#value", TextArea) if self.topic else self.query_one("#topic", Input))

    def refill(self) -> None:
        """Show this opening's topic, key and value in the widgets of an earlier opening."""
        update_in_place(self.query_one("#title", Static), self._heading())
        topic = self.query_one("#topic", Input)
        topic.value = self.topic
        topic.suggester = SuggestFromList(self.topics) if self.topics else None
        self.query_one("#key", Input).value = self._key_text()
        # the encodings are set first, so the Select.Changed these cause converts nothing
        self.query_one("#key-encoding", Select).value = self._key_encoding
        self.query_one("#value-encoding", Select).value = self._value_encoding
        self.query_one("#value", TextArea).text = render_field(self.value_bytes, self._value_encoding)
        self.query_one(".dialog-box").scroll_home(animate=False)
        self._focus_first()
        self._update_status()

    # conversion between encodings -------------------------------------------------------------------

    @on(Select.Changed, "#value-encoding")
    def _value_encoding_changed(self, event: Select.Changed) -> None:
        new = str(event.value)
        old, self._value_encoding = self._value_encoding, new
        area = self.query_one("#value", TextArea)
        if old != new:
            try:
                data = encode_field(area.text, "text" if old == "json" else old)
                area.text = render_field(data, "text" if new == "json" else new)
            except ValueError:
                pass  # leave the text as typed; the status line says what is wrong
        self._update_status()

    @on(Select.Changed, "#key-encoding")
    def _key_encoding_changed(self, event: Select.Changed) -> None:
        new = str(event.value)
        old, self._key_encoding = self._key_encoding, new
        key = self.query_one("#key", Input)
        if old != new and key.value:
            try:
                key.value = render_field(encode_field(key.value, old), new)
            except ValueError:
                pass
        self._update_status()

    # validation ---------------------------------------------------------------------------------------

    def build_result(self) -> ProduceRequest:
        """The record the form describes; :class:`ValueError` with a message for the user if invalid."""
        topic = self.query_one("#topic", Input).value.strip()
        if not topic:
            raise ValueError("Type the topic to produce to.")
        if len(topic.encode("utf-8")) > 65535:
            raise ValueError("The topic name is too long.")
        key_text = self.query_one("#key", Input).value
        try:
            key = encode_field(key_text, self._key_encoding) if key_text else None
        except ValueError as exc:
            raise ValueError(f"Key: {exc}.") from None
        try:
            value = encode_field(self.query_one("#value", TextArea).text, self._value_encoding)
        except ValueError as exc:
            raise ValueError(f"Value: {exc}.") from None
        return ProduceRequest(topic=topic, key=key, value=value)

    def _update_status(self) -> None:
        status = self.query_one("#status", Static)
        self.clear_error()
        try:
            request = self.build_result()
        except ValueError as exc:
            message = str(exc)
            if message.startswith(("Key:", "Value:")):
                update_in_place(status, Text(f"⚠ {message}", style="yellow"))
            else:
                update_in_place(status, "")
            return
        key = "no key" if request.key is None else f"key {len(request.key)} bytes"
        update_in_place(status, Text(f"{key}, value {len(request.value)} bytes ({self._value_encoding})"))

    @on(Input.Changed)
    def _input_changed(self) -> None:
        self._update_status()

    @on(TextArea.Changed)
    def _area_changed(self) -> None:
        self._update_status()

    @on(Input.Submitted)
    def _input_submitted(self) -> None:
        """``enter`` in the topic or key field moves on; only ``ctrl+s`` / *Send* sends."""
        self.focus_next()

