"""The key footer, rebuilt at most once per screen refresh however often the bindings change."""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


class CoalescingFooter(Footer):
    """Textual's footer, except that the bindings changes between two refreshes cost one rebuild.

    Textual's footer schedules a full rebuild (every key widget unmounted, new ones mounted and styled) for
    each bindings change; at startup the focus, the first topic, its first record and the tabs change them a
    dozen times in quick succession, and those rebuilds were the largest cost of reaching the first screen.
    Here a rebuild that is already waiting absorbs the changes that come before it starts: it reads the
    bindings when it runs. A change once it has started schedules the next one.
    """

    _rebuild_waiting = False

    def bindings_changed(self, screen: Screen) -> None:
        """Schedule a rebuild after the next refresh, unless one is waiting already."""
        self._bindings_ready = True
        if not screen.app.app_focus or self._rebuild_waiting:
            return
        if self.is_attached and screen is self.screen:
            self._rebuild_waiting = True
            self.call_after_refresh(self._rebuild)

    async def _rebuild(self) -> None:
        self._rebuild_waiting = False
        await self.recompose()
