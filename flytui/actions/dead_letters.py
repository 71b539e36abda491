"""Dead-letter actions of the app: show the DLQ of the open topic, replay one or all, purge (with confirmation).

A mixin of :class:`flytui.app.FlyTUIApp`; the network work is :class:`flytui.service.FlyService`'s.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import events
from textual.widgets import TabbedContent

from ..messages import DeadLettersLoaded, PurgeDone, PurgeFailed, ReplayDone, ReplayFailed, while_running
from ..model import DLQRecord
from ..service import ReadOnlyError
from ..widgets.dlq import DeadLettersPane, DeadLettersTable
from ..widgets.message_stream import MessageStream

if TYPE_CHECKING:
    from .host import ActionHost
else:  # at run time the mixins stand on object; the app supplies the host
    ActionHost = object


class DeadLetterActions(ActionHost):
    """Dead letters: loading, replay, purge. Mixed into the app."""

    # ------------------------------------------------------------------ DLQ

    @while_running
    def on_dead_letters_loaded(self, event: DeadLettersLoaded) -> None:
        """The dead letters of the open topic arrived."""
        if event.topic != self.topic or event.generation != self.topic_generation:
            return
        if event.error:
            self.dlq.show_message(f"Could not read the dead letters: {event.error}")
            return
        self.dlq_records = event.records
        self.dlq.set_records(self.topic, event.records)
        self._update_tab_labels()
        self._sync_bindings()

    @while_running  # a reload that lands while the app quits highlights a row of a pane being taken down
    def on_dead_letters_pane_highlighted(self, event: DeadLettersPane.Highlighted) -> None:
        """The dead letter under the cursor changed: show it when the detail follows the dead letters."""
        if self.detail_source == "dlq":
            self.detail.show_record(self.dlq.as_record(event.record))
        self._sync_bindings()

    def show_detail_of(self, source: str) -> None:
        """Make the detail pane follow ``"stream"`` or ``"dlq"`` (the list the user works in)."""
        self.detail_source = source
        if source == "dlq":
            self.detail.show_record(self.dlq.as_record(self.dlq.selected))
        else:
            self.detail.show_record(self.stream.selected_record)
        self._sync_bindings()  # the copy and edit keys follow the list the user works in

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """The detail pane follows the list that got the focus: the stream or the dead letters."""
        # by type, not by querying the panes: the focus may move inside a dialog built ahead or being
        # refilled (see KeptDialogs) while the main screen is still composing
        if isinstance(event.widget, DeadLettersTable):
            self.show_detail_of("dlq")
        elif isinstance(event.widget, MessageStream):
            self.show_detail_of("stream")

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        """The groups / dead letters tab changed: the keys that apply changed too."""
        self._sync_bindings()

    def on_dead_letters_pane_replay_requested(self, event: DeadLettersPane.ReplayRequested) -> None:
        """``r`` / ``R`` in the dead letters: replay them to their original topic (after a confirmation)."""
        if event.records:
            self._confirm_replay(event.records)

    def _confirm_replay(self, records: list[DLQRecord]) -> None:
        from ..screens.confirm import ConfirmScreen  # at first use: the first screen does not need it

        if self.service.read_only:
            self._refuse(ReadOnlyError("replaying dead letters"))
            return
        target = records[0].original_topic
        n = len(records)
        what = f"dead letter {records[0].entry.id if records[0].entry else records[0].offset}" if n == 1 \
            else f"all {n} dead letters"
        consequences = [f"produce {n} record{'s' if n != 1 else ''} again to {target} (without key: they may "
                        "land on other partitions than the originals)",
                        "keep the records in the dead-letter queue (purge them afterwards with D)"]
        screen = ConfirmScreen(f"Replay {what}?", f"From {self._dlq_name(self.topic or target)} to {target}.",
                               consequences, confirm_label="Replay", danger=n > 1)

        def answered(ok: bool | None) -> None:
            if ok:
                try:
                    self.service.replay(records)
                except ReadOnlyError as exc:
                    self._refuse(exc)

        self.push_screen(screen, answered)

    @while_running
    def on_replay_done(self, event: ReplayDone) -> None:
        """Dead letters were replayed: say how many (and which were skipped), and read again what it changed.
        A replay that skipped every record is an error."""
        count = event.replayed
        text = f"Replayed {count} record{'s' if count != 1 else ''} to {event.topic}."
        if event.problems:
            text += " " + "; ".join(event.problems[:3])
        if count == 0 and event.problems:
            self.notify(text, severity="error", title="Replay", timeout=10)
            return
        self.notify(text, title="Replay", timeout=5)
        self.action_refresh_now()

    @while_running
    def on_replay_failed(self, event: ReplayFailed) -> None:
        """Replaying dead letters failed: say why."""
        self.notify(event.error, severity="error", title="Replay", timeout=10)

    def on_dead_letters_pane_purge_requested(self, event: DeadLettersPane.PurgeRequested) -> None:
        """``D`` in the dead letters: delete every dead letter of the open topic (type ``purge`` to confirm)."""
        from ..screens.confirm import ConfirmScreen

        if event.topic != self.topic or not self.topic:
            return
        if self.service.read_only:
            self._refuse(ReadOnlyError("purging the dead-letter queue"))
            return
        name = self._dlq_name(self.topic)
        n = len(self.dlq_records)
        screen = ConfirmScreen(f"Purge {name}?", f"{n} dead letter{'s' if n != 1 else ''} will be deleted.",
                               [f"delete the topic {name} and every record in it",
                                "this cannot be undone: export first (x) if you may need them"],
                               confirm_label="Purge", confirm_word="purge")

        def answered(ok: bool | None) -> None:
            if ok:
                try:
                    self.service.purge(self.topic or name)
                except ReadOnlyError as exc:
                    self._refuse(exc)

        self.push_screen(screen, answered)

    @while_running
    def on_purge_done(self, event: PurgeDone) -> None:
        """The dead letters were deleted: say so, and read again what it changed."""
        self.notify(f"Purged the dead-letter queue of {event.topic}.", title="Purge", timeout=5)
        self.action_refresh_now()

    @while_running
    def on_purge_failed(self, event: PurgeFailed) -> None:
        """Purging the dead letters failed: say why."""
        self.notify(event.error, severity="error", title="Purge", timeout=10)
