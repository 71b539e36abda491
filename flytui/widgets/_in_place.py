"""Updating a ``Static`` without laying the screen out again when its size does not change.

``Static.update`` asks for a layout of the whole screen each time, which repaints every widget on it: for a
line that follows each key (a dialog's preview as the user types, the detail pane as the stream's cursor
moves) that was most of the key's cost, for no change of size.
"""

from __future__ import annotations

from rich.text import Text
from textual.visual import VisualType
from textual.widgets import Static


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
    if not width or static.styles.width is None or static.styles.width.is_auto:
        static.update(content)
        return
    static.update(content, layout=False)
    # Textual annotates a RulesMap but passes widget.styles itself (Widget.get_content_height)
    if static.visual.get_height(static.styles, width) != static.size.height:  # type: ignore[arg-type]
        static.refresh(layout=True)
