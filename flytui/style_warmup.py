"""Read the CSS of every dialog before the user opens one.

Textual adds a widget class's ``DEFAULT_CSS`` to the app's stylesheet the first time a widget of that class is
mounted, and then parses the whole stylesheet again. Opening the seek, commit or produce dialog for the first
time in a session therefore paid for a full CSS parse (30-90 ms) on top of the dialog itself: the slowest
presses of benchmarks/bench_incident.py were these first openings. :func:`warm_dialog_styles` adds those
sources while the app is idle, right after the first screen, so that a dialog's first opening costs what its
later ones cost.

It uses the same Textual hooks as mounting does (``_get_default_css`` and ``Stylesheet.add_source``); when a
Textual release changes them the warm-up does nothing, and tests/test_style_warmup.py says so.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import sys
from collections.abc import Iterable
from typing import Any

from textual.app import App
from textual.dom import DOMNode


def dialog_widget_classes() -> list[type[DOMNode]]:
    """The screen classes of ``flytui.screens`` and the Textual widget classes that have been imported."""
    from flytui import screens

    found: dict[type[DOMNode], None] = {}
    for module_info in pkgutil.iter_modules(screens.__path__):
        module = importlib.import_module(f"{screens.__name__}.{module_info.name}")
        for value in vars(module).values():
            if inspect.isclass(value) and issubclass(value, DOMNode):
                found[value] = None
    for name, module in list(sys.modules.items()):
        if name.startswith("textual.widgets.") and module is not None:
            for value in vars(module).values():
                if inspect.isclass(value) and issubclass(value, DOMNode) and value.__module__ == name:
                    found[value] = None
    return list(found)


def warm_dialog_styles(app: App[Any], classes: Iterable[type[DOMNode]] | None = None) -> int:
    """Add the default CSS of ``classes`` (default: :func:`dialog_widget_classes`) to ``app``'s stylesheet and
    parse it once now. Returns how many CSS sources were new (0 when Textual's hooks are not there)."""
    stylesheet = app.stylesheet
    added = 0
    for cls in dialog_widget_classes() if classes is None else classes:
        try:
            sources = cls.__new__(cls)._get_default_css()  # needs only the class, not an initialised widget
        except (AttributeError, TypeError):
            return added
        for read_from, css, tie_breaker, scope in sources:
            if read_from in stylesheet.source and stylesheet.source[read_from].content == css:
                continue
            stylesheet.add_source(css, read_from=read_from, is_default_css=True, tie_breaker=tie_breaker,
                                  scope=scope)
            added += 1
    if added:
        stylesheet.parse()
    return added
