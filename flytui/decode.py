"""Pure decoders: record bytes -> Rich ``Text`` that is safe to show.

No Textual here; every function takes bytes and returns a :class:`rich.text.Text` built with ``Text(...)`` and
``Text.append`` only. Message content is data: it is never parsed as markup, and control, escape, bidi and
surrogate characters are replaced by visible stand-ins (``␛``, ``␍``, ``⏎``, ``\\x9b``, ``<U+202E>``).

Usage::

    from flytui.decode import DecodeMode, decode_value, preview, human_size

    decoded = decode_value(record.value, DecodeMode.AUTO, limit=DETAIL_LIMIT)
    decoded.renderable        # Text: JSON pretty-printed and highlighted, text, or a hex dump
    decoded.lines             # the same as a Lines source: len(), [i] -> one Text line, built on demand
    decoded.mode_used         # DecodeMode.JSON / TEXT / HEX ...
    decoded.error             # None, or e.g. "not valid JSON: Expecting value at 1:1 -- shown as hex"
    decoded.truncated         # True when only the first ``limit`` bytes were decoded
    preview(record.value, 40) # one line for a table cell, cut with "…"
    human_size(1536)          # "1.5 KiB"

Modes: ``auto`` (JSON if the value parses as a JSON object or array, else text if it is UTF-8, else msgpack
if the whole value is one msgpack map with string keys or non-empty array, else hex),
``text``, ``json``, ``hex`` (classic hexdump), ``base64`` (the bytes encoded as base64, for copying),
``protobuf`` (the raw field tree, like ``protoc --decode_raw``, see :mod:`flytui.protobuf_raw`) and
``msgpack`` (only when the ``msgpack`` package is importable, see :func:`available_modes`). ``avro`` is
never chosen by hand: it is what a value decoded with a registered Avro schema reports
(:mod:`flytui.schema_decode`).
"""

from __future__ import annotations

import base64
import codecs
import json
import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from functools import cache, cached_property
from typing import Any

from rich.highlighter import JSONHighlighter
from rich.style import Style
from rich.text import Text

from .numbers import human_size
from .protobuf_raw import parse_message, render_fields


@cache
def msgpack_module() -> Any:
    """The msgpack package (optional), imported at first use rather than at startup; None when missing."""
    try:
        import msgpack
    except ImportError:  # pragma: no cover - depends on the environment
        return None
    return msgpack

__all__ = [
    "CONTROL_STYLE",
    "DETAIL_LIMIT",
    "Base64Lines",
    "DecodeMode",
    "Decoded",
    "HexLines",
    "Lines",
    "MARKER_STYLE",
    "StackedLines",
    "TextBlock",
    "TextLines",
    "available_modes",
    "decode_value",
    "hexdump",
    "human_size",
    "next_mode",
    "preview",
    "visible_str",
    "visible_text",
]

DETAIL_LIMIT = 64 * 1024
"""Bytes of a value the detail pane decodes before it asks the user to load the rest."""

CONTROL_STYLE = Style(color="magenta", bold=True)
"""Style of the visible stand-ins for control and escape characters."""

MARKER_STYLE = Style(color="yellow", italic=True)
"""Style of markers such as ``‹bin›``, ``(empty)`` and fallback notes."""

DIM_STYLE = Style(dim=True)
"""Style of secondary parts (hexdump offsets, ``null`` keys)."""

_HEX_PREVIEW_MARK = "‹bin› "
_JSON_HIGHLIGHTER = JSONHighlighter()

# Characters that must never reach the terminal raw: C0 controls, DEL, C1 controls, bidi overrides and
# isolates, line/paragraph separators, BOM, and lone surrogates (which cannot even be encoded).
_SPECIAL_OTHERS = "\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff\ud800-\udfff"
_SPECIAL_ONE_LINE = re.compile(f"[\x00-\x1f{_SPECIAL_OTHERS}]")
_SPECIAL_MULTI_LINE = re.compile(f"[\x00-\x09\x0b-\x1f{_SPECIAL_OTHERS}]")  # keeps newlines


class DecodeMode(str, Enum):
    """How to show a key or value."""

    AUTO = "auto"
    TEXT = "text"
    JSON = "json"
    HEX = "hex"
    BASE64 = "base64"
    MSGPACK = "msgpack"
    PROTOBUF = "protobuf"
    AVRO = "avro"

    def __str__(self) -> str:
        return self.value


def available_modes() -> tuple[DecodeMode, ...]:
    """The modes this installation can use, in cycling order (``msgpack`` only if the package imports)."""
    modes = (DecodeMode.AUTO, DecodeMode.TEXT, DecodeMode.JSON, DecodeMode.HEX, DecodeMode.BASE64,
             DecodeMode.PROTOBUF)
    return (*modes, DecodeMode.MSGPACK) if msgpack_module() is not None else modes


def next_mode(mode: DecodeMode | str) -> DecodeMode:
    """The mode after ``mode`` in :func:`available_modes`, wrapping around."""
    modes = available_modes()
    try:
        index = modes.index(DecodeMode(mode))
    except ValueError:
        return modes[0]
    return modes[(index + 1) % len(modes)]


# -- visible characters ---------------------------------------------------------------------------------

_REPLACEMENTS: dict[str, str] = {}


def _stand_in(char: str) -> str:
    """The visible stand-in for one special character."""
    stand_in = _REPLACEMENTS.get(char)
    if stand_in is None:
        code = ord(char)
        if char == "\n":
            stand_in = "⏎"
        elif code < 0x20:
            stand_in = chr(0x2400 + code)  # ␀ .. ␟ (␛ for ESC, ␍ for CR, ␉ for TAB)
        elif code == 0x7F:
            stand_in = "␡"
        elif code <= 0x9F:
            stand_in = f"\\x{code:02x}"
        elif 0xD800 <= code <= 0xDFFF:
            stand_in = f"\\u{code:04x}"
        else:
            stand_in = f"<U+{code:04X}>"
        _REPLACEMENTS[char] = stand_in
    return stand_in


def visible_text(text: str, *, multiline: bool = False, style: Style | str = "") -> Text:
    """``text`` as a ``Text`` with every control/escape character replaced by a styled visible stand-in.

    With ``multiline`` newlines are kept (everything else, tabs and CR included, is made visible);
    without it newlines become ``⏎`` too, so the result is always one line.
    """
    pattern = _SPECIAL_MULTI_LINE if multiline else _SPECIAL_ONE_LINE
    result = Text(style=style, end="")
    position = 0
    append = result.append
    for match in pattern.finditer(text):
        start = match.start()
        if start > position:
            append(text[position:start])
        append(_stand_in(match.group()), CONTROL_STYLE)
        position = start + 1
    if position < len(text):
        append(text[position:] if position else text)
    return result


def visible_str(text: str, *, limit: int | None = None) -> str:
    """``text`` on one line with every control/escape character replaced by its visible stand-in, as a str.

    For places that take a plain string (toasts): the result holds nothing a terminal or a markup parser
    would act on once it is shown without markup. With ``limit`` it is cut to that many characters with "…".
    """
    shown = _SPECIAL_ONE_LINE.sub(lambda match: _stand_in(match.group()), text)
    if limit is not None and len(shown) > limit:
        shown = shown[: max(0, limit - 1)] + "…"
    return shown


def _count_special(text: str) -> int:
    """How many characters of ``text`` (newlines, tabs and CR excepted) are control characters."""
    return sum(1 for match in _SPECIAL_ONE_LINE.finditer(text) if match.group() not in "\n\r\t")


def _looks_like_text(text: str) -> bool:
    """True when ``text`` is mostly printable (at most a quarter control characters)."""
    return _count_special(text) * 4 <= len(text)


# -- line sources: decoded content, one Text line at a time, built on demand ---------------------------


class Lines:
    """A sequence of one-line ``Text`` objects built on demand, so a 10 MB value costs nothing until shown.

    ``len(lines)`` is the number of lines, ``lines[i]`` a ``Text`` without newlines or control characters,
    ``lines.cell_length(i)`` its width in cells; ``wrap`` says whether soft-wrapping suits the content
    (text and JSON) or not (hex dumps, base64). :meth:`to_text` joins everything (use on small values).
    """

    wrap = True

    def __len__(self) -> int:
        raise NotImplementedError

    def __getitem__(self, index: int) -> Text:
        raise NotImplementedError

    def __iter__(self) -> Iterator[Text]:
        return (self[index] for index in range(len(self)))

    def cell_length(self, index: int) -> int:
        """Width of line ``index`` in terminal cells."""
        return self[index].cell_len

    def max_cell_length(self) -> int:
        """Width of the widest line (cells)."""
        return max((self.cell_length(index) for index in range(len(self))), default=0)

    def to_text(self) -> Text:
        """All lines joined with newlines in one ``Text``."""
        return Text("\n", end="").join(self)


class TextBlock(Lines):
    """Lines given as ready ``Text`` objects (markers, notes, small fixed content)."""

    def __init__(self, *lines: Text) -> None:
        self._lines = list(lines)

    def __len__(self) -> int:
        return len(self._lines)

    def __getitem__(self, index: int) -> Text:
        return self._lines[index]


class TextLines(Lines):
    """The lines of a string, control characters made visible, optionally JSON-highlighted, per line."""

    def __init__(self, text: str, *, json: bool = False) -> None:
        self._lines = text.split("\n")
        self._json = json

    def __len__(self) -> int:
        return len(self._lines)

    def __getitem__(self, index: int) -> Text:
        line = visible_text(self._lines[index])
        if self._json:
            _JSON_HIGHLIGHTER.highlight(line)
        return line

    def cell_length(self, index: int) -> int:
        """Width of line ``index`` in cells (computed without building the line where possible)."""
        line = self._lines[index]
        if line.isascii() and _SPECIAL_ONE_LINE.search(line) is None:
            return len(line)
        return self[index].cell_len

    def max_cell_length(self) -> int:
        """Width of the widest line in cells."""
        lines = self._lines
        if not lines:
            return 0
        longest = max(map(len, lines))
        if all(line.isascii() for line in lines) and _SPECIAL_ONE_LINE.search("\n".join(lines)) is None:
            return longest
        return super().max_cell_length()


class HexLines(Lines):
    """A classic hex dump, 16 bytes a line: ``offset  hex hex ...  |ascii|``; each line built when asked."""

    wrap = False

    def __init__(self, data: bytes) -> None:
        self._data = data

    def __len__(self) -> int:
        return (len(self._data) + 15) // 16

    def __getitem__(self, index: int) -> Text:
        if not 0 <= index < len(self):
            raise IndexError(index)
        start = index * 16
        chunk = self._data[start:start + 16]
        hex_left = " ".join(f"{b:02x}" for b in chunk[:8])
        hex_right = " ".join(f"{b:02x}" for b in chunk[8:])
        line = Text(end="", no_wrap=True)
        line.append(f"{start:08x}  ", DIM_STYLE)
        line.append(f"{hex_left:<23}  {hex_right:<23}")
        line.append("  |", DIM_STYLE)
        line.append("".join(chr(b) if 0x20 <= b < 0x7F else "." for b in chunk))
        line.append("|", DIM_STYLE)
        return line

    def cell_length(self, index: int) -> int:
        """Width of line ``index`` in cells (computed without building the line where possible)."""
        return 62 + len(self._data[index * 16:index * 16 + 16])

    def max_cell_length(self) -> int:
        """Width of the widest line in cells."""
        return self.cell_length(0) if self._data else 0


class Base64Lines(Lines):
    """The bytes encoded as base64, 76 characters a line (57 bytes), each line encoded when asked."""

    wrap = False

    def __init__(self, data: bytes) -> None:
        self._data = data

    def __len__(self) -> int:
        return (len(self._data) + 56) // 57

    def __getitem__(self, index: int) -> Text:
        if not 0 <= index < len(self):
            raise IndexError(index)
        return Text(base64.b64encode(self._data[index * 57:index * 57 + 57]).decode("ascii"), end="")

    def cell_length(self, index: int) -> int:
        """Width of line ``index`` in cells (computed without building the line where possible)."""
        return len(self[index].plain)

    def max_cell_length(self) -> int:
        """Width of the widest line in cells."""
        return 76 if len(self._data) >= 57 else len(base64.b64encode(self._data))


class StackedLines(Lines):
    """Several line sources one after the other (a marker line above a fallback hex dump, say)."""

    def __init__(self, *parts: Lines) -> None:
        self._parts = [part for part in parts if len(part)]
        self._starts: list[int] = []
        total = 0
        for part in self._parts:
            self._starts.append(total)
            total += len(part)
        self._total = total
        self.wrap = all(part.wrap for part in self._parts)

    def __len__(self) -> int:
        return self._total

    def _locate(self, index: int) -> tuple[Lines, int]:
        if not 0 <= index < self._total:
            raise IndexError(index)
        part = bisect_right(self._starts, index) - 1
        return self._parts[part], index - self._starts[part]

    def __getitem__(self, index: int) -> Text:
        part, local = self._locate(index)
        return part[local]

    def cell_length(self, index: int) -> int:
        """Width of line ``index`` in cells (computed without building the line where possible)."""
        part, local = self._locate(index)
        return part.cell_length(local)

    def max_cell_length(self) -> int:
        """Width of the widest line in cells."""
        return max((part.max_cell_length() for part in self._parts), default=0)


def hexdump(data: bytes, max_bytes: int | None = None) -> Text:
    """A classic 16-bytes-a-line hex dump (``offset  hex hex ...  |ascii|``) of at most ``max_bytes``."""
    shown = data if max_bytes is None else data[:max_bytes]
    if not shown:
        return Text("(no bytes)", style=MARKER_STYLE, end="")
    result = HexLines(shown).to_text()
    if len(shown) < len(data):
        result.append(f"\n… {len(data) - len(shown):,} more bytes", MARKER_STYLE)
    return result


# -- one-line preview ------------------------------------------------------------------------------------


def _decode_head(data: bytes) -> str | None:
    """``data`` (possibly cut mid-character) as UTF-8, or None when it is not UTF-8."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        return decoder.decode(data, final=False)
    except UnicodeDecodeError:
        return None


def preview(data: bytes | None, width: int) -> Text:
    """One line of at most ``width`` cells showing ``data``, for a table cell.

    None shows as a dim ``null``, empty as ``(empty)``; UTF-8 text with its control characters visible and
    newlines as ``⏎``; anything else as ``‹bin›`` followed by hex bytes. Cut with ``…`` when too long.
    """
    width = max(width, 0)
    if data is None:
        result = Text("null", style=DIM_STYLE, end="")
    elif not data:
        result = Text("(empty)", style=MARKER_STYLE, end="")
    else:
        head = data[:width * 4 + 4]
        text = _decode_head(head)
        if text is not None and _looks_like_text(text):
            result = visible_text(text)
        else:
            result = Text(end="")
            result.append(_HEX_PREVIEW_MARK, MARKER_STYLE)
            result.append(" ".join(f"{b:02x}" for b in data[:max(width // 3, 1)]))
        if len(head) < len(data):
            result.append("…")  # more follows even when the cell is wide enough
    result.no_wrap = True
    result.truncate(width, overflow="ellipsis")
    return result


# -- full decoders ---------------------------------------------------------------------------------------

_SNIFF_BYTES = 64 * 1024


def _json_lines(document: object) -> Lines:
    """A parsed JSON-like document pretty-printed; lines highlighted as they are shown."""
    return TextLines(json.dumps(document, indent=2, ensure_ascii=False, default=_json_default), json=True)


def _json_default(value: object) -> object:
    """Make msgpack's extra types JSON-showable: bytes as ``hex:..``, the rest by repr."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "hex:" + bytes(value).hex()
    return repr(value)


def _decode_json(data: bytes) -> Lines:
    try:
        return _json_lines(json.loads(data))
    except RecursionError as exc:
        raise ValueError("nested too deeply") from exc


def _decode_text(data: bytes) -> tuple[Lines, str | None]:
    try:
        return TextLines(data.decode("utf-8")), None
    except UnicodeDecodeError as exc:
        text = data.decode("utf-8", errors="backslashreplace")
        return TextLines(text), f"not valid UTF-8 ({exc.reason} at byte {exc.start}); bad bytes shown as \\xNN"


def _decode_msgpack(data: bytes) -> Lines:
    msgpack = msgpack_module()
    if msgpack is None:
        raise ValueError("the msgpack package is not installed")
    try:
        try:
            document = msgpack.unpackb(data, raw=False, strict_map_key=False)
        except UnicodeDecodeError:
            document = msgpack.unpackb(data, raw=True, strict_map_key=False)
        return _json_lines(_jsonable(document))
    except RecursionError as exc:
        raise ValueError("nested too deeply") from exc
    except Exception as exc:  # msgpack raises many types (ExtraData, FormatError, StackError, ...)
        raise ValueError(f"{type(exc).__name__}: {exc}") from exc


def _decode_protobuf(data: bytes) -> Lines:
    try:
        return TextLines("\n".join(render_fields(parse_message(data))))
    except RecursionError as exc:  # pragma: no cover - parse_message bounds its depth
        raise ValueError("nested too deeply") from exc


def _jsonable(value: object) -> object:
    """msgpack output made JSON-dumpable: non-string map keys become their repr."""
    if isinstance(value, dict):
        return {k if isinstance(k, str) else repr(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def _fallback(data: bytes, asked: DecodeMode, why: str) -> tuple[Lines, DecodeMode, str]:
    """Hex with a visible marker line, kaskade-style, when ``asked`` failed."""
    message = f"not valid {'JSON' if asked is DecodeMode.JSON else asked.value}: {why}"
    marker = visible_text(f"⚠ {message} — shown as hex", style=MARKER_STYLE)
    return StackedLines(TextBlock(marker), HexLines(data)), DecodeMode.HEX, message


def _decode_auto(data: bytes, truncated: bool) -> tuple[Lines, DecodeMode]:
    if not truncated and data.lstrip()[:1] in (b"{", b"["):
        try:
            return _decode_json(data), DecodeMode.JSON
        except ValueError:
            pass
    if truncated:
        text = _decode_head(data)
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = None
    if text is not None and _looks_like_text(text[:_SNIFF_BYTES]):
        return TextLines(text), DecodeMode.TEXT
    if not truncated:
        document = _sniff_msgpack(data)
        if document is not None:
            return _json_lines(_jsonable(document)), DecodeMode.MSGPACK
    return HexLines(data), DecodeMode.HEX


_MSGPACK_CONTAINER = frozenset(range(0x80, 0xA0)) | {0xDC, 0xDD, 0xDE, 0xDF}
"""First bytes of a msgpack map or array (fixmap, fixarray, array16/32, map16/32)."""


def _sniff_msgpack(data: bytes) -> object | None:
    """``data`` unpacked when it is exactly one msgpack record: a map with string keys or a non-empty array.

    Anything else (an unpack error, bytes left over, a scalar, an empty or non-string-keyed map) is None,
    so random binary rarely passes for msgpack.
    """
    if data[0] not in _MSGPACK_CONTAINER:
        return None
    msgpack = msgpack_module()
    if msgpack is None:
        return None
    try:
        document = msgpack.unpackb(data, raw=False, strict_map_key=False)
    except Exception:  # noqa: BLE001 - msgpack raises many types; any of them means "not msgpack"
        return None
    if isinstance(document, dict):
        return document if document and all(isinstance(key, str) for key in document) else None
    if isinstance(document, list) and document:
        return document
    return None


@dataclass(frozen=True)
class Decoded:
    """The result of :func:`decode_value`.

    ``lines`` is the content as a :class:`Lines` source (built line by line when shown); ``renderable``
    the same as one multi-line ``Text`` (built on first use: fine for small values, slow for 10 MB).
    Neither holds raw control characters (newlines between lines apart). ``mode_used`` is the mode that
    produced it (``auto`` resolves to json/text/hex; a failed mode falls back to hex); ``error`` says in
    plain words why the asked mode was not used; ``truncated`` is True when only ``shown_bytes`` of
    ``total_bytes`` were decoded.
    """

    lines: Lines
    mode_used: DecodeMode
    error: str | None = None
    truncated: bool = False
    shown_bytes: int = 0
    total_bytes: int = 0
    schema: str | None = None
    """The registered schema used (``avro schema orders-avro v1``), None when none was."""

    @cached_property
    def renderable(self) -> Text:
        """All lines in one ``Text``."""
        return self.lines.to_text()


def decode_value(data: bytes | None, mode: DecodeMode | str = DecodeMode.AUTO, *,
                 limit: int | None = None) -> Decoded:
    """Decode ``data`` for the detail pane in ``mode``; never raises for any input bytes.

    With ``limit`` only the first ``limit`` bytes are decoded (``truncated`` is then True): JSON and
    msgpack cannot parse a cut value, so ``auto`` shows the head as text/hex and ``json``/``msgpack`` say
    so in ``error``. A failed mode falls back to hex with a visible marker line and the reason in ``error``.
    """
    mode = DecodeMode(mode)
    if data is None:
        return Decoded(TextBlock(Text("null (no key)", style=DIM_STYLE, end="")), mode)
    total = len(data)
    truncated = limit is not None and total > limit
    shown = data[:limit] if truncated else data
    if not shown:
        return Decoded(TextBlock(Text("(empty)", style=MARKER_STYLE, end="")), mode, None, False, 0, total)

    error: str | None = None
    lines: Lines
    if mode is DecodeMode.AUTO:
        lines, used = _decode_auto(shown, truncated)
    elif mode is DecodeMode.TEXT:
        lines, error = _decode_text(shown)
        used = DecodeMode.TEXT
    elif mode is DecodeMode.HEX:
        lines, used = HexLines(shown), DecodeMode.HEX
    elif mode is DecodeMode.BASE64:
        lines, used = Base64Lines(shown), DecodeMode.BASE64
    elif truncated:  # JSON / msgpack / protobuf of a cut value cannot parse
        lines, used, error = _fallback(shown, mode, f"value cut at {len(shown):,} of {total:,} bytes; load all")
    else:
        try:
            if mode is DecodeMode.JSON:
                lines = _decode_json(shown)
            elif mode is DecodeMode.PROTOBUF:
                lines = _decode_protobuf(shown)
            elif mode is DecodeMode.AVRO:
                raise ValueError("Avro needs the topic's registered schema, and none is known here")
            else:
                lines = _decode_msgpack(shown)
            used = mode
        except ValueError as exc:
            lines, used, error = _fallback(shown, mode, str(exc))
    return Decoded(lines, used, error, truncated, len(shown), total)
