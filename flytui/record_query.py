"""The filter language of flytui: one parser and one evaluator for the app's search and ``--print``.

Pure (no Textual, no network). :func:`compile_query` turns the text a user typed into a :class:`RecordQuery`;
:meth:`RecordQuery.matches` decides one record; :attr:`RecordQuery.server_filter` is the text to hand to the
broker's FETCH filter (flymq-wire §2.7) when that filter alone gives the same answer, else ``None`` and the
client evaluates every record.

The language
------------
* **Plain text**, as typed before this language existed, keeps the broker's meaning: a case-insensitive
  substring of the key or the value (and, when it has regex metacharacters, also an unanchored regular
  expression, as the broker does). ``error and disk`` or ``(error|warn)`` are plain text: anything that does
  not read as a query below is plain text.
* ``/re/`` (flags ``i``, ``m``, ``s`` may follow): a regular expression searched in the key or the value.
* ``"text"``: a case-insensitive substring of the key or the value, for combining with other terms.
* ``$.a.b``, ``$.items[0]``, ``$.items[*].sku``, ``$["a b"]``: a path into the value decoded as JSON (or as
  msgpack when the package is installed and the value is a msgpack map or array). Alone it means the path
  exists. Followed by ``== != < <= > >=`` and a literal (``"string"``, a number, ``true``, ``false``,
  ``null``) it compares; followed by ``~ /re/`` it searches string values. A ``[*]`` makes the comparison
  true when any element satisfies it; a missing path satisfies no comparison, ``!=`` included.
  Numbers compare with numbers and strings with strings; ``==`` between different kinds is false.
* ``key`` and ``value`` (the raw bytes as UTF-8 text; a missing key is ``""``): ``== != < <= > >=`` with a
  string, or ``~ /re/``. ``offset`` and ``partition``: compared with a number.
* ``not``, ``and``, ``or`` (binding in that order) and parentheses.

A text that starts reading as a query (a ``$`` path, a complete ``/re/``, ``key ==`` …) and then fails gives a
:class:`QueryError` with the position and what was expected there; nothing else is ever raised.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from .decode import msgpack_module  # msgpack values are decoded for $. paths only when it is installed

__all__ = ["QueryError", "RecordLike", "RecordQuery", "SERVER_FILTER_MAX_BYTES", "compile_query"]

SERVER_FILTER_MAX_BYTES = 65535
"""The longest filter the wire can carry (a str16); longer plain texts are evaluated by the client."""

MAX_NESTING = 64
"""Deepest nesting of parentheses and ``not`` accepted (keeps the parser's recursion bounded)."""


class RecordLike(Protocol):
    """What the evaluator reads from a record (a :class:`pyflymq.Message` has all of it)."""

    @property
    def key(self) -> bytes | None:
        """The key, ``None`` when absent."""

    @property
    def value(self) -> bytes:
        """The value."""

    @property
    def offset(self) -> int:
        """The offset in its partition."""

    @property
    def partition(self) -> int:
        """The partition."""


class QueryError(ValueError):
    """A query that does not parse: ``position`` is the 0-based character index where it fails."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} (at character {position + 1})")
        self.message = message
        self.position = position

    def pointer(self, text: str) -> str:
        """Two lines: ``text`` and a caret under the failing character (for a terminal)."""
        shown = text.replace("\n", " ").replace("\t", " ")
        return f"{shown}\n{' ' * self.position}^"


class _Record:
    """One record being evaluated; decodes the value at most once, and only if a path asks for it."""

    __slots__ = ("key", "value", "offset", "partition", "_document", "_key_text", "_value_text")

    def __init__(self, message: RecordLike) -> None:
        self.key: bytes = message.key or b""
        self.value: bytes = message.value
        self.offset: int = message.offset
        self.partition: int = message.partition
        self._document: Any = _UNSET
        self._key_text: str | None = None
        self._value_text: str | None = None

    def document(self) -> Any:
        """The value decoded as JSON (or msgpack), or :data:`_MISSING`."""
        if self._document is _UNSET:
            self._document = decode_document(self.value)
        return self._document

    def key_text(self) -> str:
        """The key as text (undecodable bytes replaced)."""
        if self._key_text is None:
            self._key_text = self.key.decode("utf-8", "replace")
        return self._key_text

    def value_text(self) -> str:
        """The value as text (undecodable bytes replaced)."""
        if self._value_text is None:
            self._value_text = self.value.decode("utf-8", "replace")
        return self._value_text


class _Sentinel:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


_UNSET = _Sentinel("UNSET")
_MISSING = _Sentinel("MISSING")

Predicate = Callable[[_Record], bool]

# msgpack type markers of a map or an array: fixmap, fixarray, array16/32, map16/32. Only containers are
# tried, since almost any short byte string is some msgpack scalar.
_MSGPACK_CONTAINER = frozenset([*range(0x80, 0xA0), 0xDC, 0xDD, 0xDE, 0xDF])


def decode_document(raw: bytes) -> Any:
    """``raw`` decoded as JSON, else as a msgpack map or array (if msgpack is installed), else ``_MISSING``."""
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        pass
    msgpack = msgpack_module() if raw and raw[0] in _MSGPACK_CONTAINER else None
    if msgpack is not None:
        try:
            return msgpack.unpackb(raw, raw=False, strict_map_key=False)
        except Exception:  # noqa: BLE001 - msgpack raises many kinds on foreign bytes; all mean "not msgpack"
            return _MISSING
    return _MISSING


# ---------------------------------------------------------------------------------------------------------
# evaluation helpers


def _contains_ignoring_case(needle: str) -> Callable[[bytes], bool]:
    """A case-insensitive substring test over raw bytes (ASCII bytes are searched without decoding)."""
    lowered = needle.lower()
    ascii_needle = lowered.encode("ascii") if lowered.isascii() else None

    def contains(raw: bytes) -> bool:
        if ascii_needle is not None and raw.isascii():
            return ascii_needle in raw.lower()
        text = raw.decode("utf-8", "replace")
        return lowered in text.lower() or needle in text

    return contains


def _substring(needle: str) -> Predicate:
    contains = _contains_ignoring_case(needle)
    return lambda record: contains(record.value) or (bool(record.key) and contains(record.key))


def _regex_anywhere(pattern: re.Pattern[str]) -> Predicate:
    def matches(record: _Record) -> bool:
        if pattern.search(record.value_text()):
            return True
        return bool(record.key) and pattern.search(record.key_text()) is not None

    return matches


# constructs Python's re accepts but the broker's RE2 rejects (the broker then skips the regex rule)
_NOT_RE2 = re.compile(r"\(\?(?:=|!|<=|<!)|\\[1-9]")
_REGEX_META = frozenset("\\.+*?()|[]{}^$")


def _plain_text(text: str) -> Predicate:
    """The broker's rule for a plain filter: substring, or (with metacharacters) a valid RE2-like regex."""
    substring = _substring(text)
    if _REGEX_META.isdisjoint(text) or _NOT_RE2.search(text):
        return substring
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pattern = re.compile(text)
    except (re.error, OverflowError, RecursionError, ValueError):
        return substring
    regex = _regex_anywhere(pattern)
    return lambda record: substring(record) or regex(record)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if _is_number(value):
        return "number"
    if isinstance(value, str):
        return "string"
    return "other"


def _comparison(operator: str, literal: Any) -> Callable[[Any], bool]:
    """A test ``found OP literal`` following the language's typing rules."""
    kind = _kind(literal)
    if operator == "==":
        return lambda found: _kind(found) == kind and found == literal
    if operator == "!=":
        return lambda found: not (_kind(found) == kind and found == literal)
    ordered = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
               ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}[operator]
    if kind == "number":
        return lambda found: _is_number(found) and ordered(found, literal)
    return lambda found: isinstance(found, str) and ordered(found, literal)


# a path step: a key (str), an index (int) or every element (None)
Step = str | int | None


def _walk(node: Any, steps: tuple[Step, ...]) -> Iterator[Any]:
    """Every value the path reaches from ``node`` (several after a ``[*]``)."""
    if not steps:
        yield node
        return
    step, rest = steps[0], steps[1:]
    if step is None:
        if isinstance(node, list):
            for item in node:
                yield from _walk(item, rest)
        elif isinstance(node, dict):
            for item in node.values():
                yield from _walk(item, rest)
    elif isinstance(step, int):
        if isinstance(node, list) and -len(node) <= step < len(node):
            yield from _walk(node[step], rest)
    elif isinstance(node, dict) and step in node:
        yield from _walk(node[step], rest)


def _lookup(node: Any, steps: tuple[Step, ...]) -> Any:
    """The one value a path without ``[*]`` reaches, or :data:`_MISSING`."""
    for step in steps:
        if isinstance(step, str):
            if not isinstance(node, dict) or step not in node:
                return _MISSING
        elif step is None or not isinstance(node, list) or not -len(node) <= step < len(node):
            return _MISSING
        node = node[step]
    return node


def _path_predicate(steps: tuple[Step, ...], test: Callable[[Any], bool] | None) -> Predicate:
    if None not in steps:
        def matches_one(record: _Record) -> bool:
            document = record.document()
            if document is _MISSING:
                return False
            found = _lookup(document, steps)
            return found is not _MISSING and (test is None or test(found))

        return matches_one

    def matches(record: _Record) -> bool:
        document = record.document()
        if document is _MISSING:
            return False
        for found in _walk(document, steps):
            if test is None or test(found):
                return True
        return False

    return matches


def _field_predicate(name: str, test: Callable[[Any], bool]) -> Predicate:
    getters: dict[str, Callable[[_Record], Any]] = {
        "key": _Record.key_text, "value": _Record.value_text,
        "offset": lambda record: record.offset, "partition": lambda record: record.partition,
    }
    get = getters[name]
    return lambda record: test(get(record))


# ---------------------------------------------------------------------------------------------------------
# the parser


class _NotAQuery(Exception):
    """The text does not read as a query and has not committed to being one: it is plain text."""


_FIELDS = ("key", "value", "offset", "partition")
_OPERATORS = ("==", "!=", "<=", ">=", "<", ">", "~")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_NAME_CHARS = re.compile(r"[^\s.\[\]()=!<>~\"']+")
_LITERAL_HELP = "a string in double quotes, a number, true, false or null"


@dataclass
class _Parser:
    text: str
    pos: int = 0
    committed: bool = False
    depth: int = 0

    # -- low level
    def fail(self, message: str, position: int | None = None) -> QueryError | _NotAQuery:
        if not self.committed:
            return _NotAQuery()
        return QueryError(message, self.pos if position is None else position)

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def at_end(self) -> bool:
        self.skip_space()
        return self.pos >= len(self.text)

    def peek_word(self, word: str) -> bool:
        """True when the keyword ``word`` stands at the position (a whole word, any case)."""
        self.skip_space()
        end = self.pos + len(word)
        if self.text[self.pos:end].lower() != word:
            return False
        return end >= len(self.text) or not (self.text[end].isalnum() or self.text[end] in "_-.")

    def describe_here(self) -> str:
        if self.pos >= len(self.text):
            return "the end of the text"
        return repr(self.text[self.pos:self.pos + 12] + ("…" if len(self.text) - self.pos > 12 else ""))

    # -- grammar
    def parse(self) -> Predicate:
        predicate = self.parse_or()
        if not self.at_end():
            raise self.fail(f"expected 'and', 'or' or the end of the query, found {self.describe_here()}")
        return predicate

    def parse_or(self) -> Predicate:
        terms = [self.parse_and()]
        while self.peek_word("or"):
            self.pos += 2
            self.committed = True  # a term joined by 'or' is a query, whatever follows
            terms.append(self.parse_and())
        if len(terms) == 1:
            return terms[0]
        return lambda record: any(term(record) for term in terms)

    def parse_and(self) -> Predicate:
        terms = [self.parse_not()]
        while self.peek_word("and"):
            self.pos += 3
            self.committed = True  # a term joined by 'and' is a query, whatever follows
            terms.append(self.parse_not())
        if len(terms) == 1:
            return terms[0]
        return lambda record: all(term(record) for term in terms)

    def nest(self) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise QueryError(f"nested more than {MAX_NESTING} levels deep", self.pos)

    def parse_not(self) -> Predicate:
        if self.peek_word("not"):
            self.pos += 3
            self.nest()
            inner = self.parse_not()
            self.depth -= 1
            return lambda record: not inner(record)
        return self.parse_primary()

    def parse_primary(self) -> Predicate:
        self.skip_space()
        start = self.pos
        if self.pos >= len(self.text):
            raise self.fail(f"expected a term ({_TERM_HELP}), found the end of the text")
        char = self.text[self.pos]
        if char == "(":
            self.pos += 1
            self.nest()
            inner = self.parse_or()
            self.depth -= 1
            self.skip_space()
            if self.pos >= len(self.text) or self.text[self.pos] != ")":
                raise self.fail(f"expected ')' to close the '(' at character {start + 1}, "
                                f"found {self.describe_here()}")
            self.pos += 1
            return inner
        if char == "$" and self.text.startswith((".", "["), self.pos + 1):
            self.committed = True
            return self.parse_path_term()
        if char == "/":
            pattern = self.parse_regex(commit=True)
            return _regex_anywhere(pattern)
        if char == '"':
            return _substring(self.parse_string())
        for name in _FIELDS:
            if self.peek_word(name):
                return self.parse_field(name)
        raise self.fail(f"expected a term ({_TERM_HELP}), found {self.describe_here()}")

    def parse_field(self, name: str) -> Predicate:
        self.pos += len(name)
        self.skip_space()
        operator_at = self.pos
        operator = self.parse_operator()
        if operator is None:
            raise self.fail(f"expected an operator (== != < <= > >= ~) after '{name}', "
                            f"found {self.describe_here()}")
        self.committed = True
        self.skip_space()
        if operator == "~":
            if name not in ("key", "value"):
                raise QueryError(f"'~' applies to key and value, not to {name}", operator_at)
            pattern = self.parse_regex(commit=False)
            return _field_predicate(name, lambda found: pattern.search(found) is not None)
        literal_at = self.pos
        if name in ("key", "value") and not self.text.startswith('"', self.pos):
            raise QueryError(f"expected a string in double quotes after '{name} {operator}', "
                             f"found {self.describe_here()}", literal_at)
        literal = self.parse_literal()
        numeric = name in ("offset", "partition")
        if numeric and not _is_number(literal):
            raise QueryError(f"{name} is compared with a number", literal_at)
        if not numeric and not isinstance(literal, str):
            raise QueryError(f"{name} is compared with a string in double quotes", literal_at)
        return _field_predicate(name, _comparison(operator, literal))

    def parse_operator(self) -> str | None:
        for operator in _OPERATORS:
            if self.text.startswith(operator, self.pos):
                self.pos += len(operator)
                return operator
        if self.text.startswith("=", self.pos):
            raise self.fail("expected '==' (a single '=' is not an operator)")
        return None

    def parse_path_term(self) -> Predicate:
        steps = self.parse_path()
        self.skip_space()
        operator = self.parse_operator()
        if operator is None:
            return _path_predicate(steps, None)
        self.skip_space()
        if operator == "~":
            pattern = self.parse_regex(commit=False)
            return _path_predicate(steps, lambda found: isinstance(found, str) and pattern.search(found) is not None)
        return _path_predicate(steps, _comparison(operator, self.parse_literal()))

    def parse_path(self) -> tuple[Step, ...]:
        self.pos += 1  # the '$'
        steps: list[Step] = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == ".":
                self.pos += 1
                match = _NAME_CHARS.match(self.text, self.pos)
                if match is None:
                    raise self.fail(f"expected a key name after '.', found {self.describe_here()}")
                steps.append(match.group())
                self.pos = match.end()
            elif char == "[":
                self.pos += 1
                steps.append(self.parse_bracket())
            else:
                break
        return tuple(steps)

    def parse_bracket(self) -> Step:
        self.skip_space()
        step: Step
        if self.text.startswith("*", self.pos):
            self.pos += 1
            step = None
        elif self.text.startswith('"', self.pos):
            step = self.parse_string()
        else:
            match = re.compile(r"-?[0-9]+").match(self.text, self.pos)
            if match is None:
                raise self.fail(f"expected an index, '*' or a quoted key inside '[ ]', found {self.describe_here()}")
            step = self.to_int(match.group(), self.pos)
            self.pos = match.end()
        self.skip_space()
        if not self.text.startswith("]", self.pos):
            raise self.fail(f"expected ']', found {self.describe_here()}")
        self.pos += 1
        return step

    def parse_regex(self, *, commit: bool) -> re.Pattern[str]:
        start = self.pos
        if not self.text.startswith("/", self.pos):
            raise self.fail(f"expected a regular expression in slashes (/…/), found {self.describe_here()}")
        index = start + 1
        body: list[str] = []
        while index < len(self.text) and self.text[index] != "/":
            if self.text[index] == "\\" and index + 1 < len(self.text):
                # "\/" is a slash in the pattern; other escapes go to the regex engine as written
                body.append("/" if self.text[index + 1] == "/" else self.text[index:index + 2])
                index += 2
                continue
            body.append(self.text[index])
            index += 1
        if index >= len(self.text):
            raise self.fail(f"the regular expression opened at character {start + 1} has no closing '/'", start)
        index += 1
        flags_match = re.compile(r"[ims]*").match(self.text, index)
        assert flags_match is not None
        flags_end = flags_match.end()
        if flags_end < len(self.text) and not (self.text[flags_end].isspace() or self.text[flags_end] == ")"):
            # "/api/orders" reads as a path someone searches for, not as a regex followed by junk
            raise self.fail(f"expected a space, ')' or the end after the regular expression, "
                            f"found {self.text[flags_end:flags_end + 12]!r}", flags_end)
        if commit:
            self.committed = True
        flags = 0
        for letter in flags_match.group():
            flags |= {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL}[letter]
        try:
            with warnings.catch_warnings():  # e.g. "possible nested set": the pattern is the user's to judge
                warnings.simplefilter("ignore")
                pattern = re.compile("".join(body), flags)
        except re.error as exc:
            where = start + 1 + (exc.pos or 0)
            raise QueryError(f"invalid regular expression: {exc.msg}", min(where, index - 1)) from None
        except (OverflowError, RecursionError, ValueError) as exc:
            raise QueryError(f"invalid regular expression: {exc}", start) from None
        self.pos = flags_end
        return pattern

    def parse_string(self) -> str:
        start = self.pos
        index = start + 1
        while index < len(self.text) and self.text[index] != '"':
            index += 2 if self.text[index] == "\\" else 1
        if index >= len(self.text):
            raise self.fail(f"the string opened at character {start + 1} has no closing '\"'", start)
        try:
            value = json.loads(self.text[start:index + 1])
        except ValueError:
            raise self.fail("invalid escape in the string (use JSON escapes such as \\\" or \\u00e9)",
                            start) from None
        self.pos = index + 1
        if not isinstance(value, str):  # pragma: no cover - a quoted JSON token is always a string
            raise self.fail("expected a string", start)
        return value

    def to_int(self, digits: str, position: int) -> int:
        try:
            return int(digits)
        except ValueError:  # longer than Python's int conversion allows
            raise QueryError("the number has too many digits", position) from None

    def parse_literal(self) -> Any:
        self.skip_space()
        if self.text.startswith('"', self.pos):
            return self.parse_string()
        for word, value in (("true", True), ("false", False), ("null", None)):
            if self.peek_word(word):
                self.pos += len(word)
                return value
        match = _NUMBER.match(self.text, self.pos)
        if match is not None:
            number = match.group()
            start, self.pos = self.pos, match.end()
            return float(number) if any(c in number for c in ".eE") else self.to_int(number, start)
        raise self.fail(f"expected a value ({_LITERAL_HELP}), found {self.describe_here()}")


_TERM_HELP = "a $.path, /regex/, \"text\", key, value, offset, partition, 'not' or '('"


# ---------------------------------------------------------------------------------------------------------
# the public object


@dataclass(frozen=True)
class RecordQuery:
    """A compiled query: :meth:`matches` decides a record; see the module docstring for the language."""

    text: str
    """The text as typed."""
    server_filter: str | None
    """The FETCH filter that alone decides this query (plain text the broker matches as today), else None."""
    is_plain: bool
    """True when the text is plain text with the broker's meaning, False when it is a query expression."""
    _predicate: Predicate | None = field(repr=False, compare=False)
    _on_bytes: Callable[[bytes | None, bytes], bool] | None = field(default=None, repr=False, compare=False)
    """The same test on (key, value) alone, when it needs nothing else (a plain substring): no per-record
    object, the hot path of a search."""

    @property
    def matches_everything(self) -> bool:
        """True for the empty query."""
        return self._predicate is None

    def matches(self, message: RecordLike) -> bool:
        """Whether the record matches (never raises for any key and value bytes)."""
        if self._on_bytes is not None:
            return self._on_bytes(message.key, message.value)
        if self._predicate is None:
            return True
        return self._predicate(_Record(message))


_LONE_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)


def _plain_query(text: str) -> RecordQuery:
    fits = len(text.encode("utf-8", "surrogatepass")) <= SERVER_FILTER_MAX_BYTES
    on_bytes = None
    if _REGEX_META.isdisjoint(text):
        contains = _contains_ignoring_case(text)

        def on_bytes(key: bytes | None, value: bytes) -> bool:
            return contains(value) or (key is not None and contains(key))

    return RecordQuery(text, text if fits else None, True, _plain_text(text), on_bytes)


def compile_query(text: str) -> RecordQuery:
    """Compile ``text``; raises only :class:`QueryError` (with the failing position) for a bad query."""
    if text == "":
        return RecordQuery("", None, True, None)
    parser = _Parser(text)
    try:
        predicate = parser.parse()
    except _NotAQuery:
        return _plain_query(text)
    except RecursionError:  # pragma: no cover - MAX_NESTING keeps the parser well below the limit
        raise QueryError("the query is nested too deeply", 0) from None
    if not parser.committed and _LONE_STRING.fullmatch(text):
        # a lone quoted text typed before this language existed meant the quotes too
        return _plain_query(text)
    return RecordQuery(text, None, False, predicate)
