"""Moving a group's committed offsets: choose a target, review the plan, confirm, see what the broker holds.

The flow (kafka-consumer-groups' plan-then-execute, Kafbat's replay/skip counts, nats-tui's read-back):

1. ``CommitTargetScreen(topic, group, partition, selected_offset=None, *, partition_count=None, groups=(),
   initial=None)`` — a ``ModalScreen[CommitChoice | None]``. The user types or keeps the group (a new name
   creates the group), picks one of the kinds (the selected record = replay it, just after it = skip it,
   earliest, latest, an explicit offset, shift by ±N, or the offsets listed in a CSV file), types the
   offset / shift / file when needed, and the scope (this partition or all, ``ctrl+a`` toggles; the two
   "selected" kinds are always this partition, a file lists its own partitions). ``tab`` / ``shift+tab``
   reach every field and button. ``enter`` in a text field, ``p`` or *Preview plan* dismisses with a
   :class:`CommitChoice` (group, target, and the form as typed: pass it back as ``initial`` to reopen the
   dialog with the same choices); ``esc`` with ``None``. Nothing is written.
2. The caller reads watermarks and committed offsets, builds ``plan_commit(...)`` and pushes
   ``CommitPlanScreen(plan, members=0, *, confirm_word="commit", moves=(), group_exists=True, title=None,
   back=False)`` — a ``ModalScreen[bool | None]``: the plan as a table (GROUP, TOPIC, PARTITION, CURRENT,
   NEW, LAG BEFORE, LAG AFTER, REPLAY/SKIP), totals, a red banner when ``members > 0`` or when committed
   offsets ``moves`` were seen in the last refreshes, a "new group: none → N" banner, notes on clamped /
   unusual rows. It dismisses ``True`` only after the user types the word ``commit`` and presses ``enter``
   (or the *Commit* button, enabled only once the word is typed); *Cancel* dismisses ``False``; ``esc``
   dismisses ``None`` ("back to the target") with ``back=True``, else ``False``. A plan that changes
   nothing can only be closed.
3. The caller commits ``plan.offsets`` and reads every planned partition back (GET_OFFSET), then pushes
   ``CommitResultScreen(plan, read_back, errors=None, *, members=0, note="")`` — a ``ModalScreen[None]``:
   per partition the offset before, the one requested and the one READ BACK, with mismatches, failed reads
   and errors marked loudly. ``read_back`` maps partition -> offset read (``None``: could not read),
   ``errors`` maps partition -> error text of a failed commit or read; ``note`` says where the replaced
   offsets were saved.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.suggester import SuggestFromList
from textual.widgets import Button, DataTable, Input, RadioButton, RadioSet, Static

from flytui.decode import visible_text
from flytui.offset_files import read_offsets_file
from flytui.offset_history import OffsetMove
from flytui.offset_plan import (
    CommitPlan,
    CommitTarget,
    PlanRow,
    ReadBackRow,
    TargetKind,
    parse_explicit_offset,
    parse_shift,
    read_back_rows,
)
from flytui.screens._dialog import (
    ALL_PARTITIONS_KEY,
    Dialog,
    TypedConfirmDialog,
    error_line,
    hint_line,
    label_line,
    title_line,
)
from flytui.widgets._in_place import relabel_in_place, update_in_place
from flytui.widgets.field_input import FieldInput

__all__ = ["CommitChoice", "CommitPlanScreen", "CommitResultScreen", "CommitTargetScreen"]

_CELL_MAX = 32


def _cap(text: str, limit: int = _CELL_MAX) -> Text:
    """A table cell from untrusted text: control characters made visible, long text cut with an ellipsis."""
    shown = "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in text)
    if len(shown) > limit:
        shown = shown[: limit - 1] + "…"
    return Text(shown)


def _num(value: int | None, style: str = "", none: str = "none") -> Text:
    if value is None:
        return Text(none, style="dim italic")
    return Text(str(value), style=style)


# ------------------------------------------------------------------------------------------ target

FILE_KIND = "file"
"""The target dialog's extra kind: the offsets listed in a CSV file (planned as :attr:`TargetKind.OFFSETS`)."""

_DIALOG_KINDS = (TargetKind.SELECTED.value, TargetKind.AFTER_SELECTED.value, TargetKind.EARLIEST.value,
                 TargetKind.LATEST.value, TargetKind.OFFSET.value, TargetKind.SHIFT.value, FILE_KIND)


@dataclass(frozen=True)
class CommitChoice:
    """What the target dialog was left with: the group, the target, and the form as typed (to reopen it with
    the same choices after ``esc`` on the plan)."""

    group: str
    target: CommitTarget
    kind: str
    amount: str = ""
    path: str = ""
    all_partitions: bool = False


class CommitTargetScreen(Dialog["CommitChoice | None"]):
    """Choose the group and where to move its committed offset (see the module docstring)."""

    SUBMIT_BUTTON: ClassVar[str | None] = "plan"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("p", "submit", "Preview plan", show=False),
        ALL_PARTITIONS_KEY,
    ]

    DEFAULT_CSS = """
    CommitTargetScreen .field-row {
        height: auto;
        width: 100%;
    }
    CommitTargetScreen #amount-field {
        width: 36;
        height: auto;
    }
    CommitTargetScreen #path-field {
        width: 1fr;
        height: auto;
    }
    CommitTargetScreen #group, CommitTargetScreen #path, CommitTargetScreen #amount {
        width: 100%;
    }
    """

    def __init__(self, topic: str, group: str, partition: int, selected_offset: int | None = None, *,
                 partition_count: int | None = None, groups: Sequence[str] = (),
                 initial: CommitChoice | None = None) -> None:
        super().__init__()
        self.configure(topic, group, partition, selected_offset, partition_count=partition_count, groups=groups,
                       initial=initial)

    def configure(self, topic: str, group: str, partition: int, selected_offset: int | None = None, *,
                  partition_count: int | None = None, groups: Sequence[str] = (),
                  initial: CommitChoice | None = None) -> None:
        """What this opening is about (the dialog is kept between openings: see ``KeptDialogs``)."""
        self.topic = topic
        self.group = group
        self.partition = partition
        self.selected_offset = selected_offset
        self.partition_count = partition_count
        self.groups = list(groups)
        self.initial = initial
        self._applied_kind: str | None = None

    # layout ---------------------------------------------------------------------------------------

    def _kind_label(self, kind: str) -> str:
        if kind == TargetKind.SELECTED.value:
            if self.selected_offset is None:
                return "the selected record (no record selected)"
            return f"the selected record, offset {self.selected_offset}: the group reads it again (replay)"
        if kind == TargetKind.AFTER_SELECTED.value:
            if self.selected_offset is None:
                return "just after the selected record (no record selected)"
            return (f"just after the selected record, offset {self.selected_offset + 1}: "
                    "the group skips it")
        if kind == TargetKind.EARLIEST.value:
            return "earliest: the lowest retained offset (replay everything)"
        if kind == TargetKind.LATEST.value:
            return "latest: the next offset to be written (skip everything unread)"
        if kind == TargetKind.OFFSET.value:
            return "an explicit offset"
        if kind == TargetKind.SHIFT.value:
            return "shift by ±N from the committed offset (-N replays N, +N skips N)"
        return "the offsets in a CSV file of topic,partition,offset lines (X saves a group's)"

    def _chosen_kind(self) -> str:
        if self.initial is not None:
            return self.initial.kind
        return TargetKind.SELECTED.value if self.selected_offset is not None else TargetKind.EARLIEST.value

    def _heading(self) -> Text:
        heading = Text("Move the committed offset of a consumer group on topic ")
        heading.append_text(visible_text(self.topic, style="bold"))
        return heading

    def _all_label(self) -> Text:
        return Text("all partitions" if self.partition_count is None
                    else f"all partitions ({self.partition_count})")

    def compose(self) -> ComposeResult:
        """Group, kind list, amount and file inputs, scope, errors and buttons."""
        has_record = self.selected_offset is not None
        initial = self.initial
        chosen = self._chosen_kind()
        self._applied_kind = chosen
        one_only = chosen in (TargetKind.SELECTED.value, TargetKind.AFTER_SELECTED.value)
        with self.dialog_box():
            title = title_line(self._heading())
            title.id = "title"
            yield title
            yield hint_line("The committed offset is the next offset the group will read. "
                            "Nothing is written until you confirm the plan.")
            yield label_line("Group (a new name creates the group)")
            yield FieldInput(value=initial.group if initial else self.group, id="group", placeholder="group name",
                        suggester=SuggestFromList(self.groups) if self.groups else None)
            yield label_line("Move to")
            with RadioSet(id="kind"):
                for kind in _DIALOG_KINDS:
                    needs_record = kind in (TargetKind.SELECTED.value, TargetKind.AFTER_SELECTED.value)
                    yield RadioButton(Text(self._kind_label(kind)), value=kind == chosen,
                                      id=f"kind-{kind}", disabled=needs_record and not has_record)
            with Horizontal(classes="field-row"):
                with Vertical(id="amount-field"):
                    yield label_line("Offset (1234) or shift (+N / -N)", id="amount-label")
                    yield FieldInput(value=initial.amount if initial else "", id="amount",
                                placeholder=_AMOUNT_PLACEHOLDERS.get(chosen, ""),
                                disabled=chosen not in (TargetKind.OFFSET.value, TargetKind.SHIFT.value))
                with Vertical(id="path-field"):
                    yield label_line("File of offsets (CSV)", id="path-label")
                    yield FieldInput(value=initial.path if initial else "", id="path",
                                placeholder="e.g. ~/billing-offsets.csv", disabled=chosen != FILE_KIND)
            yield label_line("Partitions (ctrl+a: all / this one)")
            all_partitions = bool(initial and initial.all_partitions and not one_only)
            with RadioSet(id="scope", disabled=chosen == FILE_KIND):
                yield RadioButton(Text(f"this partition ({self.partition})"), value=not all_partitions,
                                  id="scope-one")
                yield RadioButton(self._all_label(), id="scope-all", value=all_partitions, disabled=one_only)
            yield error_line()
            yield hint_line("tab / shift+tab: next / previous field · ↑↓ + enter or space: choose · ctrl+a: all "
                            "partitions on/off · p, or enter in a text field: preview the plan · esc: cancel")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Preview plan", id="plan", variant="primary")

    def on_mount(self) -> None:
        """Focus the group when it is empty, else the kind list."""
        self._focus_first()

    def _focus_first(self) -> None:
        if not self.query_one("#group", Input).value.strip():
            self.set_focus(self.query_one("#group", Input))
        else:
            self.set_focus(self.query_one("#kind", RadioSet))

    def refill(self) -> None:
        """Show this opening's topic, group, record and choices in the widgets of an earlier opening."""
        has_record = self.selected_offset is not None
        initial = self.initial
        chosen = self._chosen_kind()
        update_in_place(self.query_one("#title", Static), self._heading())
        group = self.query_one("#group", Input)
        group.value = initial.group if initial else self.group
        group.suggester = SuggestFromList(self.groups) if self.groups else None
        for kind in _DIALOG_KINDS:
            button = self.query_one(f"#kind-{kind}", RadioButton)
            relabel_in_place(button, Text(self._kind_label(kind)))
            needs_record = kind in (TargetKind.SELECTED.value, TargetKind.AFTER_SELECTED.value)
            button.disabled = needs_record and not has_record
        self.query_one(f"#kind-{chosen}", RadioButton).value = True
        self.query_one("#amount", Input).value = initial.amount if initial else ""
        self.query_one("#path", Input).value = initial.path if initial else ""
        relabel_in_place(self.query_one("#scope-one", RadioButton), Text(f"this partition ({self.partition})"))
        relabel_in_place(self.query_one("#scope-all", RadioButton), self._all_label())
        one_only = chosen in (TargetKind.SELECTED.value, TargetKind.AFTER_SELECTED.value)
        all_partitions = bool(initial and initial.all_partitions and not one_only)
        self.query_one("#scope-all" if all_partitions else "#scope-one", RadioButton).value = True
        self._apply_kind(chosen, move_focus=False)
        self.clear_error()
        self.query_one(".dialog-box").scroll_home(animate=False)
        self._focus_first()

    # state ----------------------------------------------------------------------------------------

    @property
    def kind(self) -> str:
        """The kind currently chosen: a :class:`TargetKind` value or ``"file"``."""
        pressed = self.query_one("#kind", RadioSet).pressed_button
        if pressed is None or pressed.id is None:
            return TargetKind.EARLIEST.value
        return pressed.id.removeprefix("kind-")

    @property
    def all_partitions(self) -> bool:
        """True when the scope is all partitions."""
        return self.query_one("#scope-all", RadioButton).value

    @on(RadioSet.Changed, "#kind")
    def _kind_changed(self) -> None:
        if self.kind != self._applied_kind:  # not the echo of a refill, which applied it already
            self._apply_kind(self.kind, move_focus=True)

    def _apply_kind(self, kind: str, *, move_focus: bool) -> None:
        """Enable the fields ``kind`` needs; with ``move_focus``, go to the first of them."""
        self._applied_kind = kind
        amount = self.query_one("#amount", Input)
        amount.disabled = kind not in (TargetKind.OFFSET.value, TargetKind.SHIFT.value)
        amount.placeholder = _AMOUNT_PLACEHOLDERS.get(kind, "")
        path = self.query_one("#path", Input)
        path.disabled = kind != FILE_KIND
        self.query_one("#scope", RadioSet).disabled = kind == FILE_KIND
        one_only = kind in (TargetKind.SELECTED.value, TargetKind.AFTER_SELECTED.value)
        scope_all = self.query_one("#scope-all", RadioButton)
        scope_all.disabled = one_only
        if one_only:
            self.query_one("#scope-one", RadioButton).value = True
        self.clear_error()
        if not move_focus:
            return
        if not amount.disabled:
            amount.focus()
        elif not path.disabled:
            path.focus()
        else:
            self.query_one("#plan", Button).focus()

    @on(Input.Changed)
    def _input_changed(self) -> None:
        self.clear_error()

    def action_toggle_all(self) -> None:
        """Switch the scope between this partition and all partitions (when the kind allows all)."""
        scope_all = self.query_one("#scope-all", RadioButton)
        if scope_all.disabled or self.query_one("#scope", RadioSet).disabled:
            self.query_one("#error", Static).update(
                Text("This target applies to one partition only." if scope_all.disabled
                     else "A file lists its own partitions."))
            return
        target = "#scope-one" if scope_all.value else "#scope-all"
        self.query_one(target, RadioButton).value = True

    def build_target(self) -> CommitTarget:
        """The target the form describes; :class:`ValueError` with a message for the user if incomplete."""
        kind = self.kind
        scope = None if self.all_partitions else self.partition
        if kind in (TargetKind.SELECTED.value, TargetKind.AFTER_SELECTED.value):
            if self.selected_offset is None:
                raise ValueError("No record is selected.")
            if kind == TargetKind.SELECTED.value:
                return CommitTarget.selected(self.partition, self.selected_offset)
            return CommitTarget.after_selected(self.partition, self.selected_offset)
        if kind == TargetKind.EARLIEST.value:
            return CommitTarget.earliest(scope)
        if kind == TargetKind.LATEST.value:
            return CommitTarget.latest(scope)
        if kind == FILE_KIND:
            path = self.query_one("#path", Input).value
            offsets = read_offsets_file(path, self.topic)
            return CommitTarget.to_offsets(offsets, source=f"the offsets in {os.path.basename(path.strip())}")
        text = self.query_one("#amount", Input).value
        if kind == TargetKind.OFFSET.value:
            return CommitTarget.to_offset(parse_explicit_offset(text), scope)
        return CommitTarget.shift_by(parse_shift(text), scope)

    def build_result(self) -> CommitChoice:
        """The group and target the form describes, with the form as typed."""
        typed = self.query_one("#group", Input).value
        prefilled = self.initial.group if self.initial else self.group
        # An existing group's name is data and may begin or end with characters str.strip() removes
        # (\x1c-\x1f, U+2028, ...): left as prefilled, it is used exactly; only a typed name is trimmed.
        group = typed if prefilled and typed == prefilled else typed.strip()
        if not group:
            raise ValueError("Type the consumer group to move (a new name creates it).")
        if len(group.encode("utf-8")) > 65535:
            raise ValueError("The group name is too long.")
        return CommitChoice(group, self.build_target(), self.kind, self.query_one("#amount", Input).value,
                            self.query_one("#path", Input).value, self.all_partitions)

    @on(Input.Submitted)
    def _field_submitted(self) -> None:
        self.action_submit()


_AMOUNT_PLACEHOLDERS = {TargetKind.OFFSET.value: "offset, e.g. 1234", TargetKind.SHIFT.value: "+N or -N"}


# ------------------------------------------------------------------------------------------ plan


def _effect_cell(row: PlanRow) -> Text:
    effect = row.effect_text()
    if not row.changed:
        return Text(effect, style="dim")
    if row.replayed:
        return Text(effect, style="bold yellow")
    if row.skipped:
        return Text(effect, style="bold red")
    return Text(effect)


def describe_moves(moves: Sequence[OffsetMove], now: float | None = None, limit: int = 6) -> Text:
    """``partition 0: 12 → 40 at 10:42:03 (25 s ago)`` lines for offsets that moved recently."""
    now = time.time() if now is None else now
    lines = Text()
    for move in list(moves)[-limit:]:
        if lines:
            lines.append("\n")
        old = "none" if move.old is None else str(move.old)
        ago = max(0, int(now - move.seen_at))
        lines.append(f"  partition {move.partition}: {old} → {move.new} "
                     f"seen at {time.strftime('%H:%M:%S', time.localtime(move.seen_at))} ({ago} s ago)")
    if len(moves) > limit:
        lines.append(f"\n  … and {len(moves) - limit} earlier change(s)")
    return lines


class CommitPlanScreen(TypedConfirmDialog):
    """Show a commit plan and ask for an explicit confirmation (see the module docstring)."""

    WORD_PURPOSE = "execute this plan"

    DEFAULT_CSS = """
    CommitPlanScreen > .dialog-box {
        width: 120;
    }
    CommitPlanScreen #plan-table {
        height: auto;
        max-height: 16;
        margin-top: 1;
    }
    CommitPlanScreen .banner-danger {
        background: $error;
        color: $text;
        text-style: bold;
        padding: 0 1;
        width: 100%;
        height: auto;
        margin-top: 1;
    }
    CommitPlanScreen .banner-warning {
        background: $warning-muted;
        padding: 0 1;
        width: 100%;
        height: auto;
        margin-top: 1;
    }
    CommitPlanScreen #totals {
        text-style: bold;
        margin-top: 1;
        width: 100%;
    }
    CommitPlanScreen #notes {
        width: 100%;
        height: auto;
        max-height: 8;
        color: $text-warning;
    }
    CommitPlanScreen #confirm-word {
        width: 30;
    }
    """

    COLUMNS: ClassVar[tuple[str, ...]] = (
        "GROUP", "TOPIC", "PARTITION", "CURRENT", "NEW", "LAG BEFORE", "LAG AFTER", "REPLAY/SKIP",
    )

    def __init__(self, plan: CommitPlan, members: int = 0, *, confirm_word: str = "commit",
                 moves: Sequence[OffsetMove] = (), group_exists: bool = True, title: str | None = None,
                 back: bool = False) -> None:
        super().__init__()
        self.plan = plan
        self.members = members
        self.confirm_word: str = confirm_word
        self.moves = list(moves)
        self.group_exists = group_exists
        self.heading_text = title or "Commit plan (dry run): nothing has been written yet"
        self.back = back

    def action_cancel(self) -> None:
        """``esc``: back to the target dialog (``None``) when there is one, else cancel (``False``)."""
        self.close_with(None if self.back else False)

    def moves_warning(self) -> str:
        """The warning about offsets that moved recently ("" when none moved)."""
        if not self.moves:
            return ""
        partitions = sorted({move.partition for move in self.moves})
        who = ("with no live member: a consumer that only commits (another tool?) is still at work"
               if self.members <= 0 else "a live consumer is still committing")
        return (f"⚠ The committed offsets of this group moved during the last refreshes on partition(s) "
                f"{', '.join(str(p) for p in partitions)}, {who}. It may commit over this plan.")

    def members_warning(self) -> str:
        """The live-members warning text ("" when the group has no live members)."""
        if self.members <= 0:
            return ""
        return (f"⚠ {self.members} live member(s) in this group: they may overwrite this commit — "
                "stop the consumers first")

    def compose(self) -> ComposeResult:
        """Heading, warnings, the plan table, totals, notes, and the confirmation."""
        plan = self.plan
        changed = len(plan.changed_rows)
        heading = Text("Group ")
        heading.append_text(visible_text(plan.group, style="bold"))
        heading.append(", topic ")
        heading.append_text(visible_text(plan.topic, style="bold"))
        heading.append(". Target: ")
        heading.append(plan.target.describe())
        with self.dialog_box(danger=self.members > 0 or bool(self.moves)):
            yield title_line(self.heading_text)
            yield Static(heading, id="plan-heading")
            if not self.group_exists:
                created = Text("New group: ", style="bold")
                created.append(plan.group)
                created.append(" has no committed offset on this topic yet; this commit creates it (")
                created.append(", ".join(f"partition {row.partition}: none → {row.new}" for row in plan.rows[:4]))
                created.append(", …)" if len(plan.rows) > 4 else ")")
                yield Static(created, classes="banner-warning", id="new-group")
            if self.members > 0:
                banner = Text(self.members_warning())
                banner.append("\n(FlyMQ counts connections that subscribed with this group; closed ones can "
                              "linger until the broker restarts)", style="not bold")
                yield Static(banner, classes="banner-danger", id="members-warning")
            if self.moves:
                moved = Text(self.moves_warning())
                moved.append("\n")
                moved.append_text(describe_moves(self.moves))
                yield Static(moved, classes="banner-danger", id="moves-warning")
            if plan.any_clamped:
                yield Static(Text("Some requested offsets fall outside their partition and were clamped to "
                                  "its edge: see the notes below the table."),
                             classes="banner-warning", id="clamped-warning")
            yield DataTable(id="plan-table", cursor_type="row", zebra_stripes=True)
            yield Static(Text(plan.summary()), id="totals")
            notes = Text()
            for row in plan.rows:
                if row.note and row.note != "unchanged":
                    if notes:
                        notes.append("\n")
                    notes.append(f"partition {row.partition}: ", style="bold")
                    notes.append(row.note)
            if notes:
                yield Static(notes, id="notes")
            if plan.is_noop:
                yield Static(Text("Nothing to change: every partition already has this committed offset."),
                             classes="dialog-label", id="noop")
                with Horizontal(classes="dialog-buttons"):
                    yield Button("Close", id="cancel")
            else:
                prompt = Text("Type ")
                prompt.append(self.confirm_word, style="bold reverse")
                prompt.append(f" and press enter to write {changed} committed offset(s) to the broker. "
                              + ("esc: back to the target (your choices kept) · tab: the buttons"
                                 if self.back else "esc cancels · tab: the buttons"))
                yield Static(prompt, classes="dialog-label", id="confirm-prompt")
                yield FieldInput(placeholder=self.confirm_word, id="confirm-word")
                yield error_line()
                with Horizontal(classes="dialog-buttons"):
                    yield Button("Cancel", id="cancel")
                    yield Button(f"Commit {changed} offset(s)", id="confirm", variant="error", disabled=True)

    def on_mount(self) -> None:
        """Fill the table and focus the confirmation input (or Close when nothing changes)."""
        table = self.query_one("#plan-table", DataTable)
        for name in self.COLUMNS:
            table.add_column(name, key=name)
        group, topic = _cap(self.plan.group), _cap(self.plan.topic)
        for row in self.plan.rows:
            new_style = "bold" if row.changed else "dim"
            if row.clamped:
                new_style += " yellow"
            table.add_row(
                group, topic, _num(row.partition), _num(row.current),
                _num(row.new, new_style), _num(row.lag_before), _num(row.lag_after), _effect_cell(row),
                key=str(row.partition),
            )
        if self.plan.is_noop:
            self.query_one("#cancel", Button).focus()
        else:
            self.query_one("#confirm-word", Input).focus()


# ------------------------------------------------------------------------------------------ result


def _status_cell(row: ReadBackRow) -> Text:
    status = row.status_text()
    if not row.written and row.read_back is None and row.ok:
        return Text(status, style="dim")
    if row.ok:
        return Text(status, style="bold green")
    return Text(f"✗ {status}", style="bold reverse red")


class CommitResultScreen(Dialog[None]):
    """After a commit: per partition the offset requested and the one read back (see the module docs)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter,q", "cancel", "Close", show=False),
    ]

    DEFAULT_CSS = """
    CommitResultScreen > .dialog-box {
        width: 110;
    }
    CommitResultScreen #result-table {
        height: auto;
        max-height: 16;
        margin-top: 1;
    }
    CommitResultScreen .banner-ok {
        background: $success-muted;
        padding: 0 1;
        width: 100%;
        height: auto;
        text-style: bold;
    }
    CommitResultScreen .banner-danger {
        background: $error;
        color: $text;
        padding: 0 1;
        width: 100%;
        height: auto;
        text-style: bold;
    }
    CommitResultScreen #errors {
        width: 100%;
        height: auto;
        max-height: 8;
        color: $text-error;
        margin-top: 1;
    }
    """

    COLUMNS: ClassVar[tuple[str, ...]] = ("PARTITION", "BEFORE", "REQUESTED", "READ BACK", "STATUS")

    def __init__(self, plan: CommitPlan, read_back: Mapping[int, int | None],
                 errors: Mapping[int, str] | None = None, *, members: int = 0, note: str = "") -> None:
        super().__init__()
        self.plan = plan
        self.members = members
        self.note = note
        errors = dict(errors or {})
        planned = {row.partition for row in plan.rows}
        self.general_errors = [text for key, text in sorted(errors.items()) if key not in planned]
        if self.general_errors:
            # an error not tied to a planned partition (e.g. the whole execution failed): every row failed
            # unless it has its own error or was read back
            for partition in planned:
                if partition not in errors and read_back.get(partition) is None:
                    errors[partition] = self.general_errors[0]
        self.rows = read_back_rows(plan, read_back, errors)

    @property
    def failed_rows(self) -> list[ReadBackRow]:
        """Rows whose broker value is not the one requested (or could not be read, or failed)."""
        return [row for row in self.rows if not row.ok]

    def compose(self) -> ComposeResult:
        """Verdict banner, the read-back table, errors, Close."""
        failed = self.failed_rows
        heading = Text("Group ")
        heading.append_text(visible_text(self.plan.group, style="bold"))
        heading.append(", topic ")
        heading.append_text(visible_text(self.plan.topic, style="bold"))
        with self.dialog_box(danger=bool(failed)):
            yield title_line("Commit result: offsets read back from the broker")
            yield Static(heading)
            if failed:
                yield Static(Text(f"✗ {len(failed)} of {len(self.rows)} partition(s) do NOT hold the requested "
                                  "offset: a live consumer may have committed over it, or the commit failed."),
                             classes="banner-danger", id="verdict")
            else:
                yield Static(Text(f"✓ All {len(self.rows)} partition(s) read back as requested."),
                             classes="banner-ok", id="verdict")
            if self.members > 0:
                yield Static(Text(f"⚠ {self.members} live member(s) in this group: they may still commit over "
                                  "these offsets — stop the consumers, then check again."),
                             classes="banner-danger", id="members-warning")
            yield DataTable(id="result-table", cursor_type="row", zebra_stripes=True)
            errors = Text()
            for message in self.general_errors:
                if errors:
                    errors.append("\n")
                errors.append(message)
            for row in self.rows:
                if row.error:
                    if errors:
                        errors.append("\n")
                    errors.append(f"partition {row.partition}: ", style="bold")
                    errors.append(row.error)
            if errors:
                yield Static(errors, id="errors")
            if self.note:
                yield hint_line(self.note, id="journal-note")
            yield hint_line("Read back with GET_OFFSET after the commit. enter / esc: close")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Close", id="close", variant="primary")

    def on_mount(self) -> None:
        """Fill the table and focus Close."""
        table = self.query_one("#result-table", DataTable)
        for name in self.COLUMNS:
            table.add_column(name, key=name)
        for row in self.rows:
            back_style = "bold" if row.ok else "bold red"
            table.add_row(_num(row.partition), _num(row.before), _num(row.requested),
                          _num(row.read_back, back_style, none="?"), _status_cell(row), key=str(row.partition))
        self.query_one("#close", Button).focus()

    @on(Button.Pressed, "#close")
    def _close_pressed(self) -> None:
        self.close_with(None)
