"""A key binding that carries its own help, and the help screen's rows read from bindings.

Every key flytui defines is a :class:`KeyBinding` on the app, a pane or a dialog: its ``description`` is the
footer's and the command palette's label, its ``tooltip`` the line the help screen (``?``), the palette and
the footer's hover show, and its flags say what it needs before it applies (read by ``check_action``).
:func:`help_rows` turns a class's ``BINDINGS`` into the help screen's rows, so there is no table of key help
beside the bindings.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from textual.binding import Binding, BindingType

__all__ = ["KeyBinding", "help_rows", "key_rules"]


@dataclass(frozen=True)
class KeyBinding(Binding):
    """A :class:`~textual.binding.Binding` that also says where the help lists it and what it needs.

    ``tooltip`` is the help line; a binding without one is left out of the help. A binding without a
    ``description`` is left out of the footer and the palette (navigation keys).
    """

    section: str = ""
    """The help screen's section (a pane's name); empty: the section of the class that declares it."""
    help_key: str = ""
    """How the help names the key when it differs from the footer's, e.g. ``"tab / shift+tab"`` for a pair."""
    needs_topic: bool = False
    """Shown greyed out until a topic is open."""
    needs_record: bool = False
    """Shown greyed out until a record is selected (in the stream or the dead letters)."""
    needs_filter: bool = False
    """Hidden while no filter or search pattern is set."""
    writes: bool = False
    """Changes the server: hidden in read-only mode."""


def key_rules(bindings: Iterable[BindingType]) -> dict[str, KeyBinding]:
    """The :class:`KeyBinding` of each action in ``bindings``, by action name (parameters dropped)."""
    return {b.action.split("(")[0]: b for b in bindings if isinstance(b, KeyBinding)}


def help_rows(bindings: Iterable[BindingType], section: str, *,
              read_only: bool = False) -> list[tuple[str, str, str]]:
    """``(key, what it does, section)`` for each binding with a help line (``tooltip``), in order.

    ``section`` is used where a binding names none; with ``read_only`` the keys that write are left out.
    """
    rows = []
    for binding in bindings:
        if not isinstance(binding, Binding) or not binding.tooltip:
            continue
        if read_only and isinstance(binding, KeyBinding) and binding.writes:
            continue
        shown = binding.key_display or binding.key.replace(",", " / ")
        where = section
        if isinstance(binding, KeyBinding):
            shown = binding.help_key or shown
            where = binding.section or section
        rows.append((shown, binding.tooltip, where))
    return rows
