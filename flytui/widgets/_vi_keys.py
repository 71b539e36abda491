"""The vi-style movement keys the list panes share: ``j``/``k`` down and up, ``g``/``G`` to the ends.

Private to ``flytui.widgets``. Usage::

    BINDINGS = [Binding("enter", "select_cursor", "Browse partition"), *vi_bindings()]
"""

from __future__ import annotations

from textual.binding import Binding, BindingType

__all__ = ["vi_bindings"]


def vi_bindings(top: str = "scroll_top", bottom: str = "scroll_bottom") -> list[BindingType]:
    """``j``/``k`` move the cursor; ``g``/``G`` run ``top``/``bottom`` (a DataTable's scroll actions by default)."""
    return [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("g", top, "Top", show=False),
        Binding("G", bottom, "Bottom", show=False),
    ]
