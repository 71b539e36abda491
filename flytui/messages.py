"""The messages FlyService posts to the app: one small dataclass per result, each with its context.

Each carries what it is about (topic, partition, generation) so the app can drop results for a topic or
position the user has already left. Handler names follow Textual's rule (``on_page_loaded`` ...).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, TypeVar, cast

from textual.app import ScreenStackError
from textual.css.query import NoMatches
from textual.message import Message

from pyflymq.models import Message as Record

from .model import DLQRecord, Overview

if TYPE_CHECKING:
    from .actions.commit import CommitRequest
    from .offset_plan import CommitPlan, PartitionState
    from .screens.seek import SeekRequest

Handler = TypeVar("Handler", bound=Callable[..., Any])

PANES_GONE = (NoMatches, ScreenStackError)
"""What asking the app for a pane raises when there is none: ``ScreenStackError`` before the app has a screen,
``NoMatches`` while its screen is being composed or after it was taken down."""


def while_running(handler: Handler) -> Handler:
    """Drop a result that reaches the app after it began to shut down.

    A worker's result posted just before the app quits is still dispatched while Textual takes the screens
    down; its handler would then look for panes that are gone (``NoMatches``) and turn a clean exit into a
    crash. ``app.is_running`` is False from the start of the shutdown.
    """
    @functools.wraps(handler)
    def guarded(self: Any, event: Any) -> Any:
        if not self.is_running:
            return None
        return handler(self, event)

    return cast(Handler, guarded)  # the same signature: wraps() copies it, the checker cannot tell


@dataclass
class ConnectionChanged(Message):
    """The connection state changed: ``connected``, ``reconnecting`` or ``failed`` (with a reason)."""

    state: str
    reason: str = ""


@dataclass
class NodesCompared(Message):
    """The nodes view's reading of every server of the list (``readings``: node_compare.NodeReading)."""

    readings: list[Any]


@dataclass
class NodeChanged(Message):
    """The clients had to move to another node of a FlyMQ cluster, whose log is a different one: every pane
    must be read again from ``current`` (``previous`` and ``current`` say "node-id at host:port")."""

    previous: str
    current: str


@dataclass
class OverviewLoaded(Message):
    """A refresh pass finished."""

    overview: Overview


@dataclass
class PageLoaded(Message):
    """Records fetched for the message stream (browse mode)."""

    topic: str
    partition: int
    offset: int
    generation: int
    records: list[Record]
    next_offset: int


@dataclass
class TailBatch(Message):
    """New records seen by the live tail since the previous batch."""

    topic: str
    generation: int
    records: list[Record]
    high: dict[int, int] = field(default_factory=dict)


@dataclass
class MatchFound(Message):
    """Result of a filter search (``n``/``N``): the next matching offset, or None."""

    topic: str
    partition: int
    generation: int
    pattern: str
    forward: bool
    offset: int | None
    record: Record | None = None
    scanned_to: int = 0


@dataclass
class TopicSearchProgress(Message):
    """A whole-topic search's state (:mod:`flytui.topic_search`): posted a few times a second and once more
    when it ends (``snapshot.finished``, or ``error`` when it could not start)."""

    topic: str
    search_id: int
    snapshot: Any
    skipped: tuple[int, ...] = ()
    """Partitions left out because the start has no offset there (a group with no committed offset)."""
    error: str = ""


@dataclass
class DeadLettersLoaded(Message):
    """The records of ``<topic>.dlq``."""

    topic: str
    generation: int
    records: list[DLQRecord]
    error: str = ""


@dataclass
class PageFailed(Message):
    """A page for the message stream (:class:`PageLoaded`) could not be read: ``error`` says why."""

    topic: str
    partition: int
    offset: int
    generation: int
    error: str


@dataclass
class MatchFailed(Message):
    """A search step (``n``/``N``, :class:`MatchFound`) could not read the partition: ``error`` says why."""

    topic: str
    partition: int
    generation: int
    pattern: str
    forward: bool
    error: str


@dataclass
class ProduceDone(Message):
    """A record was produced to ``topic``: where the broker stored it."""

    topic: str
    partition: int
    offset: int


@dataclass
class ProduceFailed(Message):
    """A record could not be produced to ``topic``: ``error`` says why."""

    topic: str
    error: str


@dataclass
class ReplayDone(Message):
    """Dead letters were replayed to ``topic`` (their original topic): how many, and the ones that could
    not be (``problems``, one sentence each)."""

    topic: str
    replayed: int
    problems: list[str] = field(default_factory=list)


@dataclass
class ReplayFailed(Message):
    """Replaying dead letters to ``topic`` failed: ``error`` says why."""

    topic: str
    error: str


@dataclass
class PurgeDone(Message):
    """Every dead letter of ``topic`` was deleted."""

    topic: str


@dataclass
class PurgeFailed(Message):
    """Purging the dead letters of ``topic`` failed: ``error`` says why."""

    topic: str
    error: str


@dataclass
class CommitStateLoaded(Message):
    """Current committed offsets, watermarks and members of a group, read before planning the commit
    ``request`` asks for."""

    topic: str
    group: str
    states: dict[int, PartitionState]
    members: int
    error: str
    request: CommitRequest


@dataclass
class CommitExecuted(Message):
    """A commit plan ran; ``readback`` holds the offsets read back from the server afterwards."""

    plan: CommitPlan
    readback: dict[int, int | None]
    errors: dict[int, str]
    members: int = 0


@dataclass
class ExportProgress(Message):
    """Progress of an export to a file."""

    path: str
    done: int
    total: int
    finished: bool = False
    error: str = ""


class SeekPurpose(Enum):
    """Why a seek is resolved, which decides what the app does with its result."""

    SEEK = "seek"
    """The user's seek dialog: an error reopens it."""
    START = "start"
    """``--group`` at start: the stream goes to the group's offset unless the user moved on meanwhile."""
    BROWSE = "browse"
    """An all-partitions seek applied to a partition the user just opened."""


@dataclass
class SeekResolved(Message):
    """A seek resolved against the watermarks (and the group's committed offset) read when the user pressed
    enter: ``offset`` on ``partition``, or ``error`` saying why there is none."""

    topic: str
    partition: int
    generation: int
    request: SeekRequest
    offset: int | None
    low: int = 0
    high: int = 0
    error: str = ""
    purpose: SeekPurpose = SeekPurpose.SEEK
    stream_generation: int | None = None
    """For :attr:`SeekPurpose.START`: the stream's generation when it was asked for."""


@dataclass
class OffsetsSaved(Message):
    """A group's committed offsets were written to a CSV file (``error`` says why not)."""

    topic: str
    group: str
    path: str
    count: int
    error: str = ""


@dataclass
class SchemaLoaded(Message):
    """The registered schema values of ``topic`` are decoded with: schema ``name``, or None when none is
    registered under that name (``error`` says why it could not be read)."""

    topic: str
    name: str
    generation: int
    schema: Any
    error: str = ""


@dataclass
class SchemasListed(Message):
    """The names of the registered schemas (for choosing one for ``topic``), or ``error``."""

    topic: str
    names: list[str]
    error: str = ""
