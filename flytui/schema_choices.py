"""Which registered schema decodes which topic: the user's choices, for the session and across sessions.

A topic's values are decoded with the schema named like the topic unless the user picked another
(``S``). Choices live in memory and in ``$XDG_STATE_HOME/flytui/schemas.json`` (default
``~/.local/state``) as ``{"topic": "schema name"}``; a missing or unreadable file means no choices, and a
file that cannot be written leaves the choice for this session only.

Usage::

    choices = SchemaChoices.load()
    choices.schema_for("orders")          # "orders" unless the user picked another
    choices.choose("orders", "orders-v2") # remembered now and saved; None forgets the choice
"""

from __future__ import annotations

import json
import os
from pathlib import Path

__all__ = ["SchemaChoices", "choices_path"]

CHOICES_NAME = "schemas.json"


def choices_path() -> Path:
    """``$XDG_STATE_HOME/flytui/schemas.json``, with ``~/.local/state`` when the variable is unset."""
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "flytui" / CHOICES_NAME


class SchemaChoices:
    """The schema picked per topic (see the module docstring)."""

    def __init__(self, choices: dict[str, str] | None = None, path: Path | None = None) -> None:
        self._choices = dict(choices or {})
        self.path = path

    @classmethod
    def load(cls, path: Path | None = None) -> SchemaChoices:
        """The choices saved at ``path`` (default :func:`choices_path`); none when it cannot be read."""
        path = path or choices_path()
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raw = {}
        choices = {k: v for k, v in raw.items() if isinstance(k, str) and isinstance(v, str)} \
            if isinstance(raw, dict) else {}
        return cls(choices, path)

    def schema_for(self, topic: str) -> str:
        """The schema name that decodes ``topic``: the one picked, else the topic's own name."""
        return self._choices.get(topic, topic)

    def chosen(self, topic: str) -> str | None:
        """The schema the user picked for ``topic``, None when none was."""
        return self._choices.get(topic)

    def choose(self, topic: str, name: str | None) -> str:
        """Decode ``topic`` with schema ``name`` (None: the one named like the topic); saves. Returns a
        sentence for a toast when saving failed, else ``""``."""
        if name is None or name == topic:
            self._choices.pop(topic, None)
        else:
            self._choices[topic] = name
        if self.path is None:
            return ""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.path.with_suffix(".tmp")
            temporary.write_text(json.dumps(self._choices, indent=1, sort_keys=True), encoding="utf-8")
            temporary.replace(self.path)
        except OSError as exc:
            return f"Schema choice kept for this session only: could not save {self.path} ({exc.strerror or exc})"
        return ""
