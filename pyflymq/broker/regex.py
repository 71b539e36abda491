"""A linear-time regular-expression search, standing in for Go's RE2 in FETCH filters.

Python's ``re`` backtracks: a filter such as ``.*.*=`` or ``(a+)+$`` takes seconds or hours on an ordinary
record, and a FETCH filter is whatever a stranger sends. FlyMQ compiles filters with Go's regexp (RE2 syntax),
which never backtracks, so this module does the same job the same way: the pattern is parsed with Python's own
parser, compiled to a Thompson NFA and searched with a lazily built, size-capped DFA. Time is linear in the
text (times the pattern size at worst, when the DFA cache keeps overflowing). Only "does it match anywhere"
is answered.

Like RE2, it rejects what it cannot run in linear time (backreferences, lookaround, conditionals,
possessive and atomic groups, repeat counts over 1000, programs over :data:`MAX_NODES` states); FlyMQ
skips a filter that does not compile, and so does the broker. Classes ``\\d \\w \\s`` and ``\\b`` are ASCII,
and ``$`` means end of text unless ``(?m)`` is set, as in RE2.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable
from typing import Any

if sys.version_info >= (3, 11):
    from re import _parser as _sre
else:  # pragma: no cover - Python 3.10
    import sre_parse as _sre

MAX_NODES = 20_000
MAX_REPEAT_COUNT = 1000
MAX_DFA_STATES = 4_000

_IGNORECASE = re.IGNORECASE
_MULTILINE = re.MULTILINE
_DOTALL = re.DOTALL

_WORD = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_DIGIT = frozenset("0123456789")
_SPACE = frozenset("\t\n\f\r ")

# NFA node kinds
_CHAR, _SPLIT, _ASSERT, _MATCH = range(4)

# previous-character classes, the only context an assertion needs besides the next character
_PREV_START, _PREV_NEWLINE, _PREV_WORD, _PREV_OTHER = range(4)
_MATCHED = -1


_ParsedItem = tuple[Any, Any]
"""One ``(opcode, argument)`` of the standard library's parse tree; the argument's shape depends on the
opcode."""


class RegexError(ValueError):
    """The pattern is not valid, or uses a feature RE2 does not have."""


def _category(name: str) -> Callable[[str], bool]:
    table = {
        "CATEGORY_DIGIT": (_DIGIT, False), "CATEGORY_NOT_DIGIT": (_DIGIT, True),
        "CATEGORY_SPACE": (_SPACE, False), "CATEGORY_NOT_SPACE": (_SPACE, True),
        "CATEGORY_WORD": (_WORD, False), "CATEGORY_NOT_WORD": (_WORD, True),
        "CATEGORY_LINEBREAK": (frozenset("\n"), False), "CATEGORY_NOT_LINEBREAK": (frozenset("\n"), True),
    }
    if name not in table:
        raise RegexError(f"unsupported class {name}")
    members, negated = table[name]
    if negated:
        return lambda c: c not in members
    return members.__contains__


def _fold(c: str) -> tuple[str, ...]:
    return (c, c.lower(), c.upper())


def _caseless_equal(ch: str, negate: bool = False) -> Callable[[str], bool]:
    forms = _fold(ch)
    if negate:
        return lambda c: not (c in forms or c.lower() in forms)
    return lambda c: c in forms or c.lower() in forms


def _code_point_between(lo: int, hi: int) -> Callable[[str], bool]:
    return lambda c: lo <= ord(c) <= hi


def _class_predicate(items: Iterable[_ParsedItem], ignorecase: bool) -> Callable[[str], bool]:
    negate = False
    tests: list[Callable[[str], bool]] = []
    for op, av in items:
        name = str(op)
        if name == "NEGATE":
            negate = True
        elif name == "LITERAL":
            tests.append(chr(av).__eq__)
        elif name == "RANGE":
            lo, hi = av
            tests.append(_code_point_between(lo, hi))
        elif name == "CATEGORY":
            tests.append(_category(str(av)))
        else:
            raise RegexError(f"unsupported class item {name}")

    def plain(c: str) -> bool:
        return any(t(c) for t in tests)

    base = (lambda c: any(plain(x) for x in _fold(c))) if ignorecase else plain
    if negate:
        return lambda c: not base(c)
    return base


class _Compiler:
    """Builds the NFA backwards: each compile step gets the node to continue with and returns its start."""

    def __init__(self) -> None:
        self.kind: list[int] = []
        self.arg: list = []
        self.out: list[int] = []
        self.out2: list[int] = []
        self.has_assertions = False

    def add(self, kind: int, arg: object = None, out: int = -1, out2: int = -1) -> int:
        """Append a node; return its index."""
        if len(self.kind) >= MAX_NODES:
            raise RegexError("pattern too large")
        self.kind.append(kind)
        self.arg.append(arg)
        self.out.append(out)
        self.out2.append(out2)
        return len(self.kind) - 1

    def seq(self, items: Iterable[_ParsedItem], nxt: int, flags: int) -> int:
        """Compile a sequence that continues with ``nxt``."""
        for item in reversed(list(items)):
            nxt = self.item(item, nxt, flags)
        return nxt

    def item(self, item: _ParsedItem, nxt: int, flags: int) -> int:
        """Compile one parsed item that continues with ``nxt``."""
        op, av = item
        name = str(op)
        icase = bool(flags & _IGNORECASE)
        if name == "LITERAL":
            ch = chr(av)
            pred = _caseless_equal(ch) if icase else ch.__eq__
            return self.add(_CHAR, pred, nxt)
        if name == "NOT_LITERAL":
            ch = chr(av)
            pred = _caseless_equal(ch, negate=True) if icase else ch.__ne__
            return self.add(_CHAR, pred, nxt)
        if name == "ANY":
            pred = (lambda c: True) if flags & _DOTALL else "\n".__ne__
            return self.add(_CHAR, pred, nxt)
        if name == "IN":
            return self.add(_CHAR, _class_predicate(av, icase), nxt)
        if name == "SUBPATTERN":
            _group, add_flags, del_flags, sub = av
            return self.seq(sub, nxt, (flags | add_flags) & ~del_flags)
        if name == "BRANCH":
            alternatives = av[1]
            start = self.seq(alternatives[-1], nxt, flags)
            for alt in reversed(alternatives[:-1]):
                start = self.add(_SPLIT, None, self.seq(alt, nxt, flags), start)
            return start
        if name in ("MAX_REPEAT", "MIN_REPEAT"):
            return self.repeat(av, nxt, flags)
        if name == "AT":
            self.has_assertions = True
            return self.add(_ASSERT, (str(av), bool(flags & _MULTILINE)), nxt)
        raise RegexError(f"unsupported construct {name}")

    def repeat(self, av: Any, nxt: int, flags: int) -> int:
        """``x{lo,hi}`` as ``lo`` copies, then ``hi - lo`` optional ones (or a loop when unbounded)."""
        lo, hi, sub = av
        unbounded = hi == _sre.MAXREPEAT
        if lo > MAX_REPEAT_COUNT or (not unbounded and hi > MAX_REPEAT_COUNT):
            raise RegexError("repeat count too large")
        if unbounded:
            loop = self.add(_SPLIT, None, -1, nxt)
            self.out[loop] = self.seq(sub, loop, flags)
            tail = loop
        else:
            tail = nxt
            for _ in range(hi - lo):
                tail = self.add(_SPLIT, None, self.seq(sub, tail, flags), nxt)
        for _ in range(lo):
            tail = self.seq(sub, tail, flags)
        return tail


def _prev_class(c: str | None) -> int:
    if c is None:
        return _PREV_START
    if c == "\n":
        return _PREV_NEWLINE
    return _PREV_WORD if c in _WORD else _PREV_OTHER


def _assertion_holds(kind: str, multiline: bool, prev: int, nxt: str | None) -> bool:
    if kind == "AT_BEGINNING":
        return prev == _PREV_START or (multiline and prev == _PREV_NEWLINE)
    if kind == "AT_BEGINNING_STRING":
        return prev == _PREV_START
    if kind == "AT_END":
        return nxt is None or (multiline and nxt == "\n")
    if kind == "AT_END_STRING":
        return nxt is None
    word_before = prev == _PREV_WORD
    word_after = nxt is not None and nxt in _WORD
    if kind == "AT_BOUNDARY":
        return word_before != word_after
    if kind == "AT_NON_BOUNDARY":
        return word_before == word_after
    return False


class Regex:
    """A compiled pattern. :meth:`search` answers whether it matches anywhere in a string, without backtracking.

    Not thread-safe (the DFA cache is built while searching): share one only under a lock.
    """

    def __init__(self, pattern: str) -> None:
        try:
            parsed = _sre.parse(pattern, 0)
        except (re.error, RecursionError, OverflowError, ValueError) as exc:
            raise RegexError(str(exc)) from None
        flags = parsed.state.flags
        c = _Compiler()
        try:
            match = c.add(_MATCH)
            self._start = c.seq(parsed.data, match, flags)
        except RecursionError:
            raise RegexError("pattern nested too deeply") from None
        self._kind, self._arg, self._out, self._out2 = c.kind, c.arg, c.out, c.out2
        self._uses_context = c.has_assertions
        self._reset_cache()

    def _reset_cache(self) -> None:
        self._ids: dict[tuple, int] = {}
        self._sets: list[tuple[frozenset, int]] = []
        self._rows: list[dict[str, int]] = []
        self._end: dict[int, bool] = {}
        self._initial = self._state_id(frozenset(), _PREV_START)

    def _state_id(self, nodes: frozenset, prev: int) -> int:
        if not self._uses_context:
            prev = _PREV_OTHER
        key = (nodes, prev)
        sid = self._ids.get(key)
        if sid is None:
            sid = len(self._sets)
            self._ids[key] = sid
            self._sets.append(key)
            self._rows.append({})
        return sid

    def _closure(self, nodes: Iterable[int], prev: int, nxt: str | None) -> tuple[list[int], bool]:
        """Nodes reachable without consuming input (plus the start node: the search is unanchored)."""
        kind, arg, out, out2 = self._kind, self._arg, self._out, self._out2
        seen = set()
        chars: list[int] = []
        stack = [self._start, *nodes]
        while stack:
            n = stack.pop()
            if n in seen:
                continue
            seen.add(n)
            k = kind[n]
            if k == _CHAR:
                chars.append(n)
            elif k == _SPLIT:
                stack.append(out2[n])
                stack.append(out[n])
            elif k == _ASSERT:
                if _assertion_holds(arg[n][0], arg[n][1], prev, nxt):
                    stack.append(out[n])
            else:
                return chars, True
        return chars, False

    def _step(self, sid: int, ch: str) -> int:
        nodes, prev = self._sets[sid]
        chars, matched = self._closure(nodes, prev, ch)
        if matched:
            return _MATCHED
        arg, out = self._arg, self._out
        moved = frozenset(out[n] for n in chars if arg[n](ch))
        if len(self._sets) >= MAX_DFA_STATES:
            # Bounded memory, as in RE2: drop the cache and keep going with fresh state numbers.
            self._reset_cache()
            return self._state_id(moved, _prev_class(ch))
        result = self._state_id(moved, _prev_class(ch))
        self._rows[sid][ch] = result
        return result

    def _accepts_at_end(self, sid: int) -> bool:
        verdict = self._end.get(sid)
        if verdict is None:
            nodes, prev = self._sets[sid]
            verdict = self._closure(nodes, prev, None)[1]
            self._end[sid] = verdict
        return verdict

    def search(self, text: str) -> bool:
        """True if the pattern matches somewhere in ``text``."""
        sid = self._initial
        rows = self._rows
        for ch in text:
            nxt = rows[sid].get(ch)
            if nxt is None:
                nxt = self._step(sid, ch)
                rows = self._rows
            if nxt == _MATCHED:
                return True
            sid = nxt
        return self._accepts_at_end(sid)


def compile_regex(pattern: str) -> Regex | None:
    """Compile ``pattern``, or return None when it is invalid (FlyMQ then skips the regex rule)."""
    try:
        return Regex(pattern)
    except RegexError:
        return None
