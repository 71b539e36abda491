"""Set the stream's filter: plain text for the server-side FETCH filter (flymq-wire §2.7), or a query in
:mod:`flytui.record_query`'s language that flytui checks on each record.

Public API
----------
``FilterScreen(current="")`` — a ``ModalScreen[str | None]``. ``current`` is the active filter (prefilled).

* ``enter`` / *Apply* dismisses with the text exactly as typed (spaces included: the broker matches them);
  an empty text, or *Clear*, dismisses with ``""`` (clear the filter); ``esc`` / *Cancel* with ``None``
  (leave the filter as it was).
* A live line says how the broker will read the text (:func:`describe_filter`): JSON path, or substring
  and regular expression; it warns when the regex will not compile (the broker then ignores it and only
  the substring rule applies) and when the text begins or ends with spaces.
* A filter longer than 65535 UTF-8 bytes (the wire's str16) is refused.

:func:`describe_filter` ``(text) -> (summary, warning)`` is pure and usable elsewhere (e.g. the status bar).
"""

from __future__ import annotations

import re
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Input, Static

from flytui.decode import visible_text
from flytui.record_query import QueryError, compile_query
from flytui.screens._dialog import Dialog, error_line, hint_line, title_line
from flytui.widgets._in_place import update_in_place
from flytui.widgets.field_input import FieldInput

__all__ = ["FILTER_MAX_BYTES", "FilterScreen", "describe_filter"]

FILTER_MAX_BYTES = 65535
"""The longest filter the wire can carry (a str16)."""

# constructs Python's re accepts but Go's RE2 rejects: lookaround and backreferences
_NOT_RE2 = re.compile(r"\(\?(?:=|!|<=|<!)|\\[1-9]")

_HELP = Text.assemble(
    ("Plain text goes to the broker, which checks each record's key and value; a record matches if any rule "
     "matches:\n", ""),
    ("  substring  ", "bold"), ("case-insensitive: ", ""), ("ERR", "bold"), (" matches error: disk\n", ""),
    ("  regex      ", "bold"), ("Go RE2, unanchored: ", ""), ("^a.c$", "bold"),
    (" matches abc, not xabc; an invalid regex is ignored\n", ""),
    ("  JSON path  ", "bold"), ("", ""), ("$.user.id", "bold"),
    (": the value is a JSON object in which that key path exists (its value does not matter)\n", ""),
    ("Queries are checked by flytui: ", ""), ('$.status == "paid"', "bold"), (", ", ""), ("$.amount > 100", "bold"),
    (", ", ""), ("key ~ /^cust-01/", "bold"), (", ", ""), ('$.items[*].sku == "SKU-7002"', "bold"),
    (", combined with and / or / not.\n", ""),
    ("An empty filter clears it. A fetch scans at most 1000 records, so sparse matches arrive in steps.", "dim"),
)


def describe_filter(text: str) -> tuple[str, str]:
    """How ``text`` will be read: ``(summary, warning)``; ``warning`` is ``""`` when all is well. Plain text
    goes to the broker; a query (:mod:`flytui.record_query`) is checked by flytui on each record."""
    if text == "":
        return "No filter: every record is shown.", ""
    try:
        query = compile_query(text)
    except QueryError as exc:
        return "Query: does not parse yet.", f"{exc.message} at character {exc.position + 1}"
    if not query.is_plain:
        return ("Query: flytui decodes each record and checks it (the broker cannot); a fetch still scans at "
                "most 1000 records."), ""
    warnings: list[str] = []
    if text != text.strip():
        warnings.append("the filter begins or ends with spaces, and the broker matches them")
    if len(text.encode("utf-8")) > FILTER_MAX_BYTES:
        warnings.append(f"longer than {FILTER_MAX_BYTES} bytes: too long to send")
    if text.startswith("$."):
        path = text[2:]
        summary = (f"JSON path: values that are JSON objects with the key path {path or '(empty)'}; "
                   "also a case-insensitive substring match on key and value.")
        if not path or any(part == "" for part in path.split(".")):
            warnings.append("the path has an empty segment, so no JSON value can match it")
        return summary, "; ".join(warnings)
    summary = "Case-insensitive substring, or regular expression, on key and value."
    try:
        re.compile(text)
    except re.error as exc:
        summary = "Case-insensitive substring on key and value."
        warnings.append(f"not a valid regular expression ({exc}): the broker ignores the regex rule")
    else:
        if _NOT_RE2.search(text):
            summary = "Case-insensitive substring on key and value."
            warnings.append("uses lookaround or backreferences, which the broker's RE2 does not support: "
                            "the regex rule is ignored")
    return summary, "; ".join(warnings)


class FilterScreen(Dialog["str | None"]):
    """Ask for the server-side filter (see the module docstring)."""

    SUBMIT_BUTTON: ClassVar[str | None] = "apply"

    DEFAULT_CSS = """
    FilterScreen #filter-input {
        width: 100%;
        margin-top: 1;
    }
    FilterScreen #filter-kind {
        width: 100%;
        height: auto;
        color: $text-success;
    }
    FilterScreen #filter-warning {
        width: 100%;
        height: auto;
        color: $text-warning;
    }
    """

    def __init__(self, current: str = "") -> None:
        super().__init__()
        self.configure(current)

    def configure(self, current: str = "") -> None:
        """The filter in force at this opening (the dialog is kept between openings: see ``KeptDialogs``)."""
        self.current = current

    def compose(self) -> ComposeResult:
        """Help, the input, the live description and the buttons."""
        with self.dialog_box():
            yield title_line("Filter (text for the broker, or a query)")
            yield Static(_HELP, id="filter-help")
            yield FieldInput(value=self.current, placeholder='substring, regex, $.json.path or $.status == "paid"',
                        id="filter-input")
            yield Static("", id="filter-kind", markup=False)
            yield Static("", id="filter-warning", markup=False)
            yield error_line()
            yield hint_line("enter: apply · empty + enter or Clear: remove the filter · esc: keep the current one")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Clear", id="clear")
                yield Button("Apply", id="apply", variant="primary")

    def on_mount(self) -> None:
        """Focus the input and describe the current filter."""
        self.set_focus(self.query_one("#filter-input", Input))
        self._describe()

    def refill(self) -> None:
        """Show the filter in force now in the widgets of an earlier opening."""
        self.query_one("#filter-input", Input).value = self.current
        self.query_one(".dialog-box").scroll_home(animate=False)
        self.on_mount()

    def _describe(self) -> None:
        text = self.query_one("#filter-input", Input).value
        summary, warning = describe_filter(text)
        update_in_place(self.query_one("#filter-kind", Static), visible_text(summary))
        update_in_place(self.query_one("#filter-warning", Static), visible_text(f"⚠ {warning}" if warning else ""))
        self.clear_error()

    @on(Input.Changed, "#filter-input")
    def _changed(self) -> None:
        self._describe()

    def build_result(self) -> str:
        """The filter as typed; :class:`ValueError` when it does not parse as a query (the message with a caret
        at the position) or when the broker would refuse it as too long."""
        text = self.query_one("#filter-input", Input).value
        try:
            query = compile_query(text)
        except QueryError as exc:
            raise ValueError(f"{exc.message} (character {exc.position + 1}):\n{exc.pointer(text)}") from None
        size = len(text.encode("utf-8"))
        if query.is_plain and size > FILTER_MAX_BYTES:
            raise ValueError(f"The filter is {size} bytes long; the broker accepts at most {FILTER_MAX_BYTES}.")
        return text

    @on(Input.Submitted, "#filter-input")
    def _submitted(self) -> None:
        self.action_submit()

    @on(Button.Pressed, "#clear")
    def _clear_pressed(self) -> None:
        self.close_with("")
