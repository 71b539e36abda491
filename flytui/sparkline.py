"""Pictures from numbers with block characters, as rich ``Text``: a one-line sparkline and a multi-line chart.

``None`` is a gap (nothing known there), drawn as a space; 0 is the baseline ``▁`` of a sparkline so a quiet
partition still shows a line. Values are scaled to the largest one shown (or to ``top`` when given).
Pure: no Textual.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from rich.text import Text

__all__ = ["BLOCKS", "chart", "compact_number", "sparkline"]

BLOCKS = "▁▂▃▄▅▆▇█"
"""The eight heights of a sparkline cell, lowest first."""
_PARTIAL = " ▁▂▃▄▅▆▇"
"""A chart cell filled to 0/8 … 7/8 of its height (8/8 is ``█``)."""


def _top(values: Sequence[float | None], top: float | None) -> float:
    known = [v for v in values if v is not None]
    return top if top is not None else max(known, default=0.0)


def sparkline(values: Sequence[float | None], *, style: str = "", top: float | None = None) -> Text:
    """One character per value: ``▁`` for 0 up to ``█`` for the largest; a space for None."""
    peak = _top(values, top)
    scale = len(BLOCKS) / peak if peak > 0 else 0.0
    highest = len(BLOCKS) - 1
    chars = []
    for value in values:  # a loop per row of a pane on every refresh: kept to plain arithmetic
        if value is None:
            chars.append(" ")
        elif value <= 0 or scale == 0.0:
            chars.append(BLOCKS[0])
        else:
            level = math.ceil(value * scale) - 1  # >= 0 for any value > 0
            chars.append(BLOCKS[level if level < highest else highest])
    return Text("".join(chars), style=style, no_wrap=True, overflow="crop")


def chart(values: Sequence[float | None], height: int, *, style: str = "", top: float | None = None) -> list[Text]:
    """``height`` lines, top line first, one column per value: a bar chart with eighth-of-a-line steps.

    A value above 0 always shows at least ``▁``, so a small lag is not mistaken for none; None is blank.
    """
    peak = _top(values, top)
    eighths: list[int | None] = []
    for value in values:
        if value is None:
            eighths.append(None)
        elif value <= 0 or peak <= 0:
            eighths.append(0)
        else:
            eighths.append(max(1, round(min(value, peak) / peak * height * 8)))
    lines = []
    for row in range(height - 1, -1, -1):  # row 0 is the bottom line
        chars = []
        for filled in eighths:
            if filled is None:
                chars.append(" ")
                continue
            here = filled - row * 8
            chars.append("█" if here >= 8 else _PARTIAL[max(0, here)])
        lines.append(Text("".join(chars), style=style, no_wrap=True, overflow="crop"))
    return lines


def compact_number(value: float) -> str:
    """A short number for a narrow cell: ``0``, ``4.2``, ``37``, ``1.2k``, ``35k``, ``1.2M``, ``3.4G``."""
    if value < 0:
        return "-" + compact_number(-value)
    if value == 0:
        return "0"
    if value < 10:
        return f"{value:.1f}".rstrip("0").rstrip(".")
    for limit, suffix in ((1e3, ""), (1e6, "k"), (1e9, "M"), (1e12, "G")):
        if value < limit:
            scaled = value / (limit / 1e3)
            return f"{scaled:.1f}{suffix}" if scaled < 10 and suffix else f"{scaled:.0f}{suffix}"
    return f"{value / 1e12:.0f}T"
