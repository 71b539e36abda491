"""The screens' focus without a whole-screen repaint.

Textual repaints the whole screen on every focus change (``Screen.focused`` is a reactive that repaints). The
widgets that gain and lose the focus restyle and repaint themselves anyway, as do their ancestors whose
look depends on ``:focus-within``; the whole-screen repaint on top of that cost 20-40 ms for each ``tab``
and each pane key. Checked in tmux: after focus moves, the terminal shows what a full repaint (forced by a
resize) shows, colours included.
"""

from __future__ import annotations

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
