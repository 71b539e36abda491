"""How numbers read on screen: one helper for offsets and counts, one for byte sizes, used by every pane.

``number(1234567)`` is ``1,234,567`` (thousands separated by commas, as everywhere in flytui); sizes are
``human_size`` (``512 B``, ``1.5 KiB``); ``-`` stands for an unknown value in both.
"""

from __future__ import annotations

__all__ = ["human_size", "number"]


def number(n: int | None) -> str:
    """An offset or count for people: ``1,234,567``; ``-`` for None."""
    return "-" if n is None else f"{n:,}"


def human_size(n: int | None) -> str:
    """A byte count for people: ``512 B``, ``1.5 KiB``, ``10.0 MiB``; ``-`` for None."""
    if n is None:
        return "-"
    if n < 1024:
        return f"{n} B"
    size = float(n)
    for unit in ("KiB", "MiB", "GiB"):
        size /= 1024
        if size < 1024:
            return f"{size:.1f} {unit}"
    return f"{size / 1024:.1f} TiB"
