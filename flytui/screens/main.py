"""The screens' focus without a whole-screen repaint.

Textual repaints the whole screen on every focus change (``Screen.focused`` is a reactive that repaints). The
widgets that gain and lose the focus restyle and repaint themselves anyway, as do their ancestors whose
look depends on ``:focus-within``; the whole-screen repaint on top of that cost 20-40 ms for each ``tab``
and each pane key. Checked in tmux: after focus moves, the terminal shows what a full repaint (forced by a
resize) shows, colours included.
"""

from __future__ import annotations

from typing import Any

from textual.geometry import Region
from textual.reactive import Reactive
from textual.screen import Screen
from textual.widget import Widget


def focus_without_repaint() -> Reactive[Widget | None]:
    """``Screen.focused`` as Textual declares it, without the whole-screen repaint (one per screen class: a
    reactive belongs to the class it is declared in)."""
    return Reactive(None, repaint=False)


class MainScreen(Screen[None]):
    """The app's first screen (the panes); its focus changes repaint only the widgets they restyle."""

    focused: Reactive[Widget | None] = focus_without_repaint()

    covering: bool = False
    """Set by the app while it pushes a dialog over this screen (see :meth:`refresh`)."""

    def refresh(self, *regions: Region, repaint: bool = True, layout: bool = False,
                recompose: bool = False) -> Any:
        """Textual's refresh, except the whole-screen repaint Textual asks for when it pushes a dialog over
        the screen: the dialog's own first frame paints the whole screen anyway, so that repaint only made it
        paint the whole screen a second time (12-14 ms of the key that opened it)."""
        if self.covering and not regions and not layout and not recompose:
            return self
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)
