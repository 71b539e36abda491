"""One helper for Line-API widgets: change ``virtual_size`` without re-laying out the whole screen.

Assigning ``widget.virtual_size`` is a reactive with ``layout=True``: every change re-lays out the screen
and repaints every widget on it. A ScrollView whose content grows 20 times a second (the live tail) or
changes with every record (the detail pane) only needs its scrollbars told. A scrollbar that has to
appear or disappear still causes a layout (``_scroll_update`` sets the scrollbar reactives).

Usage::

    set_virtual_size(self, Size(width, line_count))
"""

from __future__ import annotations

from textual.geometry import Size
from textual.widget import Widget

__all__ = ["set_virtual_size"]


def set_virtual_size(widget: Widget, size: Size) -> None:
    """Give ``widget`` a new virtual size, updating scrollbars and scroll limits but not the layout."""
    if size == widget.virtual_size:
        return
    if widget.is_mounted and widget.container_size:
        widget.set_reactive(Widget.virtual_size, size)
        widget._scroll_update(size)  # scrollbar window sizes, scroll clamping; layout only if one shows/hides
        widget.refresh()
    else:
        widget.virtual_size = size  # not laid out yet: the first layout sizes everything anyway
