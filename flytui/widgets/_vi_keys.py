"""The vi-style movement keys the list panes share: ``j``/``k`` down and up, ``g``/``G`` to the ends.

Shared by the list panes of ``flytui.widgets``; the app's help screen reads their help lines here. Usage::

    BINDINGS = [Binding("enter", "select_cursor", "Browse partition"), *vi_bindings()]
"""

from __future__ import annotations

from textual.binding import BindingType

from flytui.keys import KeyBinding

__all__ = ["vi_bindings"]


def vi_bindings(top: str = "scroll_top", bottom: str = "scroll_bottom") -> list[BindingType]:
    """``j``/``k`` move the cursor; ``g``/``G`` run ``top``/``bottom`` (a DataTable's scroll actions by default)."""
    return [
        KeyBinding("j", "cursor_down", "Down", show=False, help_key="j / k, ↑ / ↓", tooltip="Move the cursor"),
        KeyBinding("k", "cursor_up", "Up", show=False),
        KeyBinding("g", top, "Top", show=False, help_key="g / G",
                   tooltip="First / last row (G in the live tail resumes following)"),
        KeyBinding("G", bottom, "Bottom", show=False),
    ]
