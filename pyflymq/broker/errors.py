"""The one exception broker handlers raise to answer with an error frame."""

from __future__ import annotations


class OpError(Exception):
    """Answer the request with an error frame carrying ``text``, in ``shape`` E1, E2 or E3 (flymq-wire §1.6)."""

    def __init__(self, text: str, shape: str = "E1") -> None:
        super().__init__(text)
        self.text = text
        self.shape = shape
