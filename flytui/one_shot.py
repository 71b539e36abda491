"""``flytui SERVERS --topic T --print``: the records of a topic as JSON Lines on stdout, for pipes.

No Textual on this path. One JSON object per line and record::

    {"topic": "orders", "partition": 2, "offset": 17, "key": "cust-0144", "key_encoding": "text",
     "value": {"status": "paid"}, "value_encoding": "json"}

``key`` is ``null`` for a record without a key, else its UTF-8 text (``key_encoding`` ``"text"``) or, when it is
not UTF-8, its base64 (``"base64"``). ``value`` is the decoded JSON when the value is JSON (``"json"``), else
its UTF-8 text (``"text"``), else its base64 (``"base64"``).

Every partition is read (or those given), each in offset order from the ``--from`` seek, interleaved a page at
a time so output starts at once and memory stays flat. Without ``--follow`` each partition is read up to the
end it had when the command started; with it, new records are printed as they arrive until Ctrl-C or a closed
pipe. ``--filter`` takes the filter language of :mod:`flytui.record_query`: plain text goes to the broker's
FETCH filter, anything else is evaluated here.

Exit status: see :data:`EXIT_CODES`.
"""

from __future__ import annotations

import base64
import io
import json
import os
import select
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO, TextIO

from pyflymq import connect
from pyflymq.errors import FlyMQError, GroupNotFoundError, PartitionNotFoundError, TopicNotFoundError
from pyflymq.models import Message

from .model import ConnectionSettings
from .offset_plan import SeekKind, SeekSpec, parse_seek_spec
from .record_query import QueryError, RecordQuery, compile_query

__all__ = [
    "EXIT_CODES", "EXIT_INTERRUPTED", "EXIT_NOT_FOUND", "EXIT_OK", "EXIT_SERVER", "EXIT_USAGE",
    "PrintOptions", "record_line", "run_print",
]

from .exit_codes import EXIT_CODES, EXIT_INTERRUPTED, EXIT_NOT_FOUND, EXIT_OK, EXIT_SERVER, EXIT_USAGE

PAGE_SIZE = 1000
"""Records asked for per FETCH (the broker scans at most 1000 per call, flymq-wire §2.7)."""
FOLLOW_POLL_SECONDS = 0.2
"""Pause between rounds of ``--follow`` when no partition had anything new."""


@dataclass(frozen=True)
class PrintOptions:
    """What ``--print`` was asked to do."""

    topic: str
    start: str = "beginning"
    count: int | None = None
    follow: bool = False
    filter_text: str = ""
    partitions: tuple[int, ...] | None = None


def _text_or_base64(raw: bytes) -> tuple[str, str]:
    try:
        return raw.decode("utf-8"), "text"
    except UnicodeDecodeError:
        return base64.b64encode(raw).decode("ascii"), "base64"


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # NaN and Infinity would make the output line invalid JSON


def _record_object(message: Message, *, decode_json: bool = True) -> dict[str, Any]:
    record: dict[str, Any] = {"topic": message.topic, "partition": message.partition, "offset": message.offset}
    key = message.key
    if key is None:
        record["key"] = None
    else:
        record["key"], record["key_encoding"] = _text_or_base64(key)
    text, encoding = _text_or_base64(message.value)
    if encoding == "text" and decode_json and text:
        try:
            record["value"], record["value_encoding"] = _DECODER.decode(text), "json"
            return record
        except (ValueError, RecursionError):
            pass
    record["value"], record["value_encoding"] = text, encoding
    return record


def record_line(message: Message) -> bytes:
    """One record as a JSON line (UTF-8, ending in a newline)."""
    try:
        return _line_from_parts(message)
    except (UnicodeEncodeError, ValueError, RecursionError):  # e.g. a topic name with undecodable bytes
        return _line_from_object(message)


_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)
_ENCODER = json.JSONEncoder(ensure_ascii=False)
_quote = json.encoder.encode_basestring  # a JSON string literal, non-ASCII kept as is


def _is_json(text: str) -> bool:
    try:
        _DECODER.decode(text)
    except (ValueError, RecursionError):
        return False
    return True


def _line_from_parts(message: Message) -> bytes:
    """The line assembled from pieces: a JSON value is copied as the producer wrote it (after checking it
    parses) instead of being decoded and encoded again, which is most of the cost per record."""
    key = message.key
    if key is None:
        key_part = b'"key": null'
    else:
        try:
            key_part = b'"key": ' + _quote(key.decode("utf-8")).encode("utf-8") + b', "key_encoding": "text"'
        except UnicodeDecodeError:
            key_part = b'"key": "' + base64.b64encode(key) + b'", "key_encoding": "base64"'
    value = message.value
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError:
        value_part = b'"value": "' + base64.b64encode(value) + b'", "value_encoding": "base64"'
    else:
        if text and _is_json(text):
            # a raw newline can only be whitespace between JSON tokens, but it would split the line
            raw = value if b"\n" not in value and b"\r" not in value else \
                _ENCODER.encode(_DECODER.decode(text)).encode("utf-8")
            value_part = b'"value": ' + raw + b', "value_encoding": "json"'
        else:
            value_part = b'"value": ' + _quote(text).encode("utf-8") + b', "value_encoding": "text"'
    head = f'{{"topic": {_quote(message.topic)}, "partition": {message.partition:d}, "offset": {message.offset:d}, '
    return b"".join((head.encode("utf-8"), key_part, b", ", value_part, b"}\n"))


def _line_from_object(message: Message) -> bytes:
    record = _record_object(message)
    try:
        line = json.dumps(record, ensure_ascii=False)
    except (ValueError, RecursionError):  # a JSON value nested deeper than the encoder goes: print it as text
        record = _record_object(message, decode_json=False)
        line = json.dumps(record, ensure_ascii=False)
    try:
        return line.encode("utf-8") + b"\n"
    except UnicodeEncodeError:  # a lone surrogate (from a topic name): keep the line valid with \u escapes
        return json.dumps(record).encode("ascii") + b"\n"


class _Stop(Exception):
    """Ends the run with an exit status after its message went to stderr."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class _Printer:
    """One ``--print`` run over a connected client."""

    def __init__(self, client: Any, options: PrintOptions, query: RecordQuery, start: SeekSpec,
                 stdout: BinaryIO, stderr: TextIO, sleep: Callable[[float], None]) -> None:
        self.client = client
        self.options = options
        self.query = query
        self.start = start
        self.stdout = stdout
        self.stderr = stderr
        self.sleep = sleep
        self.remaining = options.count

    def fail(self, status: int, text: str) -> _Stop:
        print(f"flytui: {text}", file=self.stderr)
        return _Stop(status)

    def partitions(self) -> list[int]:
        topic = self.options.topic
        try:
            count = self.client.partitions(topic)
        except TopicNotFoundError:
            raise self.fail(EXIT_NOT_FOUND, f"topic {topic!r} not found. {self._known_topics()}") from None
        chosen = self.options.partitions
        if chosen is None:
            return list(range(count))
        missing = [p for p in chosen if not 0 <= p < count]
        if missing:
            raise self.fail(EXIT_NOT_FOUND, f"topic {topic!r} has partitions 0 to {count - 1}; "
                                            f"there is no partition {', '.join(map(str, missing))}.")
        return list(dict.fromkeys(chosen))

    def _known_topics(self) -> str:
        try:
            names = [name for name in self.client.list_topics() if name]
        except FlyMQError:
            return ""
        if not names:
            return "The server has no topics."
        shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
        return f"Topics: {shown}."

    def start_offset(self, partition: int, low: int, high: int) -> int:
        spec = self.start
        if spec.kind is SeekKind.RELATIVE:  # -N counts back from the end and +N on from the beginning, as in kcat
            target = high + spec.value if spec.value < 0 else low + spec.value
            return min(max(target, low), high)
        committed = None
        if spec.kind is SeekKind.GROUP:
            assert spec.group is not None
            try:
                committed = self.client.get_committed_offset(self.options.topic, spec.group, partition)
            except GroupNotFoundError:
                raise self.fail(EXIT_NOT_FOUND, f"group {spec.group!r} has no committed offsets on topic "
                                                f"{self.options.topic!r}.") from None
        return spec.resolve(low, low, high, committed=committed, clamp=True)

    def run(self) -> None:
        topic = self.options.topic
        follow = self.options.follow
        positions: dict[int, int] = {}
        ends: dict[int, int] = {}
        for partition in self.partitions():
            low, high = self.client.watermarks(topic, partition)
            positions[partition] = self.start_offset(partition, low, high)
            ends[partition] = high
        active = [p for p in positions if follow or positions[p] < ends[p]]
        server_filter = self.query.server_filter
        local_query = None if server_filter is not None or self.query.matches_everything else self.query
        while active:
            progressed = False
            for partition in list(active):
                position = positions[partition]
                ask = PAGE_SIZE
                if local_query is None and self.remaining is not None:
                    ask = min(ask, self.remaining)
                result = self.client.fetch(topic, partition, position, ask, filter=server_filter)
                end = None if follow else ends[partition]
                self.write(result.messages, end, local_query)
                if self.remaining == 0:
                    return
                if result.next_offset > position:
                    progressed = True
                    positions[partition] = result.next_offset
                if not follow and (result.next_offset <= position or result.next_offset >= ends[partition]):
                    active.remove(partition)
            if follow and not progressed:
                self.sleep(FOLLOW_POLL_SECONDS)
                if _reader_gone(self.stdout):  # notice `| head` having quit while nothing new arrives
                    raise BrokenPipeError("the reader of stdout went away")

    def write(self, messages: Sequence[Message], end: int | None, query: RecordQuery | None) -> None:
        lines: list[bytes] = []
        for message in messages:
            if end is not None and message.offset >= end:
                break
            if query is not None and not query.matches(message):
                continue
            lines.append(record_line(message))
            if self.remaining is not None:
                self.remaining -= 1
                if self.remaining == 0:
                    break
        if lines:
            self.stdout.write(b"".join(lines))
            self.stdout.flush()


def _reader_gone(out: BinaryIO) -> bool:
    """True when ``out`` is a pipe whose reading end was closed (poll reports an error on the write end)."""
    try:
        poller = select.poll()
        poller.register(out.fileno(), 0)  # POLLERR and POLLHUP are always reported
        return any(events & (select.POLLERR | select.POLLHUP) for _, events in poller.poll(0))
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):  # no fd (a test buffer), no poll
        return False


def _silence_stdout() -> None:
    """After the reader of stdout went away: point fd 1 at /dev/null so the interpreter's final flush of
    ``sys.stdout`` does not print a BrokenPipeError at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def run_print(settings: ConnectionSettings, options: PrintOptions, *, explain: Callable[..., str],
              stdout: BinaryIO | None = None, stderr: TextIO | None = None,
              connect_fn: Callable[..., Any] = connect,
              sleep: Callable[[float], None] = time.sleep) -> int:
    """Run ``--print``; returns the exit status (:data:`EXIT_CODES`). ``explain(exc, settings)`` words a
    connection failure for stderr. Never raises for a server, pipe or Ctrl-C condition."""
    out = stdout if stdout is not None else sys.stdout.buffer
    err = stderr if stderr is not None else sys.stderr
    try:
        query = compile_query(options.filter_text)
    except QueryError as exc:
        print(f"flytui: bad --filter expression: {exc.message} (at character {exc.position + 1})\n"
              f"{_indent(exc.pointer(options.filter_text))}", file=err)
        return EXIT_USAGE
    try:
        start = parse_seek_spec(options.start)
    except ValueError:
        print(f"flytui: bad --from {options.start!r}: give beginning, end, end-N or -N (the last N of each "
              "partition), +N (N after the beginning), an offset, or group:NAME (its committed offsets).",
              file=err)
        return EXIT_USAGE
    client = None
    try:
        try:
            client = connect_fn(settings.servers, **settings.client_kwargs())
        except FlyMQError as exc:
            print(explain(exc, settings), file=err)
            return EXIT_SERVER
        _Printer(client, options, query, start, out, err, sleep).run()
        return EXIT_OK
    except _Stop as stop:
        return stop.status
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_OK
    except KeyboardInterrupt:
        _flush_quietly(out)
        return EXIT_INTERRUPTED
    except PartitionNotFoundError as exc:
        print(f"flytui: {exc}", file=err)
        return EXIT_NOT_FOUND
    except (FlyMQError, OSError) as exc:
        print(f"flytui: reading {options.topic!r} from {settings.first_server} failed: {exc}", file=err)
        return EXIT_SERVER
    finally:
        if client is not None:
            _close_quietly(client)


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" for line in text.splitlines())


def _flush_quietly(out: BinaryIO) -> None:
    try:
        out.flush()
    except (OSError, ValueError):
        _silence_stdout()


def _close_quietly(client: Any) -> None:
    try:
        client.close()
    except Exception:  # noqa: BLE001 - closing after a failure must not replace the exit status with a traceback
        pass
