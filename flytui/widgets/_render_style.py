"""A widget's Rich style and component styles worked out once per paint instead of once per line.

Textual's ``DOMNode.rich_style`` walks every ancestor and blends their backgrounds and colours each time it is
read, and a paint reads it for every line (the styles cache asks for the widget's style per line, a DataTable
again for each row); a DataTable also asks for its header's and rows' component styles on every line, each a
styles merge and another walk. For a 13-line table losing or gaining the focus that was a third of its paint
(~0.4 ms a read). Within one ``render_lines`` call the answers cannot change, so they are worked out once there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.style import Style
from textual.css.styles import RenderStyles
from textual.dom import DOMNode
from textual.geometry import Region
from textual.strip import Strip

if TYPE_CHECKING:
    from textual.widget import Widget as _PaintedWidget
else:  # at run time the mixin stands on object (Textual reads a widget's CSS bases from its first base)
    _PaintedWidget = object


class _PaintedComponentStyle:
    """A component's styles during one paint: its Rich style worked out once, anything else read from them."""

    __slots__ = ("_styles", "rich_style")

    def __init__(self, styles: RenderStyles) -> None:
        self._styles = styles
        self.rich_style: Style = styles.rich_style

    def __getattr__(self, name: str) -> Any:
        return getattr(self._styles, name)


class OneStylePerPaint(_PaintedWidget):
    """Mix into a widget class (before the Textual base) to read its ``rich_style`` and component styles once
    per paint."""

    _style_this_paint: Style | None = None
    _component_styles_this_paint: dict[tuple[str, ...], _PaintedComponentStyle] | None = None

    def render_lines(self, crop: Region) -> list[Strip]:
        """Paint ``crop`` with the widget's styles worked out once."""
        self._style_this_paint = DOMNode.rich_style.fget(self)  # type: ignore[attr-defined]  # a property
        self._component_styles_this_paint = {}
        try:
            return super().render_lines(crop)
        finally:
            self._style_this_paint = self._component_styles_this_paint = None

    @property
    def rich_style(self) -> Style:
        """The widget's Rich style (the one worked out for the current paint, while painting)."""
        style = self._style_this_paint
        return style if style is not None else DOMNode.rich_style.fget(self)  # type: ignore[attr-defined]

    def get_component_styles(self, *names: str) -> RenderStyles:
        """The component styles ``names`` (while painting, the answer worked out first in this paint)."""
        kept = self._component_styles_this_paint
        if kept is None:
            return super().get_component_styles(*names)
        styles = kept.get(names)
        if styles is None:
            styles = kept[names] = _PaintedComponentStyle(super().get_component_styles(*names))
        return styles  # type: ignore[return-value]  # reads as the RenderStyles it wraps
