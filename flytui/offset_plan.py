"""Offset arithmetic for seeks and commit plans: pure functions, no Textual, no network.

Public API
----------
* :class:`PartitionState` ``(low, high, committed)``: one partition's retained range (``high`` exclusive:
  the next offset to be written, as ``FlyMQClient.watermarks`` returns it) and the group's committed
  offset (``None``: never committed).
* :class:`CommitTarget` / :class:`TargetKind`: where a commit should move the group
  (``selected``, ``after_selected``, ``earliest``, ``latest``, ``offset``, ``shift``) and on which
  partition (``partition=None``: every partition); ``offsets`` gives each partition its own offset (an
  undo back to saved offsets, or offsets read from a file).
* :func:`plan_commit` ``(topic, group, target, partitions) -> CommitPlan``: the dry run, one
  :class:`PlanRow` per partition, with totals. Nothing is written here; the caller executes
  ``plan.offsets`` (``{partition: new}``, changed rows only) with COMMIT and then reads the offsets back
  (:func:`read_back_rows`).
* :func:`parse_commit_target` for the typed form (``earliest``, ``latest``, ``123``, ``+5``, ``-5``);
  :func:`parse_explicit_offset` and :func:`parse_shift` for a form's offset / shift field.
* :func:`parse_seek` ``(text, current, low, high) -> int`` and :func:`parse_seek_spec` /
  :class:`SeekSpec` for seeking the browser (``123``, ``+N``, ``-N``, ``beginning``, ``end``,
  ``end-N``, ``group:NAME``).

Conventions (flymq-wire §2.6, §2.17, §3.3-3.6)
----------------------------------------------
* A committed offset is the **next offset to read**. Committing the selected record's offset replays
  that record; committing offset + 1 skips it.
* ``latest`` means ``high`` (the next offset to be written), never the broker's ``RESET_OFFSET latest``
  which answers ``highest + 1 = 1`` on an empty partition. Execute plans with COMMIT of ``row.new``.
* A never-committed partition (``committed is None``) counts as positioned at ``low``: that is where the
  broker's ``commit`` subscribe mode resumes such a group. A ``shift`` on it is relative to ``low``.
* Records replayed / skipped and lag count **records that exist**: the position used for them is the
  committed offset clamped into ``[low, high]``. So ``lag_before = high - clamp(committed)`` (this can
  differ from the broker's GET_LAG, which counts from 0 when nothing is committed and reports
  ``latest = 1`` on an empty partition) and ``lag_after = high - new``.
* ``new`` is always within ``[low, high]``; a shift or explicit offset falling outside is clamped and the
  row says so (``clamped=True`` and a note).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum

__all__ = [
    "U64_MAX",
    "CommitPlan",
    "CommitTarget",
    "PartitionState",
    "PlanRow",
    "ReadBackRow",
    "SeekKind",
    "SeekSpec",
    "TargetKind",
    "parse_commit_target",
    "parse_explicit_offset",
    "parse_seek",
    "parse_seek_spec",
    "parse_shift",
    "plan_commit",
    "read_back_rows",
]

U64_MAX = 2**64 - 1
"""The largest offset the wire can carry (offsets are u64)."""

_UNSIGNED = re.compile(r"\d+")
_SIGNED = re.compile(r"[+-]\d+")
_FROM_END = re.compile(r"(?:end|e|latest)\s*-\s*(\d+)")
_EARLIEST_WORDS = frozenset({"earliest", "beginning", "begin", "b", "start"})
_LATEST_WORDS = frozenset({"latest", "end", "e"})


def _clamp(value: int, low: int, high: int) -> int:
    return low if value < low else high if value > high else value


# --------------------------------------------------------------------------------------------- states


@dataclass(frozen=True)
class PartitionState:
    """One partition as a plan sees it.

    ``low`` is the lowest retained offset, ``high`` the next offset to be written (exclusive; an empty
    partition is ``(0, 0)``), ``committed`` the group's committed offset or ``None`` if it never committed
    on this partition.
    """

    low: int
    high: int
    committed: int | None = None

    def __post_init__(self) -> None:
        if self.low < 0 or self.high < self.low:
            raise ValueError(f"bad partition range: low={self.low}, high={self.high} (need 0 <= low <= high)")
        if self.committed is not None and self.committed < 0:
            raise ValueError(f"bad committed offset {self.committed}")

    @property
    def position(self) -> int:
        """Where the group resumes, clamped into ``[low, high]`` (``low`` when never committed)."""
        return self.low if self.committed is None else _clamp(self.committed, self.low, self.high)

    @property
    def lag(self) -> int:
        """Records the group still has to read: ``high - position``."""
        return self.high - self.position


# --------------------------------------------------------------------------------------------- targets


class TargetKind(str, Enum):
    """The six ways to choose a new committed offset."""

    SELECTED = "selected"
    """The selected record's offset: the group reads (replays) it next."""
    AFTER_SELECTED = "after_selected"
    """The selected record's offset + 1: the group skips it."""
    EARLIEST = "earliest"
    """The lowest retained offset: replay everything."""
    LATEST = "latest"
    """The next offset to be written: skip everything not yet read."""
    OFFSET = "offset"
    """An explicit offset N."""
    SHIFT = "shift"
    """The current committed offset moved by ±N."""
    OFFSETS = "offsets"
    """Each listed partition to its own offset (undo, or a file of offsets)."""


_KIND_LABELS = {
    TargetKind.SELECTED: "the selected record (replay it)",
    TargetKind.AFTER_SELECTED: "just after the selected record (skip it)",
    TargetKind.EARLIEST: "earliest (replay everything retained)",
    TargetKind.LATEST: "latest (skip everything unread)",
    TargetKind.OFFSET: "an explicit offset",
    TargetKind.SHIFT: "shift by ±N from the committed offset",
    TargetKind.OFFSETS: "each partition to its own offset",
}


@dataclass(frozen=True)
class CommitTarget:
    """Where to move a group's committed offset, and on which partitions.

    ``value`` is the selected record's offset for ``selected``/``after_selected``, N for ``offset``, the
    signed amount for ``shift``, and ``None`` for ``earliest``/``latest``/``offsets``. ``partition`` is the
    one partition to change, or ``None`` for all; ``selected``/``after_selected`` always name the selected
    record's partition. ``offsets`` (kind ``offsets`` only) is ``((partition, offset), ...)``; an offset of
    ``None`` means "as if never committed": FlyMQ cannot delete a commit, so the plan commits the lowest
    retained offset, where a new group starts. ``source`` says where those offsets come from. Build with
    the class methods (:meth:`selected`, :meth:`after_selected`, :meth:`earliest`, :meth:`latest`,
    :meth:`to_offset`, :meth:`shift_by`, :meth:`to_offsets`) or :func:`parse_commit_target`.
    """

    kind: TargetKind
    value: int | None = None
    partition: int | None = None
    offsets: tuple[tuple[int, int | None], ...] = ()
    source: str = ""

    def __post_init__(self) -> None:
        kind = TargetKind(self.kind)
        object.__setattr__(self, "kind", kind)
        if self.partition is not None and self.partition < 0:
            raise ValueError(f"bad partition {self.partition}")
        if kind in (TargetKind.SELECTED, TargetKind.AFTER_SELECTED):
            if self.partition is None:
                raise ValueError("a commit to the selected record needs the record's partition")
            if self.value is None or self.value < 0:
                raise ValueError("a commit to the selected record needs the record's offset")
        elif kind in (TargetKind.EARLIEST, TargetKind.LATEST):
            if self.value is not None:
                raise ValueError(f"{kind.value} takes no value")
        elif kind is TargetKind.OFFSET:
            if self.value is None or not 0 <= self.value <= U64_MAX:
                raise ValueError("an explicit offset must be a whole number from 0 to 2^64-1")
        elif kind is TargetKind.OFFSETS:
            if not self.offsets:
                raise ValueError("no partition offsets given")
            partitions = [p for p, _ in self.offsets]
            if len(set(partitions)) != len(partitions):
                raise ValueError("a partition is listed twice")
            for p, offset in self.offsets:
                if p < 0 or (offset is not None and not 0 <= offset <= U64_MAX):
                    raise ValueError(f"bad partition offset {p}: {offset}")
        elif self.value is None:
            raise ValueError("a shift needs an amount, e.g. +5 or -5")

    # constructors ---------------------------------------------------------------------------------

    @classmethod
    def selected(cls, partition: int, offset: int) -> CommitTarget:
        """Commit the selected record's own offset on its partition: the group replays it."""
        return cls(TargetKind.SELECTED, offset, partition)

    @classmethod
    def after_selected(cls, partition: int, offset: int) -> CommitTarget:
        """Commit the selected record's offset + 1 on its partition: the group skips it."""
        return cls(TargetKind.AFTER_SELECTED, offset, partition)

    @classmethod
    def earliest(cls, partition: int | None = None) -> CommitTarget:
        """Commit the lowest retained offset (one partition, or all with ``None``)."""
        return cls(TargetKind.EARLIEST, None, partition)

    @classmethod
    def latest(cls, partition: int | None = None) -> CommitTarget:
        """Commit the next offset to be written (one partition, or all with ``None``)."""
        return cls(TargetKind.LATEST, None, partition)

    @classmethod
    def to_offset(cls, offset: int, partition: int | None = None) -> CommitTarget:
        """Commit an explicit offset (clamped into each partition's range by the plan)."""
        return cls(TargetKind.OFFSET, offset, partition)

    @classmethod
    def shift_by(cls, amount: int, partition: int | None = None) -> CommitTarget:
        """Move the committed offset by ``amount`` (negative replays, positive skips)."""
        return cls(TargetKind.SHIFT, amount, partition)

    @classmethod
    def to_offsets(cls, offsets: Mapping[int, int | None], source: str = "") -> CommitTarget:
        """Commit each partition of ``offsets`` to its own offset (``None``: as if never committed)."""
        return cls(TargetKind.OFFSETS, None, None, tuple(sorted(offsets.items())), source)

    # descriptions ---------------------------------------------------------------------------------

    @property
    def all_partitions(self) -> bool:
        """True when the target applies to every partition of the topic."""
        return self.partition is None and self.kind is not TargetKind.OFFSETS

    def scope_text(self) -> str:
        """``partition N``, ``partitions 0, 2`` or ``all partitions``."""
        if self.kind is TargetKind.OFFSETS:
            listed = [str(p) for p, _ in self.offsets]
            return f"partition{'s' if len(listed) > 1 else ''} {', '.join(listed)}"
        return "all partitions" if self.partition is None else f"partition {self.partition}"

    def describe(self) -> str:
        """One line for a human, e.g. ``shift by -5 on all partitions``."""
        kind = self.kind
        if kind is TargetKind.SELECTED:
            what = f"to the selected record, offset {self.value} (it will be read again)"
        elif kind is TargetKind.AFTER_SELECTED:
            what = f"to just after the selected record, offset {self.value} + 1 (it will be skipped)"
        elif kind is TargetKind.EARLIEST:
            what = "to earliest"
        elif kind is TargetKind.LATEST:
            what = "to latest"
        elif kind is TargetKind.OFFSET:
            what = f"to offset {self.value}"
        elif kind is TargetKind.OFFSETS:
            what = f"to {self.source or 'the listed offsets'}"
        else:
            what = f"shift by {self.value:+d}"
        return f"{what} on {self.scope_text()}"

    @staticmethod
    def label(kind: TargetKind | str) -> str:
        """A short label for a target kind, for lists of choices."""
        return _KIND_LABELS[TargetKind(kind)]


def parse_explicit_offset(text: str) -> int:
    """Parse an explicit offset (a whole number, no sign). Raises :class:`ValueError` with a message for
    the user, including a hint when a signed shift was typed instead."""
    raw = text.strip()
    compact = raw.replace(" ", "")
    if not compact:
        raise ValueError("Type the offset, e.g. 1234.")
    if _SIGNED.fullmatch(compact):
        raise ValueError(f"{compact} is a shift, not an offset: type the offset without a sign, "
                         "or choose a shift.")
    if not _UNSIGNED.fullmatch(compact):
        raise ValueError(f"{raw!r} is not an offset: type a whole number, e.g. 1234.")
    value = int(compact)
    if value > U64_MAX:
        raise ValueError(f"Offset {value} is larger than the largest possible offset (2^64-1).")
    return value


def parse_shift(text: str) -> int:
    """Parse a signed shift ``+N`` / ``-N``. The sign is required: ``5`` is refused, with a message saying
    what ``+5`` and ``-5`` would do. Raises :class:`ValueError` with a message for the user."""
    raw = text.strip()
    compact = raw.replace(" ", "")
    if not compact:
        raise ValueError("Type the shift: -N replays N records, +N skips N records.")
    if _UNSIGNED.fullmatch(compact):
        raise ValueError(f"A shift needs a sign: +{compact} skips {compact} records, -{compact} replays them.")
    if not _SIGNED.fullmatch(compact):
        raise ValueError(f"{raw!r} is not a shift: type +N or -N, e.g. -10.")
    return int(compact)


def parse_commit_target(text: str, partition: int | None = None) -> CommitTarget:
    """Parse the typed form of a commit target.

    ``earliest`` (or ``beginning``), ``latest`` (or ``end``), ``123`` (explicit offset), ``+5`` / ``-5``
    (shift from the committed offset). ``partition`` is the scope (``None``: all partitions). Raises
    :class:`ValueError` with a message fit to show the user.
    """
    raw = text.strip()
    word = raw.lower()
    if not word:
        raise ValueError("Type a target: earliest, latest, an offset like 1234, or a shift like +5 / -5.")
    if word in _EARLIEST_WORDS:
        return CommitTarget.earliest(partition)
    if word in _LATEST_WORDS:
        return CommitTarget.latest(partition)
    compact = word.replace(" ", "")
    if _SIGNED.fullmatch(compact):
        return CommitTarget.shift_by(parse_shift(compact), partition)
    if _UNSIGNED.fullmatch(compact):
        return CommitTarget.to_offset(parse_explicit_offset(compact), partition)
    raise ValueError(f"{raw!r} is not a commit target: use earliest, latest, an offset like 1234, "
                     "or a shift like +5 / -5.")


# --------------------------------------------------------------------------------------------- plans


@dataclass(frozen=True)
class PlanRow:
    """One partition of a commit plan.

    ``current`` is the committed offset now (``None``: never committed), ``new`` the offset that will be
    committed (always within ``[low, high]``). ``replayed``/``skipped`` count the existing records the
    group will read again / never read (at most one of them is non-zero). ``clamped`` is True when the
    requested offset (``requested``) fell outside the partition and was moved to its edge; ``note``
    explains anything unusual in plain words.
    """

    partition: int
    current: int | None
    new: int
    lag_before: int
    lag_after: int
    replayed: int
    skipped: int
    clamped: bool
    note: str
    requested: int | None = None

    @property
    def changed(self) -> bool:
        """True when executing the plan writes this partition (a never-committed one always counts)."""
        return self.current != self.new

    def effect_text(self) -> str:
        """``replay N``, ``skip N``, ``no records`` (changed but no record crossed) or ``unchanged``."""
        if not self.changed:
            return "unchanged"
        if self.replayed:
            return f"replay {self.replayed}"
        if self.skipped:
            return f"skip {self.skipped}"
        return "no records"


@dataclass(frozen=True)
class CommitPlan:
    """The dry run of a commit: every partition in scope, before and after. Nothing has been written."""

    topic: str
    group: str
    target: CommitTarget
    rows: tuple[PlanRow, ...] = field(default_factory=tuple)

    @property
    def changed_rows(self) -> tuple[PlanRow, ...]:
        """The rows that executing the plan will write."""
        return tuple(row for row in self.rows if row.changed)

    @property
    def offsets(self) -> dict[int, int]:
        """``{partition: new offset}`` for the changed rows: exactly what to COMMIT."""
        return {row.partition: row.new for row in self.rows if row.changed}

    @property
    def is_noop(self) -> bool:
        """True when no partition changes."""
        return not self.changed_rows

    @property
    def total_replayed(self) -> int:
        """Records the group will read again, over all partitions."""
        return sum(row.replayed for row in self.rows)

    @property
    def total_skipped(self) -> int:
        """Records the group will never read, over all partitions."""
        return sum(row.skipped for row in self.rows)

    @property
    def total_lag_before(self) -> int:
        """Lag now, summed over the partitions in the plan."""
        return sum(row.lag_before for row in self.rows)

    @property
    def total_lag_after(self) -> int:
        """Lag after the commit, summed over the partitions in the plan."""
        return sum(row.lag_after for row in self.rows)

    @property
    def any_clamped(self) -> bool:
        """True when some requested offset fell outside its partition and was clamped."""
        return any(row.clamped for row in self.rows)

    def summary(self) -> str:
        """One line: how many partitions change, records replayed/skipped, lag before -> after."""
        changed = len(self.changed_rows)
        return (f"{changed} of {len(self.rows)} partition(s) change: "
                f"{self.total_replayed} record(s) replayed, {self.total_skipped} skipped; "
                f"lag {self.total_lag_before} -> {self.total_lag_after}")


def _requested_offset(target: CommitTarget, state: PartitionState, partition: int) -> int:
    kind = target.kind
    value = 0 if target.value is None else target.value  # None only for the kinds that do not read it
    if kind is TargetKind.SELECTED:
        return value
    if kind is TargetKind.AFTER_SELECTED:
        return value + 1
    if kind is TargetKind.EARLIEST:
        return state.low
    if kind is TargetKind.LATEST:
        return state.high
    if kind is TargetKind.OFFSET:
        return value
    if kind is TargetKind.OFFSETS:
        saved = dict(target.offsets).get(partition)
        return state.low if saved is None else saved
    base = state.low if state.committed is None else state.committed
    return base + value


def _plan_row(partition: int, target: CommitTarget, state: PartitionState) -> PlanRow:
    low, high, committed = state.low, state.high, state.committed
    notes: list[str] = []
    if committed is None:
        notes.append(f"never committed: the group would start at the lowest offset {low}")
    elif committed < low:
        notes.append(f"committed {committed} is below the lowest retained offset {low} "
                     f"(those records are gone); counted from {low}")
    elif committed > high:
        notes.append(f"committed {committed} is past the end of the log ({high}); counted from {high}")
    requested = _requested_offset(target, state, partition)
    if target.kind is TargetKind.OFFSETS and dict(target.offsets).get(partition) is None:
        notes.append(f"had no committed offset before; FlyMQ cannot delete a commit, so the lowest retained "
                     f"offset {low} is committed (where a new group starts)")
    new = _clamp(requested, low, high)
    clamped = new != requested
    if clamped:
        if requested < low:
            notes.append(f"requested {requested} is below the lowest retained offset {low}: clamped to {low}")
        else:
            notes.append(f"requested {requested} is past the end of the log: clamped to {high}")
    position = state.position
    if committed == new:
        notes.append("unchanged")
    return PlanRow(
        partition=partition,
        current=committed,
        new=new,
        lag_before=high - position,
        lag_after=high - new,
        replayed=max(0, position - new),
        skipped=max(0, new - position),
        clamped=clamped,
        note="; ".join(notes),
        requested=requested,
    )


def plan_commit(topic: str, group: str, target: CommitTarget,
                partitions: Mapping[int, PartitionState]) -> CommitPlan:
    """Plan a commit: per partition in the target's scope, the current and new offset, lag, replay/skip.

    ``partitions`` maps every partition of the topic to its :class:`PartitionState`. With
    ``target.partition`` set (always for ``selected``/``after_selected``) only that partition is planned.
    Raises :class:`ValueError` when the target's partition is not in ``partitions``.
    """
    if not partitions:
        raise ValueError(f"topic {topic!r} has no partitions to plan")
    if target.kind is TargetKind.OFFSETS:
        missing = [p for p, _ in target.offsets if p not in partitions]
        if missing:
            known = ", ".join(str(p) for p in sorted(partitions))
            raise ValueError(f"partition {missing[0]} is not in topic {topic!r} (partitions: {known})")
        chosen = [p for p, _ in target.offsets]
    elif target.partition is None:
        chosen = sorted(partitions)
    else:
        if target.partition not in partitions:
            known = ", ".join(str(p) for p in sorted(partitions))
            raise ValueError(f"partition {target.partition} is not in topic {topic!r} (partitions: {known})")
        chosen = [target.partition]
    rows = tuple(_plan_row(p, target, partitions[p]) for p in chosen)
    return CommitPlan(topic=topic, group=group, target=target, rows=rows)


# --------------------------------------------------------------------------------------------- read back


@dataclass(frozen=True)
class ReadBackRow:
    """After executing a plan: what was asked for on one partition and what the broker now says.

    ``read_back`` is ``None`` when reading it back failed (or was not attempted); ``error`` holds the
    commit's or the read's error; ``written`` is False for a plan row that did not change (nothing was
    committed there). ``ok`` is True only when the broker's value equals ``requested``, or for an
    unchanged row that was not read back.
    """

    partition: int
    before: int | None
    requested: int
    read_back: int | None
    error: str | None = None
    written: bool = True

    @property
    def ok(self) -> bool:
        """True when the offset read back equals the one requested and nothing failed."""
        if self.error is not None:
            return False
        if self.read_back is None:
            return not self.written
        return self.read_back == self.requested

    def status_text(self) -> str:
        """``OK``, ``MISMATCH``, ``NOT READ BACK``, ``ERROR`` or ``UNCHANGED`` (not written, not read)."""
        if self.error is not None:
            return "ERROR"
        if self.read_back is None:
            return "NOT READ BACK" if self.written else "UNCHANGED"
        return "OK" if self.read_back == self.requested else "MISMATCH"


def read_back_rows(plan: CommitPlan, read_back: Mapping[int, int | None],
                   errors: Mapping[int, str] | None = None) -> list[ReadBackRow]:
    """Compare a plan with the offsets read back from the broker, one row per planned partition."""
    errors = errors or {}
    return [
        ReadBackRow(partition=row.partition, before=row.current, requested=row.new,
                    read_back=read_back.get(row.partition), error=errors.get(row.partition),
                    written=row.changed)
        for row in plan.rows
    ]


# --------------------------------------------------------------------------------------------- seek

_SEEK_HELP = ("Type an offset: 1234, +N or -N (from the current offset), beginning, end, end-N "
              "(N before the end), or group:NAME (that group's committed offset).")


class SeekKind(str, Enum):
    """The forms a seek can take."""

    ABSOLUTE = "absolute"
    RELATIVE = "relative"
    BEGINNING = "beginning"
    END = "end"
    FROM_END = "from_end"
    GROUP = "group"


@dataclass(frozen=True)
class SeekSpec:
    """A parsed seek, before it is resolved against a partition.

    ``value`` is the offset (absolute), the signed amount (relative) or N (from_end); ``group`` names the
    group for ``group:NAME``. :meth:`resolve` turns it into an offset for one partition.
    """

    kind: SeekKind
    value: int = 0
    group: str | None = None

    def describe(self) -> str:
        """How the seek reads for a human, e.g. ``10 before the end``."""
        kind = self.kind
        if kind is SeekKind.ABSOLUTE:
            return f"offset {self.value}"
        if kind is SeekKind.RELATIVE:
            return f"{self.value:+d} from the current offset"
        if kind is SeekKind.BEGINNING:
            return "the beginning"
        if kind is SeekKind.END:
            return "the end (new records only)"
        if kind is SeekKind.FROM_END:
            return f"{self.value} before the end"
        return f"group {self.group!r}'s committed offset"

    def resolve(self, current: int, low: int, high: int, *, committed: int | None = None,
                clamp: bool = False) -> int:
        """The offset this seek means on a partition with range ``[low, high]`` and position ``current``.

        ``committed`` is the group's committed offset, needed only for ``group:NAME``. With ``clamp``
        an offset outside the range is moved to its edge; without, it raises :class:`ValueError`.
        """
        kind = self.kind
        if kind is SeekKind.ABSOLUTE:
            target, how = self.value, "Offset"
        elif kind is SeekKind.RELATIVE:
            target, how = current + self.value, f"{self.value:+d} from the current offset {current} gives"
        elif kind is SeekKind.BEGINNING:
            return low
        elif kind is SeekKind.END:
            return high
        elif kind is SeekKind.FROM_END:
            target, how = high - self.value, f"end-{self.value} gives"
        else:
            if committed is None:
                raise ValueError(f"Group {self.group!r} has no committed offset on this partition.")
            target, how = committed, f"Group {self.group!r}'s committed offset"
        if low <= target <= high or clamp:
            return _clamp(target, low, high)
        if kind is SeekKind.ABSOLUTE or kind is SeekKind.GROUP:
            how = f"{how} {target} is"
        else:
            how = f"{how} {target},"
        if target < low:
            raise ValueError(f"{how} before the beginning: the lowest retained offset is {low} "
                             "(type `beginning`).")
        raise ValueError(f"{how} past the end: the next offset to be written is {high} (type `end`).")


def parse_seek_spec(text: str) -> SeekSpec:
    """Parse a seek without resolving it: ``123``, ``+N``, ``-N``, ``beginning``/``b``/``earliest``,
    ``end``/``e``/``latest``, ``end-N``, ``group:NAME``. Raises :class:`ValueError` with a message fit to
    show the user."""
    raw = text.strip()
    if not raw:
        raise ValueError(_SEEK_HELP)
    if raw[:6].lower() == "group:":
        name = raw[6:].strip()
        if not name:
            raise ValueError("group: needs a group name, e.g. group:billing")
        return SeekSpec(SeekKind.GROUP, group=name)
    word = raw.lower().replace(" ", "")
    if word in _EARLIEST_WORDS:
        return SeekSpec(SeekKind.BEGINNING)
    if word in _LATEST_WORDS:
        return SeekSpec(SeekKind.END)
    match = _FROM_END.fullmatch(word)
    if match:
        return SeekSpec(SeekKind.FROM_END, int(match.group(1)))
    if _SIGNED.fullmatch(word):
        return SeekSpec(SeekKind.RELATIVE, int(word))
    if _UNSIGNED.fullmatch(word):
        return SeekSpec(SeekKind.ABSOLUTE, int(word))
    raise ValueError(f"{raw!r} is not an offset. {_SEEK_HELP}")


def parse_seek(text: str, current: int, low: int, high: int) -> int:
    """Resolve a typed seek on one partition: ``123``; ``+N``/``-N`` relative to ``current``;
    ``beginning``/``b``/``earliest`` (``low``); ``end``/``e``/``latest`` (``high``, the next offset to be
    written); ``end-N``. The result must lie within ``[low, high]``, else :class:`ValueError` says why.
    ``group:NAME`` needs the group's committed offset: use :func:`parse_seek_spec` and
    :meth:`SeekSpec.resolve` for it."""
    spec = parse_seek_spec(text)
    if spec.kind is SeekKind.GROUP:
        raise ValueError(f"group:{spec.group} needs that group's committed offset from the broker.")
    return spec.resolve(current, low, high)
