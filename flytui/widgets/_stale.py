"""Marking a pane whose data is old: while the connection is down, what a pane shows is as old as the last
successful read, and it says so ("stale 12 s") in its border subtitle.

Usage::

    class PartitionsPane(StaleSubtitle, DataTable): ...

    pane.set_subtitle(Text("orders · 3"))    # instead of assigning border_subtitle
    pane.set_stale(12.4)                     # "orders · 3 · stale 12 s"
    pane.set_stale(None)                     # fresh again
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

if TYPE_CHECKING:
    from textual.widget import Widget as _BorderedWidget
else:  # at run time the mixin stands on object; the pane it is mixed into supplies the widget
    _BorderedWidget = object

__all__ = ["STALE_STYLE", "StaleSubtitle", "stale_label"]

STALE_STYLE = "bold black on yellow"
"""Style of a stale mark: it must not blend into the border."""


def stale_label(age: float) -> str:
    """How old data is: ``stale 12 s``, ``stale 3 min``, ``stale 2 h``."""
    seconds = max(0, int(age))
    if seconds < 120:
        return f"stale {seconds} s"
    if seconds < 7200:
        return f"stale {seconds // 60} min"
    return f"stale {seconds // 3600} h"


class StaleSubtitle(_BorderedWidget):
    """Mixin for a widget with a border: its subtitle plus a stale mark while :meth:`set_stale` says so."""

    _subtitle_base: Text | None = None
    _stale_age: float | None = None

    @property
    def stale_age(self) -> float | None:
        """Seconds since the data shown was last read successfully, while it is stale (else None)."""
        return self._stale_age

    def set_subtitle(self, subtitle: str | Text) -> None:
        """The border subtitle (a str is shown as it is, never as markup)."""
        self._subtitle_base = subtitle if isinstance(subtitle, Text) else Text(subtitle)
        self._show_subtitle()

    def set_stale(self, age: float | None) -> None:
        """Mark the data as ``age`` seconds old, or fresh again with None."""
        if age is None and self._stale_age is None:
            return
        self._stale_age = age
        self._show_subtitle()

    def _show_subtitle(self) -> None:
        text = self._subtitle_base.copy() if self._subtitle_base is not None else Text()
        if self._stale_age is not None:
            if text.plain:
                text.append(" · ")
            text.append(stale_label(self._stale_age), STALE_STYLE)
        self.border_subtitle = text
