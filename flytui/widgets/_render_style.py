"""A widget's Rich style worked out once per paint instead of once per line.

Textual's ``DOMNode.rich_style`` walks every ancestor and blends their backgrounds and colours each time it is
read, and a paint reads it for every line (the styles cache asks for the widget's style per line, a DataTable
again for each row): for a 13-line table losing or gaining the focus that was a third of its paint (~0.4 ms a
read). Within one ``render_lines`` call the answer cannot change, so it is worked out once there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.style import Style
from textual.dom import DOMNode
from textual.geometry import Region
from textual.strip import Strip

if TYPE_CHECKING:
    from textual.widget import Widget as _PaintedWidget
else:  # at run time the mixin stands on object (Textual reads a widget's CSS bases from its first base)
    _PaintedWidget = object


class OneStylePerPaint(_PaintedWidget):
    """Mix into a widget class (before the Textual base) to read its ``rich_style`` once per paint."""

    _style_this_paint: Style | None = None

    def render_lines(self, crop: Region) -> list[Strip]:
        """Paint ``crop`` with the widget's style worked out once."""
        self._style_this_paint = DOMNode.rich_style.fget(self)  # type: ignore[attr-defined]  # a property
        try:
            return super().render_lines(crop)
        finally:
            self._style_this_paint = None

    @property
    def rich_style(self) -> Style:
        """The widget's Rich style (the one worked out for the current paint, while painting)."""
        style = self._style_this_paint
        return style if style is not None else DOMNode.rich_style.fget(self)  # type: ignore[attr-defined]
