"""The footer: the keys that apply here, drawn as one line of text.

Textual's ``Footer`` recomposes itself on every bindings change: it mounts one widget per key, lays the row
out again and keeps every key it ever mounted referenced by a watcher list. Bindings change whenever focus moves
or a dialog opens, so each of those keys paid for a footer rebuild, queued after the frame it was measured by
(benchmarks/bench_incident.py: 0.2-0.5 s per focus change on a loaded machine). This footer is one widget of a
fixed height: a bindings change rebuilds a ``Text`` and repaints one line, with no mount and no layout.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import events
from textual.app import RenderResult
from textual.screen import Screen
from textual.widget import Widget


@dataclass(frozen=True)
class FooterEntry:
    """One key shown in the footer: what it displays and where it sits on the line."""

    key: str
    """The key as Textual names it (what a click simulates)."""
    label: str
    """The key as shown (``^p``, ``/``, ``?``)."""
    description: str
    enabled: bool
    start: int = 0
    """First column of the entry on the line."""
    end: int = 0
    """Column after the entry."""


class KeyFooter(Widget, can_focus=False):
    """One line at the bottom of a screen listing the active keys that are meant to be shown.

    Reads ``screen.active_bindings`` (the same source as Textual's footer, the help screen and the palette), greys
    out the keys whose action is disabled right now, and puts the command palette's key at the right edge. A click
    on a key presses it.
    """

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"key-footer--key", "key-footer--description"}
    DEFAULT_CSS = """
    KeyFooter {
        dock: bottom;
        height: 1;
        width: 1fr;
        color: $footer-foreground;
        background: $footer-background;
        .key-footer--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        .key-footer--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name for it
        super().__init__(id=id)
        self.entries: tuple[FooterEntry, ...] = ()
        """What the footer shows now, left to right (the palette's key last)."""
        self._palette_entry: FooterEntry | None = None
        self._placed: list[FooterEntry] = []

    def on_mount(self) -> None:
        """Follow the bindings of the screen the footer is on."""
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self.call_after_refresh(self._bindings_changed, self.screen)  # once the screen's widgets exist

    def on_unmount(self) -> None:
        """Stop following the bindings."""
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        if screen is not self.screen:
            return
        entries, palette = self._read_bindings(screen)
        if entries != self.entries or palette != self._palette_entry:
            self.entries, self._palette_entry = entries, palette
            self.refresh()

    def _read_bindings(self, screen: Screen[object]) -> tuple[tuple[FooterEntry, ...], FooterEntry | None]:
        shown: list[FooterEntry] = []
        seen_actions: set[str] = set()
        palette: FooterEntry | None = None
        palette_key = self.app.COMMAND_PALETTE_BINDING if self.app.ENABLE_COMMAND_PALETTE else None
        for key, active in screen.active_bindings.items():
            binding = active.binding
            entry = FooterEntry(key=binding.key, label=self.app.get_key_display(binding),
                                description=binding.description, enabled=active.enabled)
            if key == palette_key:
                palette = entry
            elif binding.show and binding.action not in seen_actions:
                seen_actions.add(binding.action)  # two keys for one action: the first one speaks for both
                shown.append(entry)
        return tuple(shown), palette

    def render(self) -> RenderResult:
        """The keys as one line; the palette's key right-aligned when there is room for it."""
        key_style = self.get_component_rich_style("key-footer--key")
        description_style = self.get_component_rich_style("key-footer--description")
        dim = Style(dim=True)
        width = self.size.width
        line = Text(no_wrap=True, overflow="crop", end="")
        placed: list[FooterEntry] = []

        def add(entry: FooterEntry) -> None:
            start = line.cell_len
            extra = dim if not entry.enabled else Style()
            line.append(f" {entry.label} ", key_style + extra)
            if entry.description:
                line.append(f"{entry.description} ", description_style + extra)
            placed.append(FooterEntry(entry.key, entry.label, entry.description, entry.enabled, start,
                                      line.cell_len))

        palette = self._palette_entry
        palette_width = cell_len(palette.label) + cell_len(palette.description) + 4 if palette is not None else 0
        room = width - palette_width if 0 < palette_width < width else width
        for entry in self.entries:
            entry_width = cell_len(entry.label) + 2 + (cell_len(entry.description) + 1 if entry.description else 0)
            if line.cell_len + entry_width > room:
                break  # keys that do not fit whole are left out, not cut in the middle
            add(entry)
        if palette is not None and room < width:
            line.pad_right(room - line.cell_len)
            line.append("▏", Style(dim=True))
            add(palette)
        self._placed = placed
        return line

    def on_click(self, event: events.Click) -> None:
        """Press the key under the pointer (a bell for a key that does nothing here)."""
        for entry in self._placed:
            if entry.start <= event.x < entry.end:
                if entry.enabled:
                    self.app.simulate_key(entry.key)
                else:
                    self.app.bell()
                return
