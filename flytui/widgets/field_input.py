"""A text field whose changes of value repaint the field alone, not lay out the whole screen."""

from __future__ import annotations

from textual.geometry import Size
from textual.reactive import Reactive
from textual.widgets import Input


class FieldInput(Input):
    """Textual's ``Input`` without a layout of the screen per change of value.

    ``Input`` records the width of its value as its virtual size on every change of value, and a new virtual
    size lays the whole screen out: a layout of the dialog per key typed, and one at each opening of a kept
    dialog whose fields are refilled. A field's size does not follow its value (an auto-width ``Input`` asks for
    that layout itself), and its horizontal scrolling reads the virtual size directly, so here a new virtual
    size only repaints the field.
    """

    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)
