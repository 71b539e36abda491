"""Updating a ``Static`` or a toggle button's label without laying the screen out again when its size does not
change.

``Static.update`` asks for a layout of the whole screen each time, which repaints every widget on it: for a
line that follows each key (a dialog's preview as the user types, the detail pane as the stream's cursor
moves) that was most of the key's cost, for no change of size.
"""

from __future__ import annotations

from rich.text import Text
from textual.content import Content
from textual.screen import Screen
from textual.visual import VisualType
from textual.widget import Widget
from textual.widgets import Static
from textual.widgets._toggle_button import ToggleButton


def _width_follows_content(widget: Widget) -> bool:
    """Whether ``widget``'s width can change with what it shows: it, or the nearest ancestor whose width is not
    "fill the container" (no width, or a fraction of it), has ``width: auto``."""
    node: object = widget
    while isinstance(node, Widget) and not isinstance(node, Screen):
        width = node.styles.width
        if width is not None and not width.is_fraction:
            return width.is_auto
        node = node.parent
    return False


def update_in_place(static: Static, content: VisualType) -> None:
    """``static.update(content)``, laying the screen out again only when its height changes (or its width can:
    an auto-width Static). Content equal to what it shows already changes nothing."""
    shown = static.content
    if type(shown) is type(content) and isinstance(content, (str, Text)) and shown == content:
        return
    if not static.display:
        static.update(content, layout=False)  # hidden: its height does not matter until it is shown
        return
    width = static.size.width
    if not width or _width_follows_content(static):
        static.update(content)
        return
    static.update(content, layout=False)
    # Textual annotates a RulesMap but passes widget.styles itself (Widget.get_content_height)
    if static.visual.get_height(static.styles, width) != static.size.height:  # type: ignore[arg-type]
        static.refresh(layout=True)


def relabel_in_place(button: ToggleButton, label: str | Text | Content) -> None:
    """``button.label = label``, laying the screen out again only when the button's width can follow its label
    (an auto-width button) or the new label does not fit where the old one was shown. A toggle button shows
    one line, so its height never changes; a label equal to the shown one changes nothing."""
    new = Content.from_text(label).first_line.rstrip()
    if new.plain == button.label.plain and new.spans == button.label.spans:
        return
    width = button.size.width
    fits = width and new.cell_length + 5 <= width  # the button's 3 cells and a space each side of the label
    if not fits or _width_follows_content(button):
        button.label = label
        return
    button._label = new  # what the label setter stores, without its layout request
    button.refresh()
