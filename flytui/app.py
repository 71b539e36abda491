"""FlyTUIApp: the composition of flytui's panes, its key bindings, and the wiring of screens and service.

Everything is on one screen::

    header ─ server, cluster, connection state, user, READ-ONLY / DEMO badges
    topics │ partitions
           │ message stream        │ record detail
           │ consumer groups / dead letters (tabs)
    footer ─ the keys that apply here

The app never talks to the network itself: it asks :class:`~flytui.service.FlyService` (which runs a worker)
and handles the result messages, dropping those for a topic or position the user has left.
"""

from __future__ import annotations

import gc
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, ClassVar

from rich.text import Text
from textual import events, on
from textual.app import App, ComposeResult, SystemCommand
from textual.command import CommandPalette
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.dom import DOMNode
from textual.notifications import SeverityLevel
from textual.reactive import reactive
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Static, TabbedContent, TabPane

from pyflymq.models import Message as Record

from .actions.commit import CommitActions
from .actions.dead_letters import DeadLetterActions
from .actions.records import RecordActions
from .actions.search import SearchActions
from .actions.tail import TailActions
from .actions.topic_search import TopicSearchActions
from .decode import DecodeMode, visible_str
from .gc_policy import IdleCollector
from .keys import KeyBinding, help_rows, key_rules
from .messages import PANES_GONE, PageFailed, while_running
from .offset_history import OffsetHistory
from .picture_cells import PictureCells
from .rate_history import SessionHistory
from .schema_choices import SchemaChoices
from .screens._dialog import Dialog, KeptDialogs
from .screens.help import HelpScreen, dialog_key_rows
from .screens.main import MainScreen
from .screens.seek import SeekRequest
from .service import (
    ConnectionChanged,
    DLQRecord,
    FlyService,
    NodeChanged,
    NodesCompared,
    Overview,
    OverviewLoaded,
    PageLoaded,
    TopicInfo,
    describe_error,
)
from .widgets._vi_keys import vi_bindings
from .widgets.dlq import DeadLettersPane
from .widgets.groups import GroupsPane
from .widgets.header import FlyHeader
from .widgets.key_footer import KeyFooter
from .widgets.message_stream import MessageStream, StreamMode
from .widgets.partitions import PartitionsPane
from .widgets.record_detail import RecordDetail
from .widgets.topics import TopicList, TopicsPane

PANES = ("topic-list", "partitions", "stream", "detail", "bottom")
NOTIFY_LIMIT = 600
"""Characters of a toast's message shown at most (a 10 kB topic name must not fill the screen)."""
WARM_AFTER_FIRST_PAGE = 0.3
"""Seconds after the first page of records reached the stream when the dialogs' styles are read (earlier, that
work delayed the first screen's records)."""
WARM_WITHOUT_PAGE = 1.5
"""Seconds after the first overview when they are read if no page of records comes (no topic open, empty)."""
BUILD_AHEAD_EVERY = 0.02
"""Seconds between two dialogs built ahead (each takes 50-110 ms, only while no key came for half a second): on
the demo all eight were kept 0.7 s after the first screen (1.2 s with 0.1 s between them)."""


class FlyTUIApp(RecordActions, SearchActions, TopicSearchActions, CommitActions, DeadLetterActions, TailActions,
                App[int]):
    """The flytui application (see the module docstring); its actions live in :mod:`flytui.actions`."""

    CSS_PATH = "flytui.tcss"
    TITLE = "flytui"
    ENABLE_COMMAND_PALETTE = True
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (130, "-wide")]  # narrow: the detail opens over the panes
    VERTICAL_BREAKPOINTS = [(0, "-short"), (40, "-tall")]

    BINDINGS = [
        KeyBinding("tab", "next_pane", help_key="tab / shift+tab", tooltip="Next / previous pane"),
        KeyBinding("shift+tab", "previous_pane"),
        KeyBinding("1", "focus_pane('topic-list')", help_key="1 … 6",
                   tooltip="Topics, partitions, messages, detail, groups, dead letters"),
        KeyBinding("2", "focus_pane('partitions')"),
        KeyBinding("3", "focus_pane('stream')"),
        KeyBinding("4", "focus_pane('detail')"),
        KeyBinding("5", "focus_pane('groups')"),
        KeyBinding("6", "focus_pane('dlq')"),
        KeyBinding("escape", "back", help_key="esc", tooltip="Back: leave the filter, then towards the topics"),
        KeyBinding("q", "quit", "Quit", tooltip="Quit flytui"),
        KeyBinding("question_mark", "help", "Help", key_display="?", tooltip="This help"),
        KeyBinding("s", "seek", "Seek", section="Messages", needs_topic=True,
                   tooltip="Jump to an offset: 123, +N, -N, beginning, end, end-N, group:NAME"),
        KeyBinding("slash", "filter", "Filter", key_display="/", section="Messages", needs_topic=True,
                   tooltip="Filter the stream (it stays on every partition and in the tail): text or regex for "
                           "the broker, or a query like $.status == \"paid\" and key ~ /^cust-01/ (on topics: "
                           "filter the list)"),
        KeyBinding("F", "search_topic", "Search topic", show=False, section="Messages", needs_topic=True,
                   tooltip="Search every partition of the topic from a start (beginning, end-N, group:NAME); "
                           "enter on a match opens it in the stream, esc cancels the scan"),
        KeyBinding("n", "next_match", "Next match", section="Messages", needs_filter=True,
                   tooltip="Next record matching the filter"),
        KeyBinding("N", "previous_match", "Prev match", show=False, section="Messages", needs_filter=True,
                   tooltip="Previous record matching the filter"),
        KeyBinding("t", "tail", "Tail", section="Messages", needs_topic=True,
                   tooltip="Live tail of every partition from now (toggle; stopping browses the selected record)"),
        KeyBinding("T", "tail_backlog", "Tail+backlog", show=False, section="Messages", needs_topic=True,
                   tooltip="Live tail that starts with the last N records of each partition (asks for N)"),
        KeyBinding("d", "decode_mode", "Decode",
                   tooltip="Cycle how values are shown: auto, text, JSON, hex, base64, protobuf, msgpack (keys "
                           "keep theirs)"),
        KeyBinding("K", "key_decode_mode", "Key decode", show=False,
                   tooltip="Cycle how keys are shown (the same modes; values keep theirs)"),
        KeyBinding("S", "choose_schema", "Schema", show=False, needs_topic=True,
                   tooltip="Choose the registered schema that decodes the topic's values (default: named like "
                           "the topic)"),
        KeyBinding("y", "copy_value", "Copy value", section="Messages", needs_record=True,
                   tooltip="Copy the selected value to the clipboard (OSC 52)"),
        KeyBinding("Y", "copy_record", "Copy JSON", show=False, section="Messages", needs_record=True,
                   tooltip="Copy the selected record as JSON to the clipboard (OSC 52)"),
        KeyBinding("c", "commit", "Commit", section="Consumer groups", needs_topic=True, writes=True,
                   tooltip="Move a group's committed offsets (or from a CSV file): plan, type commit, read back"),
        KeyBinding("u", "undo_commit", "Undo commit", show=False, section="Consumer groups", writes=True,
                   tooltip="Undo the last commit: plan back to the offsets it replaced (saved in the journal)"),
        KeyBinding("X", "export_offsets", "Save offsets", show=False, section="Consumer groups", needs_topic=True,
                   tooltip="Save a group's committed offsets on the topic to a CSV file (topic,partition,offset)"),
        KeyBinding("v", "lag_chart", "Lag chart", section="Consumer groups", needs_topic=True,
                   tooltip="Chart of the selected group's lag over the last 5 / 15 / 60 minutes: is it "
                           "draining?"),
        KeyBinding("x", "export", "Export", section="Messages", needs_topic=True,
                   tooltip="Export records to a JSONL file"),
        KeyBinding("p", "produce", "Produce", section="Messages", writes=True,
                   tooltip="Produce a record to the open topic"),
        KeyBinding("e", "edit_resend", "Edit+resend", show=False, section="Messages", needs_record=True,
                   writes=True, tooltip="Edit the selected record and produce it again"),
        KeyBinding("ctrl+r", "refresh_now", "Refresh", show=False, tooltip="Refresh topics, watermarks and groups now"),
        KeyBinding("C", "compare_nodes", "Compare cluster nodes", show=False,
                   tooltip="Nodes view: every server of the list read on its own, watermarks and group offsets "
                           "side by side, where the nodes differ marked"),
    ]
    KEY_RULES: ClassVar[dict[str, KeyBinding]] = key_rules(BINDINGS)
    """What each of the app's keys needs before it applies (read by :meth:`check_action`)."""

    topic: reactive[str | None] = reactive(None, bindings=True)
    """The open topic (most keys are greyed out without one)."""
    search_pattern: reactive[str | None] = reactive(None, bindings=True)
    """What ``n`` / ``N`` step to: the filter, or the topic search's expression (they are hidden without one)."""
    record_selected: reactive[bool] = reactive(False, bindings=True)
    """A record is under the cursor of the list the user works in (the copy and edit keys need one)."""

    def __init__(self, service: FlyService, *, server_label: str = "", demo: bool = False,
                 topic: str | None = None, group: str | None = None, refresh: float = 5.0,
                 auto_open: bool = True) -> None:
        super().__init__()
        self.service = service
        self.server_label = server_label
        self.demo = demo
        self.start_topic = topic
        self.preferred_group = group
        self.refresh_seconds = refresh
        self.auto_open = auto_open
        self._collector = IdleCollector()
        self.overview: Overview | None = None
        self.topic: str | None = None
        self.partition: int | None = None
        self.topic_generation = 0
        self.stream_filter: str | None = None
        self.search_pattern: str | None = None
        self.detail_source = "stream"  # which list the detail pane follows: "stream" or "dlq"
        self.seek_all: SeekRequest | None = None
        self.decode_mode = DecodeMode.AUTO
        self.schema_choices = SchemaChoices.load()
        self._partitions_updated_at = 0.0
        self.dlq_records: list[DLQRecord] = []
        self.tailing = False
        self._retry_timer: Timer | None = None
        self._export_cancel = None
        self._first_overview = True
        self._warm_timer: Timer | None = None
        """Reads the dialogs' styles once the first screen is drawn (None once it is set for good)."""
        self._reload_after_node_change = False
        self.offset_history = OffsetHistory()
        self.dialogs = KeptDialogs(self)
        self._dialogs_ahead: list[tuple[type[Dialog[Any]], tuple[Any, ...], dict[str, Any]]] = []
        """Dialogs kept between openings (building one anew took most of the time from its key to it)."""
        self.history = SessionHistory()
        """Watermarks and group lags of the session, for the rates, sparklines and the lag chart (the service's
        refresh worker records each pass into it)."""
        service.history = self.history
        self.pictures = PictureCells(self.history)
        service.pictures = self.pictures
        self.ready = False

    # ------------------------------------------------------------------ composition

    def get_default_screen(self) -> Screen:
        """The panes' screen: a :class:`MainScreen` (focus changes repaint only what they restyle)."""
        return MainScreen(id="_default")

    def push_screen(self, *args: Any, **kwargs: Any) -> Any:
        """Textual's ``push_screen``; the main screen under the new screen is not repainted whole for it (see
        :meth:`MainScreen.refresh`)."""
        stack = self.screen_stack
        under = stack[-1] if stack and isinstance(stack[-1], MainScreen) else None
        if under is not None:
            under.covering = True
        try:
            return super().push_screen(*args, **kwargs)
        finally:
            if under is not None:
                under.covering = False

    def compose(self) -> ComposeResult:
        """Header, the panes, footer."""
        yield FlyHeader(self.server_label, servers=self.service.settings.servers, read_only=self.service.read_only,
                        demo=self.demo, user=self.service.user,
                        login_warning=self.service.login_warning, id="header")
        with Horizontal(id="main"):
            yield TopicsPane(id="topics")
            with Vertical(id="right"):
                yield PartitionsPane(id="partitions", pictures=self.pictures)
                with Horizontal(id="middle"):
                    yield MessageStream(id="stream")
                    yield RecordDetail(id="detail")
                with TabbedContent(id="bottom", initial="tab-groups"):
                    with TabPane("Consumer groups", id="tab-groups"):
                        yield GroupsPane(id="groups", pictures=self.pictures)
                    with TabPane("Dead letters", id="tab-dlq"):
                        yield DeadLettersPane(id="dlq", read_only=self.service.read_only)
        yield KeyFooter()

    def on_mount(self) -> None:
        """Start the service and the background refresh."""
        self._set_size_classes()
        self.service.attach(self)
        # The UI's own objects live as long as the app: keeping them out of the collector's full passes
        # removes 50-80 ms pauses while the live tail allocates (benchmarks/bench_stream.py).
        gc.freeze()
        self._collector.install()  # and the full passes that remain run while no key is pressed
        self.set_interval(1.0, self._collector.tick, name="idle-gc")
        self.query_one("#topics", TopicsPane).border_title = "Topics"
        self.query_one("#partitions", PartitionsPane).border_title = "Partitions"
        if self.preferred_group:
            self.groups.preferred_group = self.preferred_group
        self._focus(self.topics_pane.option_list)
        if self.service.login_warning:
            self.notify(self.service.login_warning, title="Not logged in", severity="warning", timeout=20)
        self._refresh()
        if self.refresh_seconds > 0:
            self.set_interval(self.refresh_seconds, self._tick, name="refresh")

    def _set_size_classes(self) -> None:
        """Give the screen its breakpoint classes (``-wide``, ``-tall``) for the terminal's size before its
        first layout: Textual adds them at its first resize, after that layout, and then styles and lays out
        every widget again. Not styled here: the screen's first resume styles every widget, with these."""
        width, height = self.size
        classes: dict[str, bool] = {}
        for extent, breakpoints in ((width, self.HORIZONTAL_BREAKPOINTS), (height, self.VERTICAL_BREAKPOINTS)):
            reached = [name for limit, name in sorted(breakpoints or []) if extent >= limit]
            classes.update({name: bool(reached) and name == reached[-1] for _, name in breakpoints or []})
        self.screen.update_classes(classes, update=False)

    def on_unmount(self) -> None:
        """Stop the tail and a running search."""
        self._collector.uninstall()
        self.service.stop_tail()
        self.cancel_topic_search()  # its threads end after their current FETCH

    async def on_event(self, event: events.Event) -> None:
        """Every event passes here first: a key postpones the next full garbage collection."""
        if isinstance(event, events.Key):
            self._collector.user_active()
        await super().on_event(event)

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        """A toast whose text is data: never parsed as markup, control characters shown visibly, length capped.

        Messages carry topic, group and filter names and server errors, so markup is off unless a caller
        asks for it explicitly (none in flytui does).
        """
        if not markup:
            message = visible_str(str(message), limit=NOTIFY_LIMIT)
            title = visible_str(str(title), limit=80)
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    # ------------------------------------------------------------------ pane accessors

    @property
    def header(self) -> FlyHeader:
        """The header."""
        return self.query_one(FlyHeader)

    @property
    def topics_pane(self) -> TopicsPane:
        """The topics pane."""
        return self.query_one(TopicsPane)

    @property
    def partitions_pane(self) -> PartitionsPane:
        """The partitions pane."""
        return self.query_one(PartitionsPane)

    @property
    def stream(self) -> MessageStream:
        """The message stream."""
        return self.query_one(MessageStream)

    @property
    def detail(self) -> RecordDetail:
        """The record detail."""
        return self.query_one(RecordDetail)

    @property
    def groups(self) -> GroupsPane:
        """The consumer-groups pane."""
        return self.query_one(GroupsPane)

    @property
    def dlq(self) -> DeadLettersPane:
        """The dead-letter pane."""
        return self.query_one(DeadLettersPane)

    @property
    def bottom(self) -> TabbedContent:
        """The groups / dead letters tabs."""
        return self.query_one("#bottom", TabbedContent)

    def topic_info(self, name: str | None = None) -> TopicInfo | None:
        """What the last refresh knows about a topic (default: the open one)."""
        name = name or self.topic
        return self.overview.topic(name) if self.overview and name else None

    def _pane_of(self, widget: Widget | None) -> str | None:
        node: DOMNode | None = widget
        while node is not None:
            if node.id in ("topics", "topic-list", "topic-filter"):
                return "topic-list"
            if node.id in ("partitions", "stream", "detail"):
                return node.id
            if node.id in ("groups", "dlq", "bottom"):
                return "bottom"
            node = node.parent
        return None

    @property
    def focused_pane(self) -> str | None:
        """``topic-list``, ``partitions``, ``stream``, ``detail``, ``bottom`` or None."""
        return self._pane_of(self.focused)

    @property
    def dlq_focused(self) -> bool:
        """True while the user works in the dead letters (the detail pane follows them)."""
        return self.detail_source == "dlq" and self.bottom.active == "tab-dlq"

    # ------------------------------------------------------------------ bindings

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide actions that do not apply here (and every write in read-only mode), from the bindings' rules.

        A key that needs an open topic or a selected record is greyed out (None) without one; ``n`` / ``N``
        are hidden without a filter. The state read here is reactive (:attr:`topic`, :attr:`search_pattern`,
        :attr:`record_selected`): Textual refreshes the footer when it changes, not on every key.
        """
        if isinstance(self.screen, ModalScreen) and not isinstance(self.screen, CommandPalette):
            # A dialog is open: the app's own keys are off (the palette lists the main screen's actions), but
            # the dialog's keys that run app actions (tab / shift+tab: ``app.focus_next``) must work.
            return action not in self.KEY_RULES and action != "command_palette"
        rule = self.KEY_RULES.get(action)
        if rule is None:
            return True
        if rule.writes and self.service.read_only:
            return False
        if rule.needs_topic and not self.topic:
            return None
        if rule.needs_filter and not self.search_pattern:
            return False
        if rule.needs_record and not self.record_selected:
            return None
        return True

    def _sync_bindings(self) -> None:
        """Update :attr:`record_selected` after the cursor, the list the user works in, or its records changed."""
        self.record_selected = self._selected_record() is not None

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The command palette: every action bound to a key with a label and active here, plus Textual's own."""
        seen: set[str] = set()
        for key, active in screen.active_bindings.items():
            binding = active.binding
            if not active.enabled or not binding.description or binding.action in seen:
                continue
            seen.add(binding.action)
            label = f"{binding.description} ({binding.key_display or key})"
            yield SystemCommand(label, active.tooltip, self._palette_runner(binding.action, active.node))
        yield SystemCommand("Open dead letters", "Show the dead-letter tab of the open topic",
                            lambda: self.action_focus_pane("dlq"))
        yield SystemCommand("Open consumer groups", "Show the consumer-groups tab", lambda: self.action_focus_pane(
            "groups"))
        yield from super().get_system_commands(screen)

    def _palette_runner(self, action: str, node: DOMNode) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            await self.run_action(action, node)
        return run

    def _warm_dialog_styles(self) -> None:
        """Parse the dialogs' CSS now, while idle, not at the first opening of each (see style_warmup); then
        build the dialogs ahead, one at a time while no key is pressed."""
        from .style_warmup import warm_dialog_styles

        self._warm_timer = None
        warm_dialog_styles(self)
        self._dialogs_ahead = self._dialogs_to_build()
        self._build_timer = self.set_interval(BUILD_AHEAD_EVERY, self._build_next_dialog, name="build-dialogs")

    def _dialogs_to_build(self) -> list[tuple[type[Dialog[Any]], tuple[Any, ...], dict[str, Any]]]:
        """The dialogs of the incident path, most urgent first, with placeholder arguments (each opening
        refills its dialog with the real ones)."""
        from .screens.commit_plan import CommitTargetScreen
        from .screens.export import ExportScreen
        from .screens.filter import FilterScreen
        from .screens.offsets_export import OffsetsExportScreen
        from .screens.produce import ProduceScreen
        from .screens.seek import SeekScreen
        from .screens.tail_backlog import TailBacklogScreen

        read_only = self.service.read_only
        ahead: list[tuple[type[Dialog[Any]], tuple[Any, ...], dict[str, Any]]] = []
        if not read_only:
            ahead.append((CommitTargetScreen, ("", "", 0), {}))
        ahead += [(SeekScreen, (0, 0, 0, 0), {}), (FilterScreen, (), {}),
                  (HelpScreen, (self.help_rows(read_only=read_only),), {"read_only": read_only}),
                  (OffsetsExportScreen, ("",), {}), (ExportScreen, (), {}), (TailBacklogScreen, (), {})]
        if not read_only:
            ahead.append((ProduceScreen, (), {}))
        return ahead

    def _build_next_dialog(self) -> None:
        """Build the next dialog ahead, then lay the built ones out one by one, unless a key was pressed in the
        last half second or a dialog is open."""
        if not self.is_running or self._collector.seconds_since_key() < 0.5 or len(self.screen_stack) > 1:
            return
        while self._dialogs_ahead:
            cls, args, kwargs = self._dialogs_ahead.pop(0)
            if self.dialogs.build_ahead(cls, *args, **kwargs):
                return
        if not self.dialogs.lay_out_ahead():
            self._build_timer.stop()

    # ------------------------------------------------------------------ navigation

    def _focus(self, widget: Widget) -> None:
        """Focus ``widget`` now (not after the queued keys), so a fast ``5 j j`` moves in the new pane."""
        if widget.focusable and widget.screen is self.screen:
            self.screen.set_focus(widget)
        else:
            widget.focus()

    def action_next_pane(self) -> None:
        """Focus the next pane."""
        self._cycle(+1)

    def action_previous_pane(self) -> None:
        """Focus the previous pane."""
        self._cycle(-1)

    def _cycle(self, step: int) -> None:
        current = self.focused_pane
        index = PANES.index(current) if current in PANES else -1
        self.action_focus_pane(PANES[(index + step) % len(PANES)])

    def _show_detail_instead(self, show: bool) -> None:
        """In a narrow terminal the detail covers the panes while it has the focus."""
        self.query_one("#main").set_class(show, "-show-detail")

    def action_focus_pane(self, pane: str) -> None:
        """Focus a pane by name (``bottom`` is the visible tab; ``groups``/``dlq`` switch the tab)."""
        self._show_detail_instead(pane == "detail")
        if pane == "dlq" or (pane == "bottom" and self.bottom.active == "tab-dlq"):
            self.show_detail_of("dlq")
        elif pane in ("stream", "partitions"):
            self.show_detail_of("stream")
        if pane == "topic-list":
            self._focus(self.topics_pane.option_list)
        elif pane == "partitions":
            self._focus(self.partitions_pane)
        elif pane == "stream":
            self._focus(self.stream)
        elif pane == "detail":
            self._focus(self.detail)
        elif pane == "groups" or (pane == "bottom" and self.bottom.active == "tab-groups"):
            self.bottom.active = "tab-groups"
            self._focus(self.groups.table)
        else:
            self.bottom.active = "tab-dlq"
            self._focus(self.dlq.table)
        self._sync_bindings()

    def action_back(self) -> None:  # type: ignore[override]  # Textual runs sync and async actions alike
        """``esc``: leave the filter, then move back towards the topics pane."""
        pane = self.focused_pane
        if pane == "detail" or pane == "bottom":
            self._show_detail_instead(False)
            self._focus(self.stream)
        elif pane == "stream":
            if self.stream_filter is not None:
                self._apply_filter(None)
            else:
                self._focus(self.partitions_pane)
        elif pane == "partitions":
            self._focus(self.topics_pane.option_list)
        else:
            self._focus(self.topics_pane.option_list)

    def on_message_stream_detail_requested(self, event: MessageStream.DetailRequested) -> None:
        """``enter`` in the stream: open the record detail (over the panes in a narrow terminal)."""
        event.stop()
        self.action_focus_pane("detail")

    async def action_quit(self) -> None:
        """Quit (stops the tail first)."""
        self.service.stop_tail()
        self.exit(0)

    def action_help(self) -> None:
        """Show every key and what it does."""
        read_only = self.service.read_only
        self.push_screen(self.dialogs.open(HelpScreen, self.help_rows(read_only=read_only), read_only=read_only))

    @classmethod
    def help_rows(cls, *, read_only: bool = False) -> list[tuple[str, str, str]]:
        """``(key, what it does, where)`` for the help screen, read from the bindings of the app, its panes and
        its dialogs (their ``tooltip``), plus the keys Textual's own widgets handle; ``read_only`` leaves out
        the keys that write."""
        keys = [binding for binding in cls.BINDINGS if isinstance(binding, KeyBinding)]
        moving = [binding for binding in keys if not binding.description]  # not in the footer: navigation
        rows = help_rows(moving, "Everywhere") + help_rows(vi_bindings(), "Everywhere")
        rows += help_rows(MessageStream.BINDINGS, "Everywhere")  # enter: each list opens what is under it
        rows.append((cls.COMMAND_PALETTE_BINDING, "Command palette: every action by name", "Everywhere"))
        rows += help_rows([binding for binding in keys if binding.description], "Everywhere", read_only=read_only)
        rows += help_rows(DeadLettersPane.BINDINGS, "Dead letters", read_only=read_only)
        rows += dialog_key_rows()
        rows += [(key, text, "Topics") for key, text in TopicList.OTHER_KEYS_HELP]
        rows += help_rows(RecordDetail.BINDINGS, "Detail")
        return rows

    # ------------------------------------------------------------------ refresh / connection

    def _refresh(self) -> None:
        """Ask for a refresh; the open topic and its DLQ get fresh watermarks even on a big cluster."""
        focus = (self.topic, self._dlq_name(self.topic)) if self.topic else ()
        self.service.refresh(focus)

    def _tick(self) -> None:
        if self.service.state != "reconnecting":
            self._refresh()

    def action_refresh_now(self) -> None:
        """Refresh topics, watermarks and groups now."""
        self._refresh()
        if self.topic and self._has_dlq(self.topic):
            self.service.load_dlq(self.topic, self.topic_generation)

    @while_running
    def on_connection_changed(self, event: ConnectionChanged) -> None:
        """Show the connection state in the header; retry every 2 s while it is down."""
        try:
            header = self.header
        except PANES_GONE:  # shutting down
            return
        previous = header.state
        header.set_state(event.state, event.reason)
        self._update_staleness()
        if event.state == "reconnecting":
            if self._retry_timer is None:
                self._retry_timer = self.set_interval(2.0, self._refresh, name="reconnect")
            if previous == "connected":
                self.notify(f"Lost the connection: {event.reason}. flytui keeps retrying every 2 s.",
                            title="Connection lost", severity="error", timeout=8)
        elif event.state == "connected":
            if self._retry_timer is not None:
                self._retry_timer.stop()
                self._retry_timer = None
                self.notify("Connection restored.", title="Connected", timeout=3)
        elif event.state == "failed":
            self.notify(f"{event.reason}. Restart flytui with the right credentials.", title="Login failed",
                        severity="error", timeout=15)

    def action_compare_nodes(self) -> None:
        """Open the nodes view and read every server of the list."""
        from .screens.nodes import NodesScreen

        self.push_screen(NodesScreen())
        self.service.compare_nodes()

    @while_running
    def on_nodes_compared(self, event: NodesCompared) -> None:
        """Show the nodes' readings in the nodes view, if it is still open."""
        from .screens.nodes import NodesScreen

        for screen in self.screen_stack:
            if isinstance(screen, NodesScreen):
                screen.show_readings(event.readings)

    @while_running
    def on_node_changed(self, event: NodeChanged) -> None:
        """The data now comes from another cluster node with a log of its own: say so where the user looks,
        forget everything read from the old node (records, detail, Change column, growth marks, offset
        history) and read every pane again from the new one."""
        self._stop_tail()
        self.header.node_changed = event.previous
        self.notify(f"Now reading node {event.current} instead of node {event.previous}, which is unreachable. "
                    "This node holds a different log (FlyMQ does not replicate records or committed offsets): "
                    "offsets, records and group positions seen before do not apply here. Every pane was read "
                    "again from the new node.", title="Another cluster node", severity="warning",
                    timeout=30, markup=False)
        self.offset_history = OffsetHistory()
        self.groups.forget_changes()
        self.partitions_pane.forget_growth()
        self.stream.clear()
        self.detail.show_record(None)
        self.dlq_records = []
        self._reload_after_node_change = True
        self._refresh()

    @while_running
    def on_overview_loaded(self, event: OverviewLoaded) -> None:
        """A refresh pass: update topics, partitions, groups; open the first topic on the first pass."""
        overview = event.overview
        previous = self.overview
        self.overview = overview
        self.offset_history.record(overview.groups, overview.taken_at)
        self.header.address, self.header.node = overview.address, overview.node
        self.header.known_nodes = overview.known_nodes
        if self._reload_after_node_change and not self._first_overview:
            self._reload_after_node_change = False
            self.topics_pane.set_topics(overview.topics)
            if self.topic and overview.topic(self.topic) is not None:
                self.open_topic(self.topic)  # every pane of the open topic, from the new node
            elif self.topic:
                self.notify(f"Topic {self.topic!r} does not exist on node {overview.node}: it was created while "
                            "that node was down. Pick another topic on the left.", severity="warning",
                            timeout=15, markup=False)
            return
        self.topics_pane.set_topics(overview.topics)
        if self._first_overview:
            self._first_overview = False
            target = self.start_topic
            if target and overview.topic(target) is None:
                self.notify(f"Topic {target!r} does not exist on this server. Pick one on the left.",
                            severity="warning", timeout=8)
                target = None
            chosen = target is not None
            if target is None and self.auto_open:
                first = overview.first_topic()
                target = first.name if first is not None else None
            # set before the topic opens: a first page read before the app ran is shown by open_topic itself
            self._warm_timer = self.set_timer(WARM_WITHOUT_PAGE, self._warm_dialog_styles)
            if target:
                self.open_topic(target, focus=chosen)
                if self.preferred_group:
                    self.seek_group_at_start(self.preferred_group)
            self.ready = True
            return
        if self.topic:
            info = overview.topic(self.topic)
            if info is None:
                self.notify(f"Topic {self.topic} was deleted.", severity="warning")
                return
            # The panes take the refresh one frame each (topics, then partitions, then groups): on a big
            # cluster all three repainted in one frame held keys for 60-100 ms; one at a time, a key waits
            # for one pane's repaint at most.
            self.call_after_refresh(self._refresh_partitions, overview, previous, self.topic, info)

    def _refresh_partitions(self, overview: Overview, previous: Overview | None, topic: str, info: TopicInfo) -> None:
        """The refresh pass's partitions pane and stream watermark (unless a newer pass or topic came since)."""
        if self.overview is not overview or self.topic != topic:
            return
        self.partitions_pane.set_partitions(topic, info.partitions)
        if self.stream.mode == StreamMode.BROWSE and self.partition is not None:
            for p in info.partitions:
                if p.partition == self.partition:
                    self.stream.set_high_watermark(p.high)
        self.call_after_refresh(self._refresh_groups, overview, previous, topic)

    def _refresh_groups(self, overview: Overview, previous: Overview | None, topic: str) -> None:
        """The refresh pass's groups pane, dead letters and tab labels (unless a newer pass or topic came)."""
        if self.overview is not overview or self.topic != topic:
            return
        self.groups.set_groups(topic, overview.group_lags(topic))
        old = previous.topic(self._dlq_name(topic)) if previous else None
        new = overview.topic(self._dlq_name(topic))
        if (old and old.messages) != (new and new.messages):
            self.service.load_dlq(topic, self.topic_generation)
        self._update_tab_labels()

    def redraw_history(self) -> None:
        """Redraw the rates and sparklines of the open topic from :attr:`history` (after it was filled by hand:
        the demo screenshots and snapshot tests; a refresh redraws them by itself)."""
        info = self.topic_info()
        if info is None or self.overview is None or self.topic is None:
            return
        self.partitions_pane.set_partitions(self.topic, info.partitions)
        self.groups.set_groups(self.topic, self.overview.group_lags(self.topic))

    def action_lag_chart(self) -> None:
        """Open the lag chart of the group under the cursor in the groups pane (or the one asked for)."""
        from .screens.lag_chart import LagChartScreen

        if not self.topic:
            return
        group = self.groups.selected_group or self.preferred_group
        if group is None or self.groups.group(group) is None:
            self.notify(f"No consumer group on {self.topic} to chart.", severity="warning", timeout=4)
            return
        self.push_screen(LagChartScreen(self.history, self.topic, group))

    # ------------------------------------------------------------------ opening topics and partitions

    @staticmethod
    def _dlq_name(topic: str) -> str:
        return topic if topic.endswith(".dlq") else f"{topic}.dlq"

    def _has_dlq(self, topic: str) -> bool:
        return topic.endswith(".dlq") or self.topic_info(f"{topic}.dlq") is not None

    @on(TopicsPane.Opened)
    def _topic_opened(self, event: TopicsPane.Opened) -> None:
        self.open_topic(event.topic, focus=True)

    def open_topic(self, topic: str, *, focus: bool = False) -> None:
        """Show ``topic`` in every pane (browse its first partition)."""
        info = self.topic_info(topic)
        if info is None:
            self.notify(f"Topic {topic} is not known yet; refreshing.", severity="warning")
            self._refresh()
            return
        was_tailing = self.tailing
        self._stop_tail()
        if self.topic_search is not None and self.topic_search.topic != topic:
            self.cancel_topic_search()
            self.topic_search = None
        self.topic = topic
        self.topic_generation += 1
        self.stream_filter = None
        self.search_pattern = None
        self.seek_all = None
        self.topics_pane.set_current(topic)
        self.partitions_pane.set_partitions(topic, info.partitions)
        if self.overview is None or self.overview.group_lags_cheap(topic):
            self.groups.set_groups(topic, self.overview.group_lags(topic) if self.overview else [])
        else:  # many groups on a wide topic: the refresh worker computes their lags, not the UI thread
            self.groups.show_message(f"Loading the consumer groups of {topic}…")
            self._refresh()
        self.dlq_records = []
        if self._has_dlq(topic):
            self.dlq.show_message(f"Loading {self._dlq_name(topic)}…")
            self.service.load_dlq(topic, self.topic_generation)
        else:
            self.dlq.set_records(topic, [])
        self._update_tab_labels()
        self.load_topic_schema()
        if was_tailing:
            self.start_tail()
        elif info.first_partition is not None:
            self.browse(info.first_partition.partition)
        else:
            self.stream.clear()
        if focus:
            self._focus(self.stream)
        self._sync_bindings()

    @on(PartitionsPane.Opened)
    def _partition_opened(self, event: PartitionsPane.Opened) -> None:
        self._stop_tail()  # the filter stays: it applies to every partition
        self.browse(event.partition)
        self._focus(self.stream)

    def browse(self, partition: int, start_offset: int | None = None) -> None:
        """Browse ``partition`` of the open topic from ``start_offset`` (default: its lowest offset)."""
        info = self.topic_info()
        mark = next((p for p in info.partitions if p.partition == partition), None) if info else None
        if mark is None or self.topic is None:  # (no info without an open topic)
            return
        self.partition = partition
        self.partitions_pane.select_partition(partition)
        if start_offset is None and self.seek_all is not None:
            self.seek_all_on(partition)  # resolved against this partition's range now; browses when done
            return
        start = mark.low if start_offset is None else start_offset
        generation = self.stream.set_browse(self.topic, partition, mark.low, mark.high, start,
                                            filter_text=self.stream_filter)
        first_page = None if self.stream_filter else self.service.take_first_page(self.topic, partition, start)
        if first_page is not None:  # read before the app ran: the first layout shows its records and detail
            self.stream.add_page(generation, partition, start, first_page[0], next_offset=first_page[1])
            self._show_stream_record(self.stream.selected_record)
            self._first_page_shown()
        self._update_reading()
        self._sync_bindings()

    def _update_reading(self, record: Record | None = None) -> None:
        if self.stream.mode == StreamMode.TAIL:
            self.partitions_pane.set_reading({p: "▶ live" for p in self.partitions_pane.partitions})
        elif self.partition is not None:
            record = record if record is not None else self.stream.selected_record
            where = f"▶ {record.offset:,}" if record is not None else "▶"
            if self.stream_filter:
                where += " (filter)"
            self.partitions_pane.set_reading({self.partition: where})

    def _update_tab_labels(self) -> None:
        groups = len(self.groups.groups) if self.topic else 0
        lag = sum(g.total_lag for g in self.groups.groups) if self.topic else 0
        self._set_tab_label("tab-groups", Text.assemble(
            "Consumer groups ", (f"{groups}", "bold"), (f" · lag {lag:,}" if groups else "", "dim")))
        count = len(self.dlq_records)
        label = Text("Dead letters ")
        label.append(str(count), "bold white on red" if count else "dim")
        self._set_tab_label("tab-dlq", label)

    def _set_tab_label(self, pane_id: str, label: Text) -> None:
        """Relabel a bottom tab. Textual lays the whole screen out again for every new label (30-90 ms on a
        big cluster, each refresh, as the lag moves); a label as wide as the old one is repainted in place."""
        tab = self.bottom.get_tab(pane_id)
        new = Content.from_rich_text(label)
        old = tab.label
        if new == old:
            return
        if new.cell_length == old.cell_length and hasattr(tab, "_label"):
            tab._label = new
            Static.update(tab, new, layout=False)  # ContentTab.update would also move the underline: no need
            return
        tab.label = label

    # ------------------------------------------------------------------ the stream

    def on_message_stream_page_wanted(self, event: MessageStream.PageWanted) -> None:
        """The stream needs records: fetch them in a worker."""
        event.stop()
        self.service.fetch_page(event.topic, event.partition, event.offset, event.count, event.generation,
                                self.stream_filter)

    @while_running
    def on_page_loaded(self, event: PageLoaded) -> None:
        """Records arrived for the stream (stale generations are dropped by the stream)."""
        if event.topic != self.topic:
            return
        self.stream.add_page(event.generation, event.partition, event.offset, event.records,
                             next_offset=event.next_offset)
        self._first_page_shown()

    def _first_page_shown(self) -> None:
        """A page of records reached the stream: the first one moves the reading of the dialogs' styles (and the
        building ahead after it) to shortly after it is drawn."""
        if self._warm_timer is not None:
            self._warm_timer.stop()
            self._warm_timer = None
            self.set_timer(WARM_AFTER_FIRST_PAGE, self._warm_dialog_styles)

    @while_running
    def on_message_stream_record_highlighted(self, event: MessageStream.RecordHighlighted) -> None:
        """Show the record under the cursor in the detail pane."""
        event.stop()
        self._show_stream_record(event.record)

    def _show_stream_record(self, record: Record | None) -> None:
        """Show ``record``, the one under the stream's cursor, in the detail pane and the partitions' reading."""
        if self.detail_source == "stream":
            self.detail.show_record(record)
        self._update_reading(record)
        self._sync_bindings()

    def _selected_record(self, stored: bool = False) -> Record | None:
        """The record the record actions apply to: the stream's, or the dead letter's when the user works in
        the dead letters. For a dead letter that is its payload addressed to the original topic (partition
        -1: unknown), or with ``stored`` the DLQ record itself as it is stored in ``<topic>.dlq``."""
        if self.dlq_focused:
            rec = self.dlq.selected
            if rec is None:
                return None
            if stored or rec.entry is None:
                return Record(rec.dlq_topic, rec.partition, rec.offset, None, rec.raw)
            original = rec.entry.original_offset
            return Record(rec.original_topic, -1, -1 if original is None else original, None, rec.entry.value)
        try:
            return self.stream.selected_record
        except PANES_GONE:  # before the panes are composed
            return None

    # ------------------------------------------------------------------ errors and results

    @while_running
    def on_page_failed(self, event: PageFailed) -> None:
        """A page of the open topic could not be read: say why (a page of a topic left meanwhile is dropped)."""
        if event.topic == self.topic:
            self.notify(f"Could not read {event.topic} partition {event.partition}: {event.error}",
                        severity="error", timeout=6)

    def _refuse(self, exc: Exception) -> None:
        self.notify(describe_error(exc), severity="error", timeout=8)
