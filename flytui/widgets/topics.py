"""The topics pane: every topic with partition and message counts, DLQ badge, DLQ topics under their topic.

Type to filter: ``/`` or any letter (except ``j k g G q``) moves into the filter box; ``enter`` there or
``down`` returns to the list; ``esc`` clears the filter. The app hides its letter keys while the list has the
focus, so what the footer shows is what the keys do. ``enter`` on a topic posts :class:`TopicsPane.Opened`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.visual import VisualType
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from ..decode import visible_str, visible_text
from ..service import DLQ_SUFFIX, TopicInfo
from ._stale import StaleSubtitle
from ._vi_keys import vi_bindings

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


def middle_ellipsis(name: str, width: int) -> str:
    """``name`` cut to ``width`` cells with ``…`` in the middle, so both its start and its end stay readable."""
    if len(name) <= width:
        return name
    if width <= 1:
        return "…"[:width]
    head = width // 2
    tail = width - 1 - head
    return name[:head] + "…" + (name[-tail:] if tail else "")


def topic_line(topic: TopicInfo, nested: bool, width: int, *, current: bool = False, changed: bool = False,
               dlq_count: int = 0) -> Text:
    """One row of the topic list, ``width`` cells wide: name (cut in the middle), partitions, records, DLQ badge.

    A plain one-line ``Text`` rather than a table: the list measures every row again whenever one changes,
    and a line of text is cheap to measure where a table is not (500 topics).
    """
    count_style = "bold green" if changed else ("red" if topic.is_dlq and topic.messages else "")
    badge = Text("DLQ", "bold white on red") if topic.dlq and dlq_count else (
        Text("dlq", "dim") if topic.dlq else Text("   "))
    right = Text.assemble((f"{topic.partition_count}p".rjust(3), "dim"), " ",
                          (human_count(topic.messages).rjust(5), count_style), " ", badge)
    line = Text(no_wrap=True, overflow="ellipsis", end="")
    if nested:
        line.append(" └ ", "dim")
    if current:
        line.append("▸", "bold")
    room = max(1, width - line.cell_len - right.cell_len - 1)
    name = middle_ellipsis(visible_str(topic.name), room)  # control characters as visible stand-ins
    line.append(name, "dim" if topic.internal else ("red" if topic.is_dlq else ""))
    line.append(" " * max(1, room - len(name) + 1))
    line.append_text(right)
    return line


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
        *vi_bindings(top="first", bottom="last"),
    ]

    OTHER_KEYS_HELP: ClassVar[tuple[tuple[str, str], ...]] = (("/ or a letter", "Filter the topic list"),)
    """``(key, what it does)`` for the help screen: the typed keys :meth:`on_key` sends to the filter box."""

    _OPTION_LOOKS = ("", "option-list--option-highlighted", "option-list--option-hover",
                     "option-list--option-disabled")

    def _replace_option_prompt(self, index: int, prompt: VisualType) -> None:
        """A topic's new line (its count moved): forget that line's drawing and repaint that line only.

        OptionList forgets every drawn line and measures every option again for each replaced prompt: on a
        cluster of 500 topics a refresh that moved 70 counts cost a 15-25 ms frame. Topic lines are one line
        each before and after, so the other lines and the line map stay as they are.
        """
        option = self.get_option_at_index(index)
        line = self._line_cache.index_to_line.get(index)
        one_line = isinstance(prompt, Text) and "\n" not in prompt.plain
        if line is None or self._line_cache.heights.get(index) != 1 or not one_line:
            super()._replace_option_prompt(index, prompt)
            return
        option._set_prompt(prompt)
        padding = self.get_component_styles("option-list--option").padding
        for look in self._OPTION_LOOKS:
            classes = ("option-list--option", look) if look else ("option-list--option",)
            self._option_render_cache.discard((option, self.get_visual_style(*classes), padding))
        self.refresh_line(line)

    @staticmethod
    def _types_into_filter(char: str | None) -> bool:
        return char is not None and char != "" and (char.isalpha() or char in "-_.") and char not in KEEP_KEYS

    def check_consume_key(self, key: str, character: str | None) -> bool:
        """The letters typed here go to the filter box, so the app's letter keys do not apply (nor show)."""
        return self._types_into_filter(character)

    def on_key(self, event: events.Key) -> None:
        """Type to filter: letters and ``-_.`` go to the filter box (``j k g G q`` and digits keep their keys)."""
        char = event.character
        if not char or not char.isprintable() or char.isspace():
            return
        if char == "/":
            event.stop()
            event.prevent_default()
            self.post_message(TopicsPane.FilterRequested(""))
            return
        if self._types_into_filter(char):
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

    def _line_width(self) -> int:
        width = self.option_list.scrollable_content_region.width
        return width if width > 0 else 30

    def _rebuild(self, force: bool = False) -> None:
        """Show the topics; rows whose text did not change are left alone, so a refresh costs what changed."""
        ordered = order_topics(self.topics, self.filter_input.value)
        width = self._line_width()
        dlq_counts = {t.name: t.messages for t in self.topics if t.is_dlq}
        by_name = {t.name: t for t, _ in ordered}
        # what each row shows (not the TopicInfo itself: its watermarks move on a live cluster while the
        # rounded count on screen stays the same)
        rows = [(t.name, (nested, width, t.name == self.current, t.name in self._changed,
                          dlq_counts.get(f"{t.name}{DLQ_SUFFIX}", 0) > 0, t.partition_count,
                          human_count(t.messages), t.internal, t.is_dlq, t.dlq, t.messages > 0))
                for t, nested in ordered]
        signature = tuple(rows)
        if signature == self._signature and not force:
            return
        olist = self.option_list
        ids = [name for name, _ in rows]
        same_width = bool(self._signature) and self._signature[0][1][1] == width
        # the same rows at the same width: rewrite the changed ones; a resize changes them all, so rebuild
        if ordered and same_width and ids == [name for name, _ in self._signature]:
            for index, ((_, row), (_, before)) in enumerate(zip(rows, self._signature, strict=True)):
                if row != before:
                    olist.replace_option_prompt_at_index(index, self._line(by_name[ids[index]], row))
            self._signature = signature
            return
        self._signature = signature
        keep = self.highlighted_topic or self.current
        olist.clear_options()
        olist.add_options([Option(self._line(by_name[name], row), id=name) for name, row in rows])
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

    @staticmethod
    def _line(topic: TopicInfo, row: tuple) -> Text:
        nested, width, current, changed, dlq_has_records = row[:5]
        return topic_line(topic, nested, width, current=current, changed=changed,
                          dlq_count=int(dlq_has_records))

    def on_resize(self) -> None:
        """Rows are laid out for the list's width: lay them out again."""
        if self.loaded:
            self._rebuild()

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

    def on_key(self, event: events.Key) -> None:
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
