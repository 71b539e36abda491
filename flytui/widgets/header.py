"""The one-line header: the server actually connected and its node, connection state (with reason), the live
tail (or that it is paused and since when), user, READ-ONLY and DEMO badges.

Everything shown here may come from the server or the command line, so it is built as ``Text`` with control
characters made visible, never as markup.
"""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from ..decode import visible_text
from ._stale import STALE_STYLE, stale_label

STATE_STYLES = {
    "connecting": ("◌ connecting", "bold yellow"),
    "connected": ("● connected", "bold green"),
    "reconnecting": ("◌ reconnecting", "bold black on yellow"),
    "failed": ("✖ failed", "bold white on red"),
}


class FlyHeader(Widget):
    """Shows where flytui is connected and how; the connection reason stays visible while it is not healthy.

    ``server`` is a fixed display name (the demo, tests); without one the header shows ``address``, the
    ``host:port`` the client is connected to (one of the servers given), or the list given until then.
    ``stale_age`` (seconds, or None) marks the live tail as paused while the connection is down.
    """

    DEFAULT_CSS = """
    FlyHeader { height: 1; }
    """

    server: reactive[str] = reactive("")
    servers: reactive[str] = reactive("")
    address: reactive[str] = reactive("")
    node: reactive[str] = reactive("")
    state: reactive[str] = reactive("connecting")
    reason: reactive[str] = reactive("")
    user: reactive[str] = reactive("")
    read_only: reactive[bool] = reactive(False)
    demo: reactive[bool] = reactive(False)
    tail: reactive[str] = reactive("")
    stale_age: reactive[float | None] = reactive(None)
    login_warning: reactive[str] = reactive("")
    known_nodes: reactive[int] = reactive(0)
    node_changed: reactive[str] = reactive("")
    """Set after a move to another cluster node: the node read before (shown as a warning badge)."""

    def __init__(self, server: str = "", *, servers: str = "", read_only: bool = False, demo: bool = False,
                 user: str | None = None, node: str = "", login_warning: str | None = None,
                 id: str | None = None) -> None:
        super().__init__(id=id)
        self.set_reactive(FlyHeader.server, server)
        self.set_reactive(FlyHeader.servers, servers)
        self.set_reactive(FlyHeader.read_only, read_only)
        self.set_reactive(FlyHeader.demo, demo)
        self.set_reactive(FlyHeader.user, user or "")
        self.set_reactive(FlyHeader.node, node)
        self.set_reactive(FlyHeader.login_warning, login_warning or "")

    def set_state(self, state: str, reason: str = "") -> None:
        """Update the connection state shown."""
        self.state = state
        self.reason = reason

    @property
    def where(self) -> str:
        """The server named in the header: the fixed name, else the address in use, else the list given."""
        return self.server or self.address or self.servers or "?"

    def render(self) -> Text:
        """The header line (content is data: built as Text, never markup)."""
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(" flytui ", "bold reverse")
        if self.demo:
            text.append(" DEMO ", "bold black on magenta")
        if self.read_only:
            text.append(" READ-ONLY ", "bold black on cyan")
        text.append("  ")
        if not (self.server or self.address) and self.servers:
            text.append("to ", "dim")
        text.append_text(visible_text(self.where, style="bold"))
        if self.node:
            text.append("   node ", "dim")
            text.append_text(visible_text(self.node))
        if self.known_nodes > 1:
            text.append(f" · cluster of {self.known_nodes} known nodes", "dim")
        if self.node_changed:
            text.append("  ")
            badge = Text(" ⚠ OTHER NODE: was ", "bold black on yellow")
            badge.append_text(visible_text(self.node_changed))
            badge.append(" ")
            text.append_text(badge)
        label, style = STATE_STYLES.get(self.state, (self.state, "bold"))
        text.append("   ")
        text.append(f" {label} " if " on " in style else label, style)
        if self.tail:
            text.append("  ")
            if self.stale_age is None:
                badge = Text(" ▶ LIVE ", "bold black on green")
                badge.append_text(visible_text(self.tail))
                badge.append(" ")
            else:
                badge = Text(" ‖ PAUSED ", STALE_STYLE)
                badge.append_text(visible_text(self.tail))
                badge.append(f" · {stale_label(self.stale_age)} ")
            text.append_text(badge)
        if self.user:
            text.append("   user ", "dim")
            text.append_text(visible_text(self.user, style="bold"))
        elif self.login_warning:  # credentials were given, but the server has auth off: not logged in
            text.append("   ")
            text.append(" ⚠ NOT LOGGED IN: auth is off on the server ", "bold black on yellow")
        if self.reason and self.state != "connected":  # last: a long reason is what gets cut
            text.append("   ")
            text.append_text(visible_text(self.reason, style="yellow" if self.state == "reconnecting" else "red"))
        return text
