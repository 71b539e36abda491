"""Moving a group's committed offsets: choose a target, review the plan, confirm, see what the broker holds.

The flow (kafka-consumer-groups' plan-then-execute, Kafbat's replay/skip counts, nats-tui's read-back):

1. ``CommitTargetScreen(topic, group, partition, selected_offset=None, *, partition_count=None)`` — a
   ``ModalScreen[CommitTarget | None]``. The user picks one of the six kinds (the selected record =
   replay it, just after it = skip it, earliest, latest, an explicit offset, shift by ±N), types the
   offset / shift when needed, and the scope (this partition or all; the two "selected" kinds are always
   this partition). ``enter`` / *Preview plan* dismisses with the :class:`CommitTarget`; ``esc`` with
   ``None``. Nothing is written.
2. The caller reads watermarks and committed offsets, builds ``plan_commit(...)`` and pushes
   ``CommitPlanScreen(plan, members=0, *, confirm_word="commit")`` — a ``ModalScreen[bool]``: the plan as a
   table (GROUP, TOPIC, PARTITION, CURRENT, NEW, LAG BEFORE, LAG AFTER, REPLAY/SKIP), totals, a red banner
   when ``members > 0``, notes on clamped / unusual rows. It dismisses ``True`` only after the user types
   the word ``commit`` and presses ``enter`` (or presses the *Commit* button, enabled only once the word is
   typed); ``esc`` / *Cancel* dismiss ``False``. A plan that changes nothing can only be closed (``False``).
3. The caller commits ``plan.offsets`` and reads every planned partition back (GET_OFFSET), then pushes
   ``CommitResultScreen(plan, read_back, errors=None)`` — a ``ModalScreen[None]``: per partition the
   offset before, the one requested and the one READ BACK, with mismatches, failed reads and errors
   marked loudly. ``read_back`` maps partition -> offset read (``None``: could not read), ``errors`` maps
   partition -> error text of a failed commit or read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Button, DataTable, Input, RadioButton, RadioSet, Static

from flytui.decode import visible_text
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
from flytui.screens._dialog import Dialog, TypedConfirmDialog, error_line, hint_line, label_line, title_line

__all__ = ["CommitPlanScreen", "CommitResultScreen", "CommitTargetScreen"]

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


class CommitTargetScreen(Dialog["CommitTarget | None"]):
    """Choose where to move a group's committed offset (see the module docstring)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("p", "submit", "Preview plan", show=False),
    ]

    DEFAULT_CSS = """
    CommitTargetScreen #amount {
        width: 40;
    }
    """

    def __init__(self, topic: str, group: str, partition: int, selected_offset: int | None = None, *,
                 partition_count: int | None = None) -> None:
        super().__init__()
        self.topic = topic
        self.group = group
        self.partition = partition
        self.selected_offset = selected_offset
        self.partition_count = partition_count

    # layout ---------------------------------------------------------------------------------------

    def _kind_label(self, kind: TargetKind) -> str:
        if kind is TargetKind.SELECTED:
            if self.selected_offset is None:
                return "the selected record (no record selected)"
            return f"the selected record, offset {self.selected_offset}: the group reads it again (replay)"
        if kind is TargetKind.AFTER_SELECTED:
            if self.selected_offset is None:
                return "just after the selected record (no record selected)"
            return (f"just after the selected record, offset {self.selected_offset + 1}: "
                    "the group skips it")
        if kind is TargetKind.EARLIEST:
            return "earliest: the lowest retained offset (replay everything)"
        if kind is TargetKind.LATEST:
            return "latest: the next offset to be written (skip everything unread)"
        if kind is TargetKind.OFFSET:
            return "an explicit offset"
        return "shift by ±N from the committed offset (-N replays N, +N skips N)"

    def compose(self) -> ComposeResult:
        """Kind list, amount input, scope, errors and buttons."""
        has_record = self.selected_offset is not None
        default = TargetKind.SELECTED if has_record else TargetKind.EARLIEST
        heading = Text("Move the committed offset of group ")
        heading.append_text(visible_text(self.group, style="bold"))
        heading.append(" on topic ")
        heading.append_text(visible_text(self.topic, style="bold"))
        with self.dialog_box():
            yield title_line(heading)
            yield hint_line("The committed offset is the next offset the group will read. "
                            "Nothing is written until you confirm the plan.")
            yield label_line("Move to")
            with RadioSet(id="kind"):
                for kind in TargetKind:
                    needs_record = kind in (TargetKind.SELECTED, TargetKind.AFTER_SELECTED)
                    yield RadioButton(Text(self._kind_label(kind)), value=kind is default,
                                      id=f"kind-{kind.value}", disabled=needs_record and not has_record)
            yield label_line("Offset (e.g. 1234) or shift (+N / -N)", id="amount-label")
            yield Input(placeholder="", id="amount", disabled=True)
            yield label_line("Partitions")
            all_label = ("all partitions" if self.partition_count is None
                         else f"all partitions ({self.partition_count})")
            with RadioSet(id="scope"):
                yield RadioButton(Text(f"this partition ({self.partition})"), value=True, id="scope-one")
                yield RadioButton(Text(all_label), id="scope-all", disabled=default is TargetKind.SELECTED)
            yield error_line()
            yield hint_line("↑↓ + enter: choose · tab: next field · p (or enter in the offset field): "
                            "preview the plan · esc: cancel")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Preview plan", id="plan", variant="primary")

    def on_mount(self) -> None:
        """Focus the kind list."""
        self.query_one("#kind", RadioSet).focus()

    # state ----------------------------------------------------------------------------------------

    @property
    def kind(self) -> TargetKind:
        """The kind currently chosen."""
        pressed = self.query_one("#kind", RadioSet).pressed_button
        if pressed is None or pressed.id is None:
            return TargetKind.EARLIEST
        return TargetKind(pressed.id.removeprefix("kind-"))

    @on(RadioSet.Changed, "#kind")
    def _kind_changed(self) -> None:
        kind = self.kind
        amount = self.query_one("#amount", Input)
        amount.disabled = kind not in (TargetKind.OFFSET, TargetKind.SHIFT)
        amount.placeholder = {"offset": "offset, e.g. 1234", "shift": "+N or -N"}.get(kind.value, "")
        one_only = kind in (TargetKind.SELECTED, TargetKind.AFTER_SELECTED)
        scope_all = self.query_one("#scope-all", RadioButton)
        scope_all.disabled = one_only
        if one_only:
            self.query_one("#scope-one", RadioButton).value = True
        self.query_one("#error", Static).update("")
        if not amount.disabled:
            amount.focus()
        else:
            self.query_one("#plan", Button).focus()

    @on(Input.Changed, "#amount")
    def _amount_changed(self) -> None:
        self.query_one("#error", Static).update("")

    def build_target(self) -> CommitTarget:
        """The target the form describes; :class:`ValueError` with a message for the user if incomplete."""
        kind = self.kind
        all_partitions = self.query_one("#scope-all", RadioButton).value
        scope = None if all_partitions else self.partition
        if kind is TargetKind.SELECTED:
            if self.selected_offset is None:
                raise ValueError("No record is selected.")
            return CommitTarget.selected(self.partition, self.selected_offset)
        if kind is TargetKind.AFTER_SELECTED:
            if self.selected_offset is None:
                raise ValueError("No record is selected.")
            return CommitTarget.after_selected(self.partition, self.selected_offset)
        if kind is TargetKind.EARLIEST:
            return CommitTarget.earliest(scope)
        if kind is TargetKind.LATEST:
            return CommitTarget.latest(scope)
        text = self.query_one("#amount", Input).value
        if kind is TargetKind.OFFSET:
            return CommitTarget.to_offset(parse_explicit_offset(text), scope)
        return CommitTarget.shift_by(parse_shift(text), scope)

    def _submit(self) -> None:
        self.submit(self.build_target)

    @on(Input.Submitted, "#amount")
    def _amount_submitted(self) -> None:
        self._submit()

    @on(Button.Pressed, "#plan")
    def _plan_pressed(self) -> None:
        self._submit()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.close_with(None)

    def action_submit(self) -> None:
        """Preview the plan for the chosen target."""
        self._submit()


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


class CommitPlanScreen(TypedConfirmDialog):
    """Show a commit plan and ask for an explicit confirmation (see the module docstring)."""

    WORD_PURPOSE = "execute this plan"

    CANCEL_RESULT: ClassVar[object] = False

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

    def __init__(self, plan: CommitPlan, members: int = 0, *, confirm_word: str = "commit") -> None:
        super().__init__()
        self.plan = plan
        self.members = members
        self.confirm_word = confirm_word

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
        with self.dialog_box(danger=self.members > 0):
            yield title_line("Commit plan (dry run): nothing has been written yet")
            yield Static(heading, id="plan-heading")
            if self.members > 0:
                banner = Text(self.members_warning())
                banner.append("\n(FlyMQ counts connections that subscribed with this group; closed ones can "
                              "linger until the broker restarts)", style="not bold")
                yield Static(banner, classes="banner-danger", id="members-warning")
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
                              "esc cancels.")
                yield Static(prompt, classes="dialog-label", id="confirm-prompt")
                yield Input(placeholder=self.confirm_word, id="confirm-word")
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
                 errors: Mapping[int, str] | None = None, *, members: int = 0) -> None:
        super().__init__()
        self.plan = plan
        self.members = members
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
