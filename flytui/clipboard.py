"""Copying records to the terminal's clipboard.

Public API
----------
* :func:`record_as_json` ``(record) -> str``: the whole record as indented JSON, the same shape as an
  exported line (:func:`flytui.export.record_to_dict`: key/value as UTF-8 text, else base64 with a
  ``*_encoding`` field).
* :func:`value_as_text` ``(record) -> (text, what)``: the value alone for "copy value": its UTF-8 text, or
  base64 for binary values; ``what`` says which, for the toast.
* :func:`osc52` ``(text) -> str``: the OSC 52 escape sequence that asks the terminal to put ``text`` on
  the clipboard (the same sequence Textual's ``App.copy_to_clipboard`` writes).
* :func:`copy_to_clipboard` ``(app, text) -> str``: copy through ``app.copy_to_clipboard`` (Textual writes
  OSC 52 to its driver and keeps the text in ``app.clipboard``); returns a short confirmation for a toast.

Terminals that ignore OSC 52 (macOS Terminal, some tmux setups without ``set-clipboard on``) silently do
nothing; the confirmation says "sent to the terminal's clipboard" for that reason.
"""

from __future__ import annotations

import base64
import json
from typing import Protocol

from flytui.export import bytes_field, record_to_dict
from pyflymq.models import Message

__all__ = ["copy_to_clipboard", "osc52", "record_as_json", "value_as_text"]


def record_as_json(record: Message) -> str:
    """The record as indented JSON text (non-ASCII kept as is, control characters escaped)."""
    return json.dumps(record_to_dict(record), ensure_ascii=False, indent=2)


def value_as_text(record: Message) -> tuple[str, str]:
    """``(text, what)`` for copying the value alone: UTF-8 text, or base64 when the value is binary."""
    text, encoding = bytes_field(record.value)
    if encoding == "base64":
        return text or "", "value (binary, as base64)"
    return text or "", "value"


def osc52(text: str, selection: str = "c") -> str:
    """The OSC 52 sequence setting clipboard ``selection`` (``c`` clipboard, ``p`` primary) to ``text``."""
    payload = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return f"\x1b]52;{selection};{payload}\a"


class ClipboardOwner(Protocol):
    """What can put text on the terminal's clipboard: a Textual ``App``."""

    def copy_to_clipboard(self, text: str) -> None:
        """Copy ``text`` (OSC 52)."""


def copy_to_clipboard(app: ClipboardOwner, text: str, what: str = "text") -> str:
    """Copy ``text`` with Textual's ``App.copy_to_clipboard`` (OSC 52) and return a toast message."""
    app.copy_to_clipboard(text)
    return f"Copied {what} ({len(text.encode('utf-8'))} bytes) to the terminal's clipboard (OSC 52)"
