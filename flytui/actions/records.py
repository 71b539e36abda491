"""Actions on records: decode modes and schemas, copy (OSC 52), produce, edit-and-resend, export to JSONL.

A mixin of :class:`flytui.app.FlyTUIApp`.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from pyflymq.models import Message as Record

from ..decode import next_mode, visible_str
from ..messages import ExportProgress, ProduceDone, ProduceFailed, SchemaLoaded, SchemasListed, while_running
from ..schema_decode import schema_preview
from ..service import ReadOnlyError

# The dialogs and the clipboard are imported at first use: the first screen needs none of them.
if TYPE_CHECKING:
    from ..screens.export import ExportRequest
    from ..screens.produce import ProduceRequest
    from .host import ActionHost
else:  # at run time the mixins stand on object; the app supplies the host
    ActionHost = object


class RecordActions(ActionHost):
    """Decode, copy, produce, edit-and-resend and export. Mixed into the app."""

    # ------------------------------------------------------------------ decode / copy

    def action_decode_mode(self) -> None:
        """Cycle the detail pane's value decoder (auto, text, JSON, hex, base64, protobuf, msgpack).

        Starts from the pane's own mode, which its ``m`` key may have changed meanwhile. Keys keep theirs."""
        self.decode_mode = next_mode(self.detail.mode)
        self.detail.set_mode(self.decode_mode)
        self.notify(f"Decode values: {self.decode_mode}", timeout=1.5)

    def action_key_decode_mode(self) -> None:
        """Cycle the detail pane's key decoder (the same modes; values keep theirs)."""
        mode = next_mode(self.detail.key_mode)
        self.detail.set_key_mode(mode)
        self.notify(f"Decode keys: {mode}", timeout=1.5)

    def load_topic_schema(self) -> None:
        """Ask for the schema that decodes the open topic's values (the one picked, else named like it)."""
        self.detail.set_schema(None, None)
        self.stream.set_value_preview(None)
        if self.topic:
            self.service.load_schema(self.topic, self.schema_choices.schema_for(self.topic), self.topic_generation)

    @while_running
    def on_schema_loaded(self, event: SchemaLoaded) -> None:
        """The open topic's schema arrived (or there is none): decode its values with it."""
        if event.topic != self.topic or event.generation != self.topic_generation:
            return
        self.detail.set_schema(event.topic, event.schema)
        schema = event.schema
        self.stream.set_value_preview(None if schema is None or schema.type == "json"
                                      else partial(schema_preview, schema=schema))
        picked = self.schema_choices.chosen(event.topic) is not None
        if event.error:
            self.notify(f"Could not read schema {visible_str(event.name, limit=80)}: {event.error}",
                        severity="warning", timeout=5)
        elif event.schema is None and picked:
            self.notify(f"No schema {visible_str(event.name, limit=80)} is registered: values decode as usual.",
                        severity="warning", timeout=5)

    def action_choose_schema(self) -> None:
        """Choose the registered schema that decodes the open topic (lists the registry first)."""
        if self.topic:
            self.service.list_schemas(self.topic)

    @while_running
    def on_schemas_listed(self, event: SchemasListed) -> None:
        """The registry's schema names arrived: offer them for the open topic."""
        from ..screens.schema_pick import SchemaPickScreen

        if event.topic != self.topic:
            return
        if event.error:
            self.notify(f"Could not list the schemas: {event.error}", severity="error", timeout=5)
            return
        topic = event.topic

        def chosen(name: str | None) -> None:
            if name is None or topic != self.topic:
                return
            problem = self.schema_choices.choose(topic, name or None)
            if problem:
                self.notify(problem, severity="warning", timeout=5)
            self.load_topic_schema()

        self.push_screen(SchemaPickScreen(topic, event.names, self.schema_choices.chosen(topic)), chosen)

    def action_copy_value(self) -> None:
        """Copy the selected record's value (text, or base64 when binary) to the clipboard."""
        from ..clipboard import copy_to_clipboard, value_as_text

        record = self._selected_record()
        if record is None:
            self.notify("No record selected: move the cursor onto a loaded record first.", severity="warning")
            return
        text, what = value_as_text(record)
        self.notify(copy_to_clipboard(self, text, what), timeout=3)

    def action_copy_record(self) -> None:
        """Copy the selected record as JSON to the clipboard (a dead letter: its DLQ record as stored)."""
        from ..clipboard import copy_to_clipboard, record_as_json

        record = self._selected_record(stored=True)
        if record is None:
            self.notify("No record selected: move the cursor onto a loaded record first.", severity="warning")
            return
        self.notify(copy_to_clipboard(self, record_as_json(record), "record as JSON"), timeout=3)
    # ------------------------------------------------------------------ produce

    def action_produce(self) -> None:
        """Write a new record to the open topic (or any topic)."""
        self._open_produce(None)

    def action_edit_resend(self) -> None:
        """Write a copy of the selected record, edited first."""
        record = self._selected_record()
        if record is None:
            self.notify("Select a record to edit and resend.", severity="warning")
            return
        self._open_produce(record)

    def _open_produce(self, record: Record | None) -> None:
        from ..screens.produce import ProduceScreen

        if self.service.read_only:
            self._refuse(ReadOnlyError("producing"))
            return
        topic = (record.topic if record is not None and record.partition >= 0 else None) or self.topic or ""
        if record is not None and record.partition < 0:
            topic = record.topic  # a dead letter: resend to its original topic
        topics = [t.name for t in self.overview.topics] if self.overview else []
        if record is not None:
            where = (f"{record.topic} partition {record.partition} offset {record.offset}" if record.partition >= 0
                     else f"dead letter from {record.topic} offset {record.offset}")
            screen = self.dialogs.open(ProduceScreen, topic, key=record.key, value=record.value, topics=topics,
                                       source=where)
        else:
            screen = self.dialogs.open(ProduceScreen, topic, topics=topics)

        def produced(result: ProduceRequest | None) -> None:
            if result is None:
                return
            try:
                self.service.produce(result.topic, result.value, key=result.key)
            except ReadOnlyError as exc:
                self._refuse(exc)

        self.push_screen(screen, produced)

    @while_running
    def on_produce_done(self, event: ProduceDone) -> None:
        """A record was produced: say where, and read again what it changed."""
        self.notify(f"Produced to {event.topic} partition {event.partition} at offset {event.offset}.",
                    title="Produce", timeout=5)
        self.action_refresh_now()

    @while_running
    def on_produce_failed(self, event: ProduceFailed) -> None:
        """A record could not be produced: say why."""
        self.notify(event.error, severity="error", title="Produce", timeout=10)
    # ------------------------------------------------------------------ export

    def action_export(self) -> None:
        """Export the current view, an offset range or the filter's matches to a JSONL file."""
        from ..screens.export import ExportScreen

        if not self.topic:
            return
        info = self.topic_info()
        partition = self.partition if self.partition is not None else 0
        mark = next((p for p in info.partitions if p.partition == partition), None) if info else None
        if mark is None:
            return
        loaded = self.stream.loaded_records()
        safe_topic = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in self.topic)
        screen = self.dialogs.open(ExportScreen, f"{safe_topic}-p{partition}.jsonl", partition=partition,
                                   low=mark.low, high=mark.high, view_count=len(loaded),
                                   filter_text=self.stream_filter or "")

        def chosen(request: ExportRequest | None) -> None:
            if request is not None:
                self._start_export(request, loaded)

        self.push_screen(screen, chosen)

    def _start_export(self, request: ExportRequest, loaded: list[Record]) -> None:
        from ..screens.export import ExportProgressScreen, ExportScope

        topic = self.topic or ""
        if request.scope == ExportScope.VIEW:
            self._export_cancel = self.service.export(topic, {}, request.path, overwrite=request.overwrite,
                                                      records=loaded)
            total: int | None = len(loaded)
        else:
            assert request.start is not None and request.end is not None  # None only for the view
            pattern = request.filter_text if request.scope == ExportScope.MATCHES else None
            ranges = {request.partition: (request.start, request.end)}
            self._export_cancel = self.service.export(topic, ranges, request.path, overwrite=request.overwrite,
                                                      filter=pattern or None)
            total = None if pattern else max(0, request.end - request.start)
        self._export_screen = ExportProgressScreen(request.path, total, cancel=self._export_cancel)
        self.push_screen(self._export_screen)

    @while_running
    def on_export_progress(self, event: ExportProgress) -> None:
        """Feed the progress screen; say where the file is when done (also if the screen was closed)."""
        screen = getattr(self, "_export_screen", None)
        if screen is not None and screen.is_attached:
            total = screen.total if screen.total is None and not event.finished else event.total
            screen.update_progress(event.done, total, finished=event.finished, error=event.error)
        if not event.finished:
            return
        self._export_cancel = None
        if event.error:
            self.notify(f"Export failed: {event.error}", severity="error", timeout=10)
        else:
            self.notify(f"Exported {event.done:,} record{'s' if event.done != 1 else ''} to {event.path}.",
                        title="Export", timeout=8)
