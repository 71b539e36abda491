"""FETCH filters (flymq-wire §2.7): JSON-path existence, case-insensitive substring, unanchored regex.

A record matches when any rule matches:

1. ``$.a.b`` (filter starts with ``$.``): the value starts with ``{``, parses as JSON, and the nested keys
   exist (the value found there does not matter, ``null`` included);
2. the filter, lower-cased, is a substring of the lower-cased value or key;
3. only for filters not starting with ``$.``: the filter as a regular expression matches the value or the
   key somewhere. An invalid regex is skipped. :mod:`.regex` stands in for Go's RE2.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable

from .regex import compile_regex

Matcher = Callable[[bytes, bytes], bool]

_CACHE_SIZE = 64


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


def _json_path_exists(value: bytes, path: list[str]) -> bool:
    if not value.startswith(b"{"):
        return False
    try:
        node = json.loads(value)
    except (ValueError, RecursionError):
        return False
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


# Characters with a meaning in RE2 syntax: a filter without any of them is a literal, and a literal regex
# matches exactly where the text contains it, which the case-insensitive substring rule already covers.
_REGEX_META = frozenset("\\.+*?()|[]{}^$")


def is_plain(filter_text: str) -> bool:
    """True if the filter is neither a JSON path nor a regex with any metacharacter."""
    return not filter_text.startswith("$.") and _REGEX_META.isdisjoint(filter_text)


def build_matcher(filter_text: str) -> Matcher:
    """The predicate ``(key, value) -> bool`` for a non-empty filter; ``key`` is ``b""`` when absent."""
    if is_plain(filter_text):
        return plain_matcher(filter_text)
    return general_matcher(filter_text)


def plain_matcher(filter_text: str) -> Matcher:
    """The fast path for a plain filter: one case-insensitive substring test, no regex (same answers as
    :func:`general_matcher`). ASCII records are searched as bytes without decoding them."""
    lowered = filter_text.lower()
    ascii_needle = lowered.encode("ascii") if filter_text.isascii() else None

    def contains(raw: bytes) -> bool:
        if ascii_needle is not None and raw.isascii():
            return ascii_needle in raw.lower()  # bytes.lower() is str.lower() on ASCII
        text = _text(raw)
        # A literal found as is counts even when lower-casing moves it (a final sigma, say).
        return lowered in text.lower() or filter_text in text

    def matches(key: bytes, value: bytes) -> bool:
        return contains(value) or (bool(key) and contains(key))

    # lets a filtered FETCH look for the needle in a whole window at once (log.scan)
    matches.ascii_needle = ascii_needle  # type: ignore[attr-defined]
    return matches


def general_matcher(filter_text: str) -> Matcher:
    """The three rules as FlyMQ applies them, for any filter."""
    lowered = filter_text.lower()
    path = filter_text[2:].split(".") if filter_text.startswith("$.") else None
    regex = None if path is not None else compile_regex(filter_text)
    regex_lock = threading.Lock()  # the regex's DFA cache is shared by every FETCH using this filter

    def matches(key: bytes, value: bytes) -> bool:
        if path is not None and _json_path_exists(value, path):
            return True
        value_text = _text(value)
        if lowered in value_text.lower():
            return True
        key_text = _text(key) if key else ""
        if key_text and lowered in key_text.lower():
            return True
        if regex is not None:
            with regex_lock:
                return regex.search(value_text) or bool(key_text and regex.search(key_text))
        return False

    return matches


class MatcherCache:
    """Compiled filters by text, least recently used dropped first (consumers repeat the same filter)."""

    def __init__(self, size: int = _CACHE_SIZE) -> None:
        self._size = size
        self._items: OrderedDict[str, Matcher] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, filter_text: str) -> Matcher:
        """The matcher for ``filter_text``, compiled once."""
        with self._lock:
            matcher = self._items.get(filter_text)
            if matcher is not None:
                self._items.move_to_end(filter_text)
                return matcher
        matcher = build_matcher(filter_text)
        with self._lock:
            self._items[filter_text] = matcher
            if len(self._items) > self._size:
                self._items.popitem(last=False)
        return matcher
