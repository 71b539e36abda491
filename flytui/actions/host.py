"""What the action mixins use of the app they are mixed into, declared for the type checker.

Each mixin in :mod:`flytui.actions` derives from :class:`ActionHost` only while type checking (at run time
its base is ``object``), so a mixin's ``self.topic`` or ``self.stream`` is checked against these
declarations, and :class:`~flytui.app.FlyTUIApp`'s own definitions are checked against them in turn: an
abstract member the app does not define makes constructing the app a type error.
"""

from __future__ import annotations

import threading
from abc import abstractmethod

from textual.app import App
from textual.widget import Widget
from textual.widgets import TabbedContent

from pyflymq.models import Message

from ..decode import DecodeMode
from ..model import DLQRecord, Overview, TopicInfo
from ..offset_history import OffsetHistory
from ..schema_choices import SchemaChoices
from ..screens._dialog import KeptDialogs
from ..screens.export import ExportProgressScreen
from ..screens.seek import SeekRequest
from ..service import FlyService
from ..widgets.dlq import DeadLettersPane
from ..widgets.groups import GroupsPane
from ..widgets.header import FlyHeader
from ..widgets.message_stream import MessageStream
from ..widgets.partitions import PartitionsPane
from ..widgets.record_detail import RecordDetail
from ..widgets.topics import TopicsPane


class ActionHost(App[int]):
    """The app's state, panes and helpers that the action mixins read and call."""

    service: FlyService
    overview: Overview | None
    topic: str | None
    partition: int | None
    topic_generation: int
    stream_filter: str | None
    search_pattern: str | None
    detail_source: str
    seek_all: SeekRequest | None
    decode_mode: DecodeMode
    dlq_records: list[DLQRecord]
    tailing: bool
    preferred_group: str | None
    offset_history: OffsetHistory
    dialogs: KeptDialogs
    schema_choices: SchemaChoices
    _partitions_updated_at: float
    _export_cancel: threading.Event | None
    _export_screen: ExportProgressScreen | None

    # The panes (properties of the app).

    @property
    @abstractmethod
    def header(self) -> FlyHeader:
        """The header."""

    @property
    @abstractmethod
    def topics_pane(self) -> TopicsPane:
        """The topic list."""

    @property
    @abstractmethod
    def partitions_pane(self) -> PartitionsPane:
        """The partitions table."""

    @property
    @abstractmethod
    def stream(self) -> MessageStream:
        """The message stream."""

    @property
    @abstractmethod
    def detail(self) -> RecordDetail:
        """The record detail."""

    @property
    @abstractmethod
    def groups(self) -> GroupsPane:
        """The consumer groups table."""

    @property
    @abstractmethod
    def dlq(self) -> DeadLettersPane:
        """The dead letters pane."""

    @property
    @abstractmethod
    def bottom(self) -> TabbedContent:
        """The tabs of groups and dead letters."""

    @property
    @abstractmethod
    def focused_pane(self) -> str | None:
        """The id of the pane holding the focus."""

    @property
    @abstractmethod
    def dlq_focused(self) -> bool:
        """Whether the user works in the dead letters."""

    # Helpers of the app.

    @abstractmethod
    def topic_info(self, name: str | None = None) -> TopicInfo | None:
        """The overview's entry for ``name`` (default: the open topic)."""

    @abstractmethod
    def _sync_bindings(self) -> None: ...

    @abstractmethod
    def _focus(self, widget: Widget) -> None: ...

    @abstractmethod
    def _refresh(self) -> None: ...

    @abstractmethod
    def action_refresh_now(self) -> None:
        """Read topics, watermarks, groups and the open topic's dead letters again now."""

    @abstractmethod
    def _update_reading(self, record: Message | None = None) -> None: ...

    @abstractmethod
    def _update_tab_labels(self) -> None: ...

    @abstractmethod
    def browse(self, partition: int, start_offset: int | None = None) -> None:
        """Browse ``partition`` of the open topic."""

    @abstractmethod
    def _selected_record(self, stored: bool = False) -> Message | None: ...

    @abstractmethod
    def _refuse(self, exc: Exception) -> None: ...

    @abstractmethod
    def _has_dlq(self, topic: str) -> bool: ...

    @staticmethod
    @abstractmethod
    def _dlq_name(topic: str) -> str: ...

    # Members one mixin defines and another uses.

    @abstractmethod
    def seek_all_on(self, partition: int) -> None:
        """Resolve the pending all-partitions seek against ``partition``."""

    @abstractmethod
    def show_detail_of(self, source: str) -> None:
        """Make the detail pane follow ``source``."""

    @abstractmethod
    def start_tail(self, *, backlog: int = 0, start: dict[int, int] | None = None) -> None:
        """Start the live tail."""

    @abstractmethod
    def _stop_tail(self) -> None: ...

    @abstractmethod
    def _leave_tail(self) -> None: ...

    @abstractmethod
    def _refilter_tail(self, text: str | None) -> None: ...

