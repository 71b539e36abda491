"""The type checker is part of the test command: mypy over ``pyflymq/`` and ``flytui/`` reports no error.

The settings are ``[tool.mypy]`` in pyproject.toml. The cache lives in ``.mypy_cache`` at the top of the
tree, so a run after an unchanged one re-reads it instead of checking every module again.
"""

from __future__ import annotations

from pathlib import Path

from mypy import api

ROOT = Path(__file__).resolve().parent.parent


def test_mypy_finds_no_errors() -> None:
    report, errors, status = api.run([
        "--config-file", str(ROOT / "pyproject.toml"),
        "--cache-dir", str(ROOT / ".mypy_cache"),
        "--no-error-summary", "--show-error-codes",
        str(ROOT / "pyflymq"), str(ROOT / "flytui"),
    ])
    assert status == 0, f"mypy found type errors (see [tool.mypy] in pyproject.toml):\n{report}{errors}"
