"""Choose the registered schema that decodes a topic's values.

``SchemaPickScreen(topic, names, current)`` — a ``Dialog[str | None]`` listing the registered schema names,
the first entry being "the schema named like the topic". ``enter`` dismisses with the name chosen (``""``
for the schema named like the topic), ``esc`` with None. Names are shown as data, never as markup.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from flytui.decode import visible_text
from flytui.screens._dialog import Dialog, hint_line, label_line, title_line

__all__ = ["SchemaPickScreen"]

DEFAULT_ID = "\x00default"
"""The option id of "the schema named like the topic" (no schema name can start with NUL in a str16 we show)."""


class SchemaPickScreen(Dialog[str | None]):
    """The schema chooser (see the module docstring)."""

    DEFAULT_CSS = """
    SchemaPickScreen OptionList { height: auto; max-height: 16; }
    """

    def __init__(self, topic: str, names: list[str], current: str | None) -> None:
        """Offer ``names`` for ``topic``; ``current`` is the name picked before (None: the default)."""
        super().__init__()
        self.topic = topic
        self.names = list(names)
        self.current = current

    def compose(self) -> ComposeResult:
        """Title, the list of schemas, hints."""
        with self.dialog_box():
            yield title_line(Text("Decode values with a registered schema"))
            topic = visible_text(self.topic)
            yield label_line(Text.assemble("Topic ", topic, ":"))
            default = Text.assemble("the schema named like the topic (", visible_text(self.topic), ")")
            options = [Option(default, id=DEFAULT_ID)]
            options += [Option(visible_text(name), id=name) for name in self.names]
            yield OptionList(*options, id="schemas")
            if not self.names:
                yield hint_line("No schema is registered on this server.")
            yield hint_line("enter: decode with this schema (remembered for the topic) · esc: cancel")

    def on_mount(self) -> None:
        """Put the cursor on the schema in use and focus the list."""
        options = self.query_one("#schemas", OptionList)
        if self.current in self.names:
            options.highlighted = self.names.index(self.current) + 1
        else:
            options.highlighted = 0
        options.focus()

    @on(OptionList.OptionSelected, "#schemas")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        option_id = event.option.id or DEFAULT_ID
        self.close_with("" if option_id == DEFAULT_ID else option_id)
