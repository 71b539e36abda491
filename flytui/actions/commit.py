"""The commit actions: target → plan (dry run) → typed confirmation → execute → offsets read back; undo of the
last commit; saving a group's offsets to a file.

A mixin of :class:`flytui.app.FlyTUIApp`. The plan is :func:`flytui.offset_plan.plan_commit` over the
offsets the service reads fresh just before; nothing is written until the user types ``commit``. Every
commit first journals the offsets it replaces (:mod:`flytui.commit_journal`), which is what undo plans back
to. ``esc`` on a plan steps back to the target dialog with the choices kept.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..messages import CommitExecuted, CommitStateLoaded, OffsetsSaved, while_running
from ..service import ReadOnlyError
from ..widgets.message_stream import StreamMode

# The dialogs, the plan and the journal are imported at first use: the first screen needs none of them.
if TYPE_CHECKING:
    from ..offset_plan import CommitTarget
    from ..screens.commit_plan import CommitChoice
    from ..screens.offsets_export import OffsetsExportRequest
    from .host import ActionHost
else:  # at run time the mixins stand on object; the app supplies the host
    ActionHost = object


@dataclass(frozen=True)
class CommitRequest:
    """A commit the user asked for, carried through the read of the offsets its plan is made against."""

    target: CommitTarget
    kind: str = "commit"
    """What the journal calls it: ``commit``, ``file`` or ``undo``."""
    choice: CommitChoice | None = None
    """The target dialog's choices, to reopen it with them."""
    reopen: Callable[[CommitChoice | None], None] | None = None
    """Reopens the target dialog (``esc`` on the plan, a target that cannot be planned); None: there is none."""
    what: str = "Commit"
    """What the notice of a cancelled plan calls it."""
    title: str | None = None
    """The plan's title (None: the plan screen's own)."""


class CommitActions(ActionHost):
    """Moving a consumer group's committed offsets, undoing that, saving them. Mixed into the app."""

    # ------------------------------------------------------------------ commit

    def action_commit(self) -> None:
        """Move a consumer group's committed offset: target → plan → confirm → execute → read back."""
        from ..screens.commit_plan import CommitTargetScreen

        if not self.topic:
            self.notify("Open a topic first.", severity="warning")
            return
        if self.service.read_only:
            self._refuse(ReadOnlyError("committing offsets"))
            return
        group = self.groups.selected_group or self.preferred_group or ""
        record = self.stream.selected_record if self.stream.mode == StreamMode.BROWSE else None
        group_partition = self.groups.selected_partition if self.focused_pane == "bottom" else None
        if group_partition is not None:  # a partition row of the groups table: that partition
            partition = group_partition
            if record is not None and record.partition != partition:
                record = None  # "the selected record" only makes sense on its own partition
        else:
            partition = record.partition if record is not None else (
                self.partition if self.partition is not None else 0)
        info = self.topic_info()
        topic = self.topic
        known = [g.group_id for g in self.groups.groups] if self.groups.topic == topic else []
        selected_offset = record.offset if record is not None else None

        def open_target(initial: CommitChoice | None = None) -> None:
            screen = self.dialogs.open(CommitTargetScreen, topic, group, partition, selected_offset,
                                       partition_count=info.partition_count if info else None, groups=known,
                                       initial=initial)

            def chosen(choice: CommitChoice | None) -> None:
                if choice is None:
                    return
                kind = "file" if choice.kind == "file" else "commit"
                self.service.load_commit_state(topic, choice.group,
                                               CommitRequest(choice.target, kind, choice, open_target))

            self.push_screen(screen, chosen)

        open_target()

    @while_running
    def on_commit_state_loaded(self, event: CommitStateLoaded) -> None:
        """The current offsets are in: build the plan and show it for confirmation."""
        from ..offset_plan import plan_commit
        from ..screens.commit_plan import CommitPlanScreen

        request = event.request
        reopen = request.reopen
        if event.error:
            self.notify(f"Could not read the offsets of {event.group}: {event.error}", severity="error",
                        timeout=10, markup=False)
            return
        try:
            plan = plan_commit(event.topic, event.group, request.target, event.states)
        except ValueError as exc:
            self.notify(str(exc), severity="error", timeout=8, markup=False)
            if reopen is not None:
                reopen(request.choice)
            return
        latest = {p: state.committed for p, state in event.states.items()}
        moves = self.offset_history.moves(event.topic, event.group, latest, time.time())
        exists = event.members > 0 or any(c is not None for c in latest.values())

        def confirmed(ok: bool | None) -> None:
            if ok is None and reopen is not None:
                reopen(request.choice)  # esc: back to the target, choices kept
                return
            if not ok:
                self.notify(f"{request.what} cancelled: nothing was written.", timeout=3)
                return
            try:
                self.service.execute_commit(plan, request.kind)
            except ReadOnlyError as exc:
                self._refuse(exc)

        self.push_screen(CommitPlanScreen(plan, event.members, moves=moves, group_exists=exists,
                                          title=request.title, back=reopen is not None), confirmed)

    @while_running
    def on_commit_executed(self, event: CommitExecuted) -> None:
        """Show what the broker holds now, and refresh the groups."""
        from ..commit_journal import journal_path
        from ..screens.commit_plan import CommitResultScreen

        note = (f"The offsets this commit replaced are saved in {journal_path()}: u plans the undo."
                if event.readback else "")
        # our own commit is not "someone else moving the offsets" in the next plan's warning
        self.offset_history.restart(event.plan.topic, event.plan.group, event.readback, time.time())
        self.push_screen(CommitResultScreen(event.plan, event.readback, event.errors, members=event.members,
                                            note=note))
        self._refresh()

    # ------------------------------------------------------------------ undo

    def action_undo_commit(self) -> None:
        """Plan a commit back to the offsets the last commit on this server replaced (from the journal)."""
        from ..commit_journal import JournalError, journal_path, last_commit
        from ..offset_plan import CommitTarget

        if self.service.read_only:
            self._refuse(ReadOnlyError("undoing a commit"))
            return
        try:
            entries = last_commit(self.service.settings.servers)
        except JournalError as exc:
            self.notify(str(exc), severity="error", timeout=8, markup=False)
            return
        if not entries:
            self.notify(f"No commit made with flytui on this server to undo (journal: {journal_path()}).",
                        severity="warning", timeout=6, markup=False)
            return
        first = entries[0]
        when = first.time.replace("T", " ").rstrip("Z").split(".")[0] + " UTC"
        target = CommitTarget.to_offsets({e.partition: e.old for e in entries},
                                         source=f"the offsets saved before the {first.kind} of {when}")
        self.service.load_commit_state(first.topic, first.group, CommitRequest(
            target, "undo", what="Undo",
            title=f"Undo plan (dry run): back to the offsets saved before the {first.kind} of {when}"))

    # ------------------------------------------------------------------ save offsets

    def action_export_offsets(self) -> None:
        """Save a group's committed offsets on the open topic to a CSV file (topic,partition,offset)."""
        from ..screens.offsets_export import OffsetsExportScreen

        if not self.topic:
            return
        topic = self.topic
        group = self.groups.selected_group or self.preferred_group or ""
        known = [g.group_id for g in self.groups.groups] if self.groups.topic == topic else []

        def chosen(request: OffsetsExportRequest | None) -> None:
            if request is not None:
                self.service.export_group_offsets(topic, request.group, request.path, overwrite=request.overwrite)

        self.push_screen(self.dialogs.open(OffsetsExportScreen, topic, group, groups=known), chosen)

    @while_running
    def on_offsets_saved(self, event: OffsetsSaved) -> None:
        """Say where a group's offsets were saved, or why they were not."""
        if event.error:
            self.notify(f"Could not save the offsets of {event.group}: {event.error}", severity="error",
                        timeout=10, markup=False)
            return
        self.notify(f"Saved {event.count} committed offset(s) of {event.group} on {event.topic} to {event.path}.",
                    title="Offsets saved", timeout=8, markup=False)
