"""The key footer, rebuilt at most once per short window however often the bindings change."""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer

REBUILD_WINDOW = 0.15
"""Seconds the footer waits after a bindings change before it rebuilds; later changes in that time join it."""


class CoalescingFooter(Footer):
    """Textual's footer, except that the bindings changes of a short window cost one rebuild.

    Textual's footer rebuilds every key widget for each bindings change, and each rebuild makes the screen
    lay itself out again. Reaching the first screen changes the bindings about a dozen times (focus, the
    first topic, its first record, the dead letters, the tabs), and those rebuilds with their layouts were
    the largest cost of startup. Here the first change schedules a rebuild :data:`REBUILD_WINDOW` seconds
    later, changes until then join it, and the rebuild reads the bindings as they are when it runs. A change
    once it has started schedules the next one.
    """

    _rebuild_waiting = False

    def bindings_changed(self, screen: Screen) -> None:
        """Schedule a rebuild, unless one is waiting already."""
        self._bindings_ready = True
        if not screen.app.app_focus or self._rebuild_waiting:
            return
        if self.is_attached and screen is self.screen:
            self._rebuild_waiting = True
            self.set_timer(REBUILD_WINDOW, self._rebuild, name="footer-rebuild")

    async def _rebuild(self) -> None:
        self._rebuild_waiting = False
        await self.recompose()
