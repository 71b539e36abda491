"""The commit action: target → plan (dry run) → typed confirmation → execute → offsets read back.

A mixin of :class:`flytui.app.FlyTUIApp`. The plan is :func:`flytui.offset_plan.plan_commit` over the
offsets the service reads fresh just before; nothing is written until the user types ``commit``.
"""

from __future__ import annotations

from typing import Any

from ..messages import CommitExecuted, CommitStateLoaded
from ..offset_plan import plan_commit
from ..screens.commit_plan import CommitPlanScreen, CommitResultScreen, CommitTargetScreen
from ..service import ReadOnlyError
from ..widgets.message_stream import StreamMode


class CommitActions:
    """Moving a consumer group's committed offsets. Mixed into the app."""

    # ------------------------------------------------------------------ commit

    def action_commit(self) -> None:
        """Move a consumer group's committed offset: target → plan → confirm → execute → read back."""
        if not self.topic:
            self.notify("Open a topic first.", severity="warning")
            return
        if self.service.read_only:
            self._refuse(ReadOnlyError("committing offsets"))
            return
        group = self.groups.selected_group or self.preferred_group
        if not group:
            self.notify("Select a consumer group in the Consumer groups tab first (or start with --group G).",
                        severity="warning", timeout=6)
            self.action_focus_pane("groups")
            return
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
        screen = CommitTargetScreen(topic, group, partition, record.offset if record is not None else None,
                                    partition_count=info.partition_count if info else None)

        def chosen(target: Any) -> None:
            if target is None:
                return
            self.service.load_commit_state(topic, group, {"target": target})

        self.push_screen(screen, chosen)

    def on_commit_state_loaded(self, event: CommitStateLoaded) -> None:
        """The current offsets are in: build the plan and show it for confirmation."""
        if event.error:
            self.notify(f"Could not read the offsets of {event.group}: {event.error}", severity="error",
                        timeout=10)
            return
        try:
            plan = plan_commit(event.topic, event.group, event.context["target"], event.states)
        except ValueError as exc:
            self.notify(str(exc), severity="error", timeout=8)
            return

        def confirmed(ok: bool | None) -> None:
            if not ok:
                self.notify("Commit cancelled: nothing was written.", timeout=3)
                return
            try:
                self.service.execute_commit(plan)
            except ReadOnlyError as exc:
                self._refuse(exc)

        self.push_screen(CommitPlanScreen(plan, event.members), confirmed)

    def on_commit_executed(self, event: CommitExecuted) -> None:
        """Show what the broker holds now, and refresh the groups."""
        self.push_screen(CommitResultScreen(event.plan, event.readback, event.errors, members=event.members))
        self._refresh()
