"""Every Python code block of ``docs/consumer-patterns.md`` runs as written against the built-in broker.

Each block is a whole program written for ``localhost:9092``; the test puts the broker's address in its place
and runs the block on a broker of its own (with the DLQ on, as the guide's last section asks), then checks that
what it printed matches the ``# …`` results the guide shows next to each ``print``.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "consumer-patterns.md"
BLOCK = re.compile(r"```python\n(.*?)```", re.S)


def code_blocks() -> list[str]:
    """The guide's Python blocks, in order."""
    return BLOCK.findall(GUIDE.read_text(encoding="utf-8"))


def promised_outputs(code: str) -> list[str]:
    """What the guide says each ``print(...)  # result`` prints (the comment less a trailing `` (remark)``)."""
    promised = []
    for line in code.splitlines():
        if line.lstrip().startswith("print(") and "  # " in line:
            result = line.split("  # ", 1)[1]
            promised.append(re.sub(r" \(.*\)$", "", result).strip())
    return promised


def test_the_guide_has_code_to_run():
    assert len(code_blocks()) >= 8


@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.broker(dlq=True)
@pytest.mark.parametrize("index", range(len(code_blocks())))
def test_guide_block_runs_and_prints_what_it_says(flymq, index):
    code = code_blocks()[index]
    assert "localhost:9092" in code
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code.replace("localhost:9092", flymq.address), f"{GUIDE.name}[{index}]", "exec"), {})
    printed = out.getvalue()
    for result in promised_outputs(code):
        assert result in printed, f"block {index} should print {result!r}; it printed:\n{printed}"
