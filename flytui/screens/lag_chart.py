"""The lag chart of one consumer group on the open topic (``v``): is the lag draining?

A bar chart of the group's total lag over the last 5, 15 or 60 minutes of the session (``w`` cycles), with
the current lag, the highest in the window, and how fast it moves (draining, growing or steady, and when it
would reach 0 at that pace). The data is the session's history (:class:`flytui.rate_history.SessionHistory`),
which the background refresh feeds; the chart redraws when a refresh added to it, not otherwise.
``esc``, ``v`` or ``q`` close it. The group and topic names are shown as data, never markup.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from flytui.decode import visible_text
from flytui.rate_history import SessionHistory, lag_slope, level_buckets
from flytui.screens._dialog import Dialog, hint_line, title_line
from flytui.sparkline import chart, compact_number

__all__ = ["CHART_COLUMNS", "CHART_HEIGHT", "WINDOWS", "LagChartScreen", "describe_trend"]

CHART_COLUMNS = 80
CHART_HEIGHT = 12
WINDOWS = (300.0, 900.0, 3600.0)
"""The spans ``w`` cycles through, in seconds."""
AXIS = 8
"""Characters of the y-axis labels."""


def describe_trend(lag: float | None, slope: float | None) -> Text:
    """``lag 1,200 · draining 40/s · 0 in ~30 s`` (or growing / steady / caught up) in plain words."""
    if lag is None:
        return Text("No lag recorded yet for this group: the refresh adds a point every few seconds.", "italic")
    text = Text.assemble("lag ", (f"{int(lag):,}", "bold"))
    if lag == 0:
        text.append(" · caught up", "bold green")
    elif slope is None or abs(slope) < 1e-9:
        text.append(" · steady (not draining)", "bold yellow")
    elif slope < 0:
        text.append(f" · draining {compact_number(-slope)}/s", "bold green")
        text.append(f" · 0 in ~{_duration(lag / -slope)} at this pace")
    else:
        text.append(f" · growing {compact_number(slope)}/s", "bold red")
    return text


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


class LagChartScreen(Dialog[None]):
    """The chart of ``group``'s lag on ``topic`` (see the module docstring)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("v,q", "cancel", "Close", show=False),
        Binding("w", "next_window", "Window", show=False),
    ]

    DEFAULT_CSS = """
    LagChartScreen > .dialog-box {
        width: 96;
    }
    LagChartScreen #lag-chart {
        width: 100%;
        height: auto;
        margin-bottom: 1;
    }
    """

    def __init__(self, history: SessionHistory, topic: str, group: str) -> None:
        super().__init__()
        self.history = history
        self.topic = topic
        self.group = group
        self.window = WINDOWS[0]
        self._drawn: tuple[int, float] | None = None

    def compose(self) -> ComposeResult:
        """Title, summary, chart, hint."""
        with self.dialog_box():
            title = Text("Lag of ")
            title.append_text(visible_text(self.group, style="bold"))
            title.append(" on ")
            title.append_text(visible_text(self.topic, style="bold"))
            yield title_line(title)
            yield Static("", id="lag-summary")
            yield Static("", id="lag-chart")
            yield hint_line("w: 5 / 15 / 60 minutes · esc / v / q: close")

    def on_mount(self) -> None:
        """Draw, then redraw whenever a refresh adds to the history."""
        self.redraw()
        self.set_interval(1.0, self.redraw, name="lag-chart")

    def action_next_window(self) -> None:
        """Show the next span of :data:`WINDOWS`."""
        self.window = WINDOWS[(WINDOWS.index(self.window) + 1) % len(WINDOWS)]
        self.redraw()

    def redraw(self) -> None:
        """Render the chart again if the history or the window changed since the last time."""
        key = (self.history.version, self.window)
        if key == self._drawn:
            return
        self._drawn = key
        self.query_one("#lag-summary", Static).update(self.summary())
        self.query_one("#lag-chart", Static).update(self.render_chart())

    def summary(self) -> Text:
        """The current lag and how it moves."""
        _, samples = self.history.lag_recent(self.topic, self.group, self.window)
        return describe_trend(samples[-1][1] if samples else None, lag_slope(samples))

    def render_chart(self) -> Text:
        """The chart with its axes, as one Text."""
        end, samples = self.history.lag_recent(self.topic, self.group, self.window)
        levels = level_buckets(samples, end, self.window, CHART_COLUMNS)
        known = [v for v in levels if v is not None]
        peak = max(known, default=0.0)
        style = "red" if len(known) > 1 and known[-1] > known[0] else "green"
        lines = chart(levels, CHART_HEIGHT, style=style, top=peak or None)
        out = Text(no_wrap=True)
        for row, line in enumerate(lines):
            if row == 0:
                label = compact_number(peak)
            elif row == CHART_HEIGHT // 2:
                label = compact_number(peak / 2)
            else:
                label = ""
            out.append(f"{label:>{AXIS - 2}} ┤" if label else " " * (AXIS - 1) + "│", "dim")
            out.append_text(line)
            out.append("\n")
        out.append(f"{'0':>{AXIS - 2}} └" + "─" * CHART_COLUMNS + "\n", "dim")
        minutes = int(self.window // 60)
        left = f"-{minutes} min"
        out.append(" " * AXIS + left + "now".rjust(CHART_COLUMNS - len(left)), "dim")
        return out
