"""A small JSON Schema checker of the keywords schemas in practice use, giving every failing path.

Pure Python and no dependency (the ``jsonschema`` package would add five, one of them compiled, for the
same answer on the schemas people register for topics). Checked: ``type`` (one or a list; ``integer`` is a
``number``; booleans are neither), ``enum``, ``const``, ``required``, ``properties``,
``additionalProperties`` (false or a schema), ``patternProperties``, ``items`` (a schema, or a list as
``prefixItems``), ``prefixItems``, ``minItems``/``maxItems``, ``uniqueItems``, ``minimum``/``maximum``,
``exclusiveMinimum``/``exclusiveMaximum`` (numbers), ``multipleOf``, ``minLength``/``maxLength``,
``pattern``, ``minProperties``/``maxProperties``, ``allOf``/``anyOf``/``oneOf``/``not``, and local
``$ref`` (``#/definitions/..``, ``#/$defs/..``, ``#``). Unknown keywords (``format`` included) are ignored.

Usage::

    failures = check(json.loads(schema_text), json.loads(value))
    for failure in failures:
        print(failure.path, failure.message)     # "$.items[0].qty", "-1 is less than the minimum 1"
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

__all__ = ["Failure", "MAX_DEPTH", "check"]

MAX_DEPTH = 64
"""Schema nesting (``$ref`` included) followed at most; deeper is reported as a failure, not a crash."""

_MAX_SHOWN = 60


@dataclass(frozen=True)
class Failure:
    """One check that failed: where in the document (``$``, ``$.a.b``, ``$.items[2]``) and why."""

    path: str
    message: str


def _short(value: Any) -> str:
    """``value`` as compact JSON, cut for a message."""
    text = json.dumps(value, ensure_ascii=False, default=repr)
    return text if len(text) <= _MAX_SHOWN else text[:_MAX_SHOWN - 1] + "…"


def _type_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _is_type(value: Any, name: str) -> bool:
    actual = _type_of(value)
    if name == "number":
        return actual in ("integer", "number")
    if name == "integer":
        return actual == "integer" or (actual == "number" and float(value).is_integer())
    return actual == name


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _child(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
        return f"{path}.{key}"
    return f"{path}[{json.dumps(key, ensure_ascii=False)}]"


def _equal(a: Any, b: Any) -> bool:
    """JSON equality: 1 == 1.0, but True != 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    if _is_number(a) and _is_number(b):
        return a == b
    return type(a) is type(b) and a == b


class _Checker:
    def __init__(self, root: Any) -> None:
        self.root = root

    def resolve(self, ref: str) -> Any:
        if ref == "#":
            return self.root
        if not ref.startswith("#/"):
            raise LookupError(f"only local $ref is supported, not {ref}")
        node = self.root
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                raise LookupError(f"$ref {ref} points nowhere")
        return node

    def check(self, schema: Any, value: Any, path: str, depth: int) -> list[Failure]:
        if schema is True or schema == {}:
            return []
        if schema is False:
            return [Failure(path, "no value is allowed here")]
        if not isinstance(schema, dict):
            return []
        if depth > MAX_DEPTH:
            return [Failure(path, f"schema nested deeper than {MAX_DEPTH} levels; not checked further")]
        failures: list[Failure] = []
        ref = schema.get("$ref")
        if isinstance(ref, str):
            try:
                target = self.resolve(ref)
            except LookupError as exc:
                failures.append(Failure(path, str(exc)))
            else:
                failures += self.check(target, value, path, depth + 1)
        failures += self._generic(schema, value, path, depth)
        if isinstance(value, dict):
            failures += self._object(schema, value, path, depth)
        elif isinstance(value, list):
            failures += self._array(schema, value, path, depth)
        elif isinstance(value, str):
            failures += self._string(schema, value, path)
        elif _is_number(value):
            failures += self._number(schema, value, path)
        return failures

    def _generic(self, schema: dict, value: Any, path: str, depth: int) -> list[Failure]:
        failures: list[Failure] = []
        expected = schema.get("type")
        names = [expected] if isinstance(expected, str) else expected if isinstance(expected, list) else []
        if names and not any(_is_type(value, name) for name in names if isinstance(name, str)):
            failures.append(Failure(path, f"{_type_of(value)} {_short(value)} is not of type "
                                          f"{' or '.join(str(name) for name in names)}"))
        if isinstance(schema.get("enum"), list) and not any(_equal(value, item) for item in schema["enum"]):
            failures.append(Failure(path, f"{_short(value)} is not one of {_short(schema['enum'])}"))
        if "const" in schema and not _equal(value, schema["const"]):
            failures.append(Failure(path, f"{_short(value)} is not {_short(schema['const'])}"))
        for sub in schema.get("allOf") or []:
            failures += self.check(sub, value, path, depth + 1)
        any_of = schema.get("anyOf")
        if isinstance(any_of, list) and any_of and all(self.check(sub, value, path, depth + 1) for sub in any_of):
            failures.append(Failure(path, f"matches none of the {len(any_of)} anyOf choices"))
        one_of = schema.get("oneOf")
        if isinstance(one_of, list) and one_of:
            matching = sum(1 for sub in one_of if not self.check(sub, value, path, depth + 1))
            if matching != 1:
                failures.append(Failure(path, f"matches {matching} of the oneOf choices, not exactly one"))
        if "not" in schema and not self.check(schema["not"], value, path, depth + 1):
            failures.append(Failure(path, "matches the schema under \"not\""))
        return failures

    def _object(self, schema: dict, value: dict, path: str, depth: int) -> list[Failure]:
        failures: list[Failure] = []
        for name in schema.get("required") or []:
            if isinstance(name, str) and name not in value:
                failures.append(Failure(_child(path, name), "required field is missing"))
        raw_properties = schema.get("properties")
        properties: dict[str, Any] = raw_properties if isinstance(raw_properties, dict) else {}
        raw_patterns = schema.get("patternProperties")
        patterns: dict[str, Any] = raw_patterns if isinstance(raw_patterns, dict) else {}
        additional = schema.get("additionalProperties", True)
        for name, item in value.items():
            matched = False
            if name in properties:
                matched = True
                failures += self.check(properties[name], item, _child(path, name), depth + 1)
            for pattern, sub in patterns.items():
                if _search(pattern, name):
                    matched = True
                    failures += self.check(sub, item, _child(path, name), depth + 1)
            if not matched:
                if additional is False:
                    failures.append(Failure(_child(path, name), "field is not allowed (additionalProperties)"))
                elif isinstance(additional, dict):
                    failures += self.check(additional, item, _child(path, name), depth + 1)
        if _is_number(schema.get("minProperties")) and len(value) < schema["minProperties"]:
            failures.append(Failure(path, f"{len(value)} fields, fewer than the minimum {schema['minProperties']}"))
        if _is_number(schema.get("maxProperties")) and len(value) > schema["maxProperties"]:
            failures.append(Failure(path, f"{len(value)} fields, more than the maximum {schema['maxProperties']}"))
        return failures

    def _array(self, schema: dict, value: list, path: str, depth: int) -> list[Failure]:
        failures: list[Failure] = []
        items = schema.get("items")
        prefix = schema.get("prefixItems")
        if isinstance(items, list):
            prefix, items = items, schema.get("additionalItems")
        start = 0
        if isinstance(prefix, list):
            for index, sub in enumerate(prefix[:len(value)]):
                failures += self.check(sub, value[index], _child(path, index), depth + 1)
            start = len(prefix)
        if isinstance(items, (dict, bool)):
            for index in range(start, len(value)):
                failures += self.check(items, value[index], _child(path, index), depth + 1)
        if _is_number(schema.get("minItems")) and len(value) < schema["minItems"]:
            failures.append(Failure(path, f"{len(value)} items, fewer than the minimum {schema['minItems']}"))
        if _is_number(schema.get("maxItems")) and len(value) > schema["maxItems"]:
            failures.append(Failure(path, f"{len(value)} items, more than the maximum {schema['maxItems']}"))
        if schema.get("uniqueItems") is True:
            for index, item in enumerate(value):
                if any(_equal(item, earlier) for earlier in value[:index]):
                    failures.append(Failure(_child(path, index), f"{_short(item)} repeats an earlier item"))
                    break
        return failures

    @staticmethod
    def _string(schema: dict, value: str, path: str) -> list[Failure]:
        failures: list[Failure] = []
        if _is_number(schema.get("minLength")) and len(value) < schema["minLength"]:
            failures.append(Failure(path, f"{_short(value)} is shorter than {schema['minLength']} characters"))
        if _is_number(schema.get("maxLength")) and len(value) > schema["maxLength"]:
            failures.append(Failure(path, f"{_short(value)} is longer than {schema['maxLength']} characters"))
        pattern = schema.get("pattern")
        if isinstance(pattern, str) and not _search(pattern, value):
            failures.append(Failure(path, f"{_short(value)} does not match /{pattern}/"))
        return failures

    @staticmethod
    def _number(schema: dict, value: float, path: str) -> list[Failure]:
        failures: list[Failure] = []
        bounds = (("minimum", lambda v, b: v < b, "less than the minimum"),
                  ("maximum", lambda v, b: v > b, "greater than the maximum"),
                  ("exclusiveMinimum", lambda v, b: v <= b, "not greater than the exclusive minimum"),
                  ("exclusiveMaximum", lambda v, b: v >= b, "not less than the exclusive maximum"))
        for keyword, fails, words in bounds:
            bound = schema.get(keyword)
            if _is_number(bound) and fails(value, bound):
                failures.append(Failure(path, f"{_short(value)} is {words} {_short(bound)}"))
        step = schema.get("multipleOf")
        if isinstance(step, (int, float)) and not isinstance(step, bool) and step > 0:
            quotient = value / step
            if not (quotient == int(quotient) if abs(quotient) < 1e15 else True):
                failures.append(Failure(path, f"{_short(value)} is not a multiple of {_short(step)}"))
        return failures


def _search(pattern: str, text: str) -> bool:
    """``re.search``; a pattern Python cannot compile matches nothing."""
    try:
        return re.search(pattern, text) is not None
    except re.error:
        return False


def check(schema: Any, document: Any) -> list[Failure]:
    """Every way ``document`` fails ``schema`` (empty when it is valid), in document order per keyword."""
    return _Checker(schema).check(schema, document, "$", 0)
