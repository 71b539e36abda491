"""The topics pane: every topic with partition and message counts, DLQ badge, DLQ topics under their topic.

Type to filter: ``/`` or any letter (except ``j k g G q``) moves into the filter box; ``enter`` there or
``down`` returns to the list; ``esc`` clears the filter. The app hides its letter keys while the list has the
focus, so what the footer shows is what the keys do. ``enter`` on a topic posts :class:`TopicsPane.Opened`.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from ..decode import visible_text
from ..service import DLQ_SUFFIX, TopicInfo
from ._stale import StaleSubtitle

KEEP_KEYS = frozenset("jkgGq")
"""Letters that keep their meaning in the topic list; every other letter starts the filter."""


def human_count(n: int) -> str:
    """A compact count: 999, 1.2k, 34k, 1.2M."""
    if n < 1000:
        return str(n)
    if n < 10_000:
        return f"{n / 1000:.1f}k"
    if n < 1_000_000:
        return f"{n // 1000}k"
    return f"{n / 1_000_000:.1f}M"


def order_topics(topics: Iterable[TopicInfo], pattern: str = "") -> list[tuple[TopicInfo, bool]]:
    """Topics in display order as (topic, nested): each ``<t>.dlq`` right under ``<t>``, internal ones last.

    ``pattern`` keeps topics whose name contains it (case-insensitive); a DLQ matches with its parent.
    """
    by_name = {t.name: t for t in topics}
    pattern = pattern.lower().strip()

    def keep(t: TopicInfo) -> bool:
        return not pattern or pattern in t.name.lower()

    out: list[tuple[TopicInfo, bool]] = []
    for t in sorted(by_name.values(), key=lambda t: (t.internal, t.name)):
        if t.is_dlq and t.name[: -len(DLQ_SUFFIX)] in by_name:
            continue  # shown under its parent
        dlq = by_name.get(f"{t.name}{DLQ_SUFFIX}")
        parent_kept = keep(t)
        if parent_kept or (dlq is not None and keep(dlq)):
            out.append((t, False))
            if dlq is not None:
                out.append((dlq, True))
    return out


class TopicList(OptionList):
    """The list of topics (vim keys on top of the OptionList's arrows)."""

    BINDINGS = [
        Binding("enter", "select", "Open topic"),
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("g", "first", "Top", show=False),
        Binding("G", "last", "Bottom", show=False),
    ]

    def on_key(self, event) -> None:
        """Type to filter: letters and ``-_.`` go to the filter box (``j k g G q`` and digits keep their keys)."""
        char = event.character
        if not char or not char.isprintable() or char.isspace():
            return
        if char == "/":
            event.stop()
            event.prevent_default()
            self.post_message(TopicsPane.FilterRequested(""))
            return
        if char in KEEP_KEYS or char.isdigit():
            return
        if char.isalpha() or char in "-_.":
            event.stop()
            event.prevent_default()
            self.post_message(TopicsPane.FilterRequested(char))


class TopicsPane(StaleSubtitle, Vertical):
    """Left pane: filter box and topic list."""

    BORDER_TITLE = "Topics"

    class Opened(Message):
        """The user opened a topic (``enter`` or click)."""

        def __init__(self, topic: str) -> None:
            super().__init__()
            self.topic = topic

    class FilterRequested(Message):
        """Internal: move into the filter box with this first character."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.topics: tuple[TopicInfo, ...] = ()
        self._previous_counts: dict[str, int] = {}
        self._changed: set[str] = set()
        self.current: str | None = None
        self._signature: tuple = ()
        self.loaded = False

    def compose(self) -> ComposeResult:
        """Filter input and list."""
        yield Input(placeholder="/ filter topics", id="topic-filter")
        yield TopicList(id="topic-list")

    @property
    def option_list(self) -> TopicList:
        """The list widget."""
        return self.query_one(TopicList)

    @property
    def filter_input(self) -> Input:
        """The filter box."""
        return self.query_one("#topic-filter", Input)

    @property
    def highlighted_topic(self) -> str | None:
        """The topic under the cursor."""
        option = self.option_list.highlighted_option
        return option.id if option else None

    def set_topics(self, topics: Iterable[TopicInfo]) -> None:
        """Show these topics (from a refresh); counts that changed since the last refresh are marked."""
        topics = tuple(topics)
        counts = {t.name: t.messages for t in topics}
        if self._previous_counts:
            self._changed = {n for n, c in counts.items() if self._previous_counts.get(n, c) != c}
        self._previous_counts = counts
        self.topics = topics
        self.loaded = True
        self._rebuild()

    def set_current(self, topic: str | None) -> None:
        """Mark the topic that is open in the other panes (and put the cursor on it)."""
        self.current = topic
        self._rebuild(force=True)
        if topic:
            try:
                self.option_list.highlighted = self.option_list.get_option_index(topic)
            except Exception:  # noqa: BLE001 - filtered out
                pass

    def _rebuild(self, force: bool = False) -> None:
        ordered = order_topics(self.topics, self.filter_input.value)
        signature = tuple((t, nested, t.name in self._changed, t.name == self.current) for t, nested in ordered)
        if signature == self._signature and not force:
            return
        self._signature = signature
        olist = self.option_list
        keep = self.highlighted_topic or self.current
        olist.clear_options()
        olist.add_options([Option(self._prompt(t, nested), id=t.name) for t, nested in ordered])
        if not ordered:
            self.set_subtitle("no match" if self.topics else "no topics")
            hint = (f"No topic matches {self.filter_input.value!r} (esc clears the filter)." if self.topics
                    else "No topics on this server yet: ctrl+p → Produce creates one.")
            olist.add_option(Option(visible_text(hint, style="italic dim"), disabled=True))
            return
        self.set_subtitle(f"{len([1 for t, n in ordered if not n])} topics")
        try:
            olist.highlighted = olist.get_option_index(keep) if keep else 0
        except Exception:  # noqa: BLE001 - the kept topic is filtered out
            olist.highlighted = 0

    def _prompt(self, topic: TopicInfo, nested: bool) -> Table:
        grid = Table.grid(expand=True, padding=(0, 1))
        grid.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
        grid.add_column(justify="right", width=3, no_wrap=True)
        grid.add_column(justify="right", width=5, no_wrap=True)
        grid.add_column(width=3, no_wrap=True)
        name = Text(no_wrap=True, overflow="ellipsis")
        if nested:
            name.append(" └ ", "dim")
        if topic.name == self.current:
            name.append("▸", "bold")
        name.append_text(visible_text(topic.name, style="dim" if topic.internal else ("red" if topic.is_dlq else "")))
        count_style = "bold green" if topic.name in self._changed else ("red" if topic.is_dlq and topic.messages
                                                                         else "")
        badge = Text("DLQ", "bold white on red") if topic.dlq and self._dlq_count(topic) else (
            Text("dlq", "dim") if topic.dlq else Text(""))
        grid.add_row(name, Text(f"{topic.partition_count}p", "dim"),
                     Text(human_count(topic.messages), count_style), badge)
        return grid

    def _dlq_count(self, topic: TopicInfo) -> int:
        for t in self.topics:
            if t.name == f"{topic.name}{DLQ_SUFFIX}":
                return t.messages
        return 0

    # ------------------------------------------------------------------ events

    @on(OptionList.OptionSelected, "#topic-list")
    def _opened(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option_id:
            self.post_message(self.Opened(event.option_id))

    @on(FilterRequested)
    def _start_filter(self, event: FilterRequested) -> None:
        event.stop()
        box = self.filter_input
        box.value = box.value + event.text
        box.focus()
        box.cursor_position = len(box.value)

    @on(Input.Changed, "#topic-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._rebuild()

    @on(Input.Submitted, "#topic-filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        event.stop()
        self.option_list.focus()
        if len(self.option_list.options) == 1:
            self.post_message(self.Opened(self.option_list.options[0].id or ""))

    def on_key(self, event) -> None:
        """``esc`` in the filter clears it; ``down`` moves to the list."""
        if not self.filter_input.has_focus:
            return
        if event.key == "escape":
            event.stop()
            event.prevent_default()
            self.filter_input.value = ""
            self.option_list.focus()
        elif event.key == "down":
            event.stop()
            event.prevent_default()
            self.option_list.focus()
