"""The one-line header: server, cluster id, connection state (with reason), user, READ-ONLY and DEMO badges."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

STATE_STYLES = {
    "connecting": ("◌ connecting", "bold yellow"),
    "connected": ("● connected", "bold green"),
    "reconnecting": ("◌ reconnecting", "bold black on yellow"),
    "failed": ("✖ failed", "bold white on red"),
}


class FlyHeader(Widget):
    """Shows where flytui is connected and how; the connection reason stays visible while it is not healthy."""

    DEFAULT_CSS = """
    FlyHeader { height: 1; }
    """

    server: reactive[str] = reactive("")
    cluster_id: reactive[str] = reactive("")
    state: reactive[str] = reactive("connecting")
    reason: reactive[str] = reactive("")
    user: reactive[str] = reactive("")
    read_only: reactive[bool] = reactive(False)
    demo: reactive[bool] = reactive(False)
    tail: reactive[str] = reactive("")

    def __init__(self, server: str = "", *, read_only: bool = False, demo: bool = False,
                 user: str | None = None, cluster_id: str = "", id: str | None = None) -> None:
        super().__init__(id=id)
        self.set_reactive(FlyHeader.server, server)
        self.set_reactive(FlyHeader.read_only, read_only)
        self.set_reactive(FlyHeader.demo, demo)
        self.set_reactive(FlyHeader.user, user or "")
        self.set_reactive(FlyHeader.cluster_id, cluster_id)

    def set_state(self, state: str, reason: str = "") -> None:
        """Update the connection state shown."""
        self.state = state
        self.reason = reason

    def render(self) -> Text:
        """The header line (content is data: built as Text, never markup)."""
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(" flytui ", "bold reverse")
        if self.demo:
            text.append(" DEMO ", "bold black on magenta")
        if self.read_only:
            text.append(" READ-ONLY ", "bold black on cyan")
        text.append("  ")
        text.append(self.server or "?", "bold")
        if self.cluster_id:
            text.append("   cluster ", "dim")
            text.append(self.cluster_id)
        label, style = STATE_STYLES.get(self.state, (self.state, "bold"))
        text.append("   ")
        text.append(f" {label} " if " on " in style else label, style)
        if self.reason and self.state != "connected":
            text.append(f"  {self.reason}", "yellow" if self.state == "reconnecting" else "red")
        if self.tail:
            text.append("  ")
            text.append(f" ▶ LIVE {self.tail} ", "bold black on green")
        if self.user:
            text.append("   user ", "dim")
            text.append(self.user, "bold")
        return text
