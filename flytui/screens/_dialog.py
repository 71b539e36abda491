"""Shared base for flytui's modal dialogs: a centred bordered box, a title, a hint line, `esc` cancels.

Private to ``flytui.screens``. Subclasses compose their content inside ``self.dialog_box()`` and set
``CANCEL_RESULT`` (what ``esc`` and a ``#cancel`` button dismiss with: ``None`` or ``False``). A form dialog
defines ``build_result()`` and names its submit button in ``SUBMIT_BUTTON``; the button, and whatever else
calls ``action_submit``, dismisses with the result or shows why not in the ``#error`` line.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from rich.text import Text
from textual import events, on
from textual.app import App
from textual.binding import BindingType
from textual.containers import Vertical
from textual.css.query import NoMatches
from textual.reactive import Reactive
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Input, RadioSet, Static

from flytui.decode import visible_text
from flytui.keys import KeyBinding
from flytui.screens.main import focus_without_repaint
from flytui.widgets._in_place import update_in_place

ResultT = TypeVar("ResultT")

ALL_PARTITIONS_KEY = KeyBinding("ctrl+a", "toggle_all", "All partitions", show=False, priority=True,
                                tooltip="All partitions on / off (seek and commit)")
"""The key of the dialogs with a partition scope (seek, commit target): their ``action_toggle_all``."""


def _quiet_at_shutdown(on_mount: Callable[..., Any]) -> Callable[..., Any]:
    """``on_mount`` that does nothing when its widgets are already gone because the app is quitting.

    Dialogs are built ahead while the app is idle (:meth:`KeptDialogs.build_ahead`); one whose building
    overlaps the app's exit gets its Mount after Textual removed its children, and its query for them would
    turn a clean exit into a crash.
    """
    @functools.wraps(on_mount)
    def guarded(self: Dialog[Any], *args: Any) -> Any:
        try:
            return on_mount(self, *args)
        except NoMatches:
            if self.app.is_running and not self._closing and not self._pruning:
                raise
            return None

    return guarded


class Dialog(ModalScreen[ResultT]):
    """A modal dialog: ``esc`` or its ``#cancel`` button dismisses it with ``CANCEL_RESULT``."""

    focused: Reactive[Widget | None] = focus_without_repaint()  # tab repaints the fields it moves between only

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "on_mount" in cls.__dict__:
            cls.on_mount = _quiet_at_shutdown(cls.__dict__["on_mount"])  # type: ignore[method-assign]

    CANCEL_RESULT: ClassVar[object] = None

    SUBMIT_BUTTON: ClassVar[str | None] = None
    """The id of the button that submits the form (see :meth:`action_submit`); ``None`` when there is none."""

    BINDINGS: ClassVar[list[BindingType]] = [
        KeyBinding("escape", "cancel", "Cancel", show=False, help_key="esc",
                   tooltip="Close; on the commit plan: back to the target, choices kept"),
    ]

    OTHER_KEYS_HELP: ClassVar[tuple[tuple[str, str], ...]] = (
        ("tab / shift+tab", "Next / previous field, radio set or button"),
        ("↑ ↓, space / enter", "Move in a radio set, choose"),
    )
    """``(key, what it does)`` for the help screen: the keys Textual's own widgets handle in every dialog."""

    # The app's size breakpoints (-narrow, -tall ...) style the main screen only. Without these, a new dialog
    # gains those classes on its first resize, and Textual restyles the whole dialog a second time.
    HORIZONTAL_BREAKPOINTS = []
    VERTICAL_BREAKPOINTS = []

    # An opaque backdrop: a translucent one makes Textual re-render and tint every cell of the screen beneath
    # on each full paint of the dialog, which was ~40% of the time from the key to the open dialog.
    DEFAULT_CSS = """
    Dialog {
        align: center middle;
        background: $background;
    }
    Dialog > .dialog-box {
        width: 96;
        max-width: 96%;
        height: auto;
        max-height: 96%;
        overflow-y: auto;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    Dialog > .dialog-box.-danger {
        border: thick $error;
    }
    Dialog .dialog-title {
        text-style: bold;
        width: 100%;
        margin-bottom: 1;
    }
    Dialog .dialog-hint {
        color: $text-muted;
        width: 100%;
    }
    Dialog .dialog-error {
        color: $text-error;
        width: 100%;
        height: auto;
    }
    Dialog .dialog-label {
        margin-top: 1;
        width: 100%;
    }
    Dialog .dialog-buttons {
        height: auto;
        width: 100%;
        align-horizontal: right;
        margin-top: 1;
    }
    Dialog .dialog-buttons Button {
        margin-left: 2;
    }
    Dialog RadioSet {
        width: 100%;
    }
    Dialog RadioSet > RadioButton:disabled {
        opacity: 0.7;
    }
    """

    def dialog_box(self, *, danger: bool = False, id: str = "dialog") -> Vertical:
        """The bordered container the dialog's widgets go in."""
        return Vertical(id=id, classes="dialog-box -danger" if danger else "dialog-box")

    _flytui_dismissed: bool = False
    _flytui_styled_at: int | None = None
    """The app's CSS generation (Textual's ``_css_update_count``) the dialog's styles were computed under."""

    def on_mount(self) -> None:
        """Note the CSS generation mounting styled the dialog under."""
        self._flytui_styled_at = getattr(self.app, "_css_update_count", None)

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        """A kept dialog shown again under the same CSS (no theme change since) is not restyled, as Textual
        restyles every widget of a screen on each showing (20-40 ms): each widget was styled as it is now when
        the refill changed it."""
        generation = getattr(self.app, "_css_update_count", None)
        if event.refresh_styles and generation is not None and generation == self._flytui_styled_at:
            event.refresh_styles = False
        self._flytui_styled_at = generation

    def clear_error(self) -> None:
        """Empty the ``#error`` line (repainted in place: no layout when it was empty already)."""
        update_in_place(self.query_one("#error", Static), "")

    def configure(self, *args: Any, **kwargs: Any) -> None:
        """Take the arguments of a new opening (those of ``__init__``). Only kept dialogs define it."""
        raise NotImplementedError(f"{type(self).__name__} is not kept between openings")

    def refill(self) -> None:
        """Show what :meth:`configure` took in the widgets composed for an earlier opening, as a new dialog
        would show it (values, labels, what is enabled, the focus, no error). Only kept dialogs define it."""
        raise NotImplementedError(f"{type(self).__name__} is not kept between openings")

    def reopen(self, *args: Any, **kwargs: Any) -> None:
        """Make a kept dialog ready to be shown again with ``__init__``'s arguments: take them, forget the
        last dismissal, and refill the widgets if they were built (else compose uses the arguments)."""
        self.configure(*args, **kwargs)
        self._flytui_dismissed = False
        if self.is_mounted:
            self._refill_as_new()
        else:  # built ahead and still being built: it may have been composed with the earlier arguments
            self.call_later(self._refill_as_new)  # queued after its own Compose and Mount, before it is shown

    def _refill_as_new(self) -> None:
        self.refill()
        for radio_set in self.query(RadioSet):
            # A new radio set highlights its first enabled button (RadioSet's mount); a kept one would keep
            # the highlight where the last opening left it, and enter would choose that button.
            radio_set._selected = None
            radio_set.action_next_button()
        focused = self.focused
        if isinstance(focused, Input) and focused.select_on_focus:
            # A new dialog's field has its text selected when it takes the focus, so typing replaces it; a kept
            # field that kept the focus gets no new focus event, and typing went in beside the old text.
            focused.select_all()

    def close_with(self, result: object) -> None:
        """Dismiss with ``result``, once: a second key press in the same frame cannot pop another screen."""
        if self._flytui_dismissed:
            return
        self._flytui_dismissed = True
        self.dismiss(result)  # type: ignore[arg-type]  # CANCEL_RESULT is a ClassVar, which cannot be ResultT

    def submit(self, build: Callable[[], object]) -> None:
        """Dismiss with ``build()``; a ``ValueError`` from it is shown in the ``#error`` line instead."""
        try:
            result = build()
        except ValueError as exc:
            self.query_one("#error", Static).update(visible_text(str(exc), multiline=True))
            return
        self.close_with(result)

    def build_result(self) -> ResultT:
        """What the form as typed asks for; a ``ValueError`` tells the user what to fix. Form dialogs define it."""
        raise NotImplementedError(f"{type(self).__name__} has no form to submit")

    def action_submit(self) -> None:
        """Dismiss with :meth:`build_result`, or show why the form cannot be submitted yet."""
        self.submit(self.build_result)

    def action_cancel(self) -> None:
        """Close the dialog without a result."""
        self.close_with(self.CANCEL_RESULT)

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        # not action_cancel: a dialog may give esc another meaning (the commit plan's esc goes back)
        self.close_with(self.CANCEL_RESULT)

    @on(Button.Pressed)
    def _submit_pressed(self, event: Button.Pressed) -> None:
        if self.SUBMIT_BUTTON is not None and event.button.id == self.SUBMIT_BUTTON:
            self.action_submit()


class TypedConfirmDialog(Dialog[bool]):
    """A dialog confirmed by typing ``confirm_word`` into ``#confirm-word`` (then enter, or ``#confirm``).

    Subclasses compose the input, an ``#error`` line and ``#confirm`` / ``#cancel`` buttons; with no
    ``confirm_word`` the ``#confirm`` button alone confirms. ``WORD_PURPOSE`` ends the hint shown when the
    word is mistyped.
    """

    CANCEL_RESULT: ClassVar[object] = False

    confirm_word: str | None = None
    WORD_PURPOSE: ClassVar[str] = "confirm"

    def _word_typed(self) -> bool:
        return self.query_one("#confirm-word", Input).value.strip() == self.confirm_word

    @on(Input.Changed, "#confirm-word")
    def _word_changed(self) -> None:
        self.query_one("#confirm", Button).disabled = not self._word_typed()
        self.clear_error()

    @on(Input.Submitted, "#confirm-word")
    def _word_submitted(self) -> None:
        if self._word_typed():
            self.close_with(True)
        else:
            self.query_one("#error", Static).update(
                Text(f"Type {self.confirm_word} exactly to {self.WORD_PURPOSE}, or press esc to cancel."))

    @on(Button.Pressed, "#confirm")
    def _confirm_pressed(self) -> None:
        if not self.confirm_word or self._word_typed():
            self.close_with(True)


def title_line(text: str | Text) -> Static:
    """A dialog title line (``text`` is shown as data, never markup)."""
    return Static(text if isinstance(text, Text) else visible_text(text, multiline=True), classes="dialog-title")


def hint_line(text: str | Text, id: str | None = None) -> Static:
    """A muted hint line, e.g. the keys that work here."""
    return Static(text if isinstance(text, Text) else visible_text(text, multiline=True), classes="dialog-hint", id=id)


def label_line(text: str | Text, id: str | None = None) -> Static:
    """A field label."""
    return Static(text if isinstance(text, Text) else visible_text(text, multiline=True), classes="dialog-label", id=id)


def error_line(id: str = "error") -> Static:
    """An initially empty line where validation errors appear."""
    return Static("", classes="dialog-error", id=id, markup=False)


DialogT = TypeVar("DialogT", bound=Dialog[Any])


class KeptDialogs:
    """One instance of each dialog class that supports it, kept installed in the app between openings.

    Building a dialog (compose, mount, styling each widget) was most of the time from the key to the open
    dialog: about 110 ms for the commit target against about 20 ms to show a kept one again. A kept dialog
    defines :meth:`Dialog.configure` (its ``__init__`` arguments) and :meth:`Dialog.refill` (show them in the
    existing widgets); :meth:`open` returns it ready to push.
    """

    def __init__(self, app: App[Any]) -> None:
        self._app = app
        self._kept: dict[type[Any], Dialog[Any]] = {}
        self._laid_out_ahead: dict[Dialog[Any], int] = {}  # dialog: layouts made ahead

    def open(self, cls: type[DialogT], *args: Any, **kwargs: Any) -> DialogT:
        """The kept ``cls`` dialog set up with ``args``/``kwargs`` (a new one the first time, or when the kept
        one is still on the screen stack)."""
        kept = self._kept.get(cls)
        if kept is not None and kept not in self._app.screen_stack:
            kept.reopen(*args, **kwargs)
            return kept  # type: ignore[return-value]  # the dict maps each class to an instance of it
        dialog = cls(*args, **kwargs)
        if kept is None:
            self._app.install_screen(dialog, name=f"flytui-kept-{cls.__name__}-{id(dialog)}")
            self._kept[cls] = dialog
        return dialog

    def is_kept(self, cls: type[Dialog[Any]]) -> bool:
        """True once a ``cls`` dialog is kept (opened or built ahead)."""
        return cls in self._kept

    def kept(self, cls: type[DialogT]) -> DialogT | None:
        """The kept ``cls`` dialog, if there is one yet."""
        return self._kept.get(cls)  # type: ignore[return-value]  # the dict maps each class to an instance of it

    def is_laid_out_ahead(self, cls: type[Dialog[Any]]) -> bool:
        """True once the kept ``cls`` dialog was laid out by :meth:`lay_out_ahead`."""
        return self._kept.get(cls) in self._laid_out_ahead

    def build_ahead(self, cls: type[DialogT], *args: Any, **kwargs: Any) -> bool:
        """Build and mount a ``cls`` dialog now, without showing it, so that its first opening only refills it.

        Meant for idle time: it costs what an opening used to (50-110 ms). Uses Textual's ``_register``, the
        step ``push_screen`` takes for a new screen; returns False (and builds nothing) where it is missing.
        """
        register = getattr(self._app, "_register", None)
        if cls in self._kept or register is None:
            return False
        dialog = self.open(cls, *args, **kwargs)
        register(self._app, dialog)
        return True

    def lay_out_ahead(self) -> bool:
        """Lay out one dialog that was built ahead and is not shown, at the app's size, so that its first showing
        costs what a later one does: a dialog's first layout was 20-60 ms of the key that showed it. Meant for
        idle time, after :meth:`build_ahead`. A dialog is laid out again while its widgets still ask for a
        layout after the last one (their requests reach the screen a few messages later), up to three times.
        Returns False when no dialog needs it (or Textual's ``Screen._refresh_layout`` is missing)."""
        size = self._app.size
        for dialog in self._kept.values():
            if not dialog.is_mounted or dialog in self._app.screen_stack:
                continue
            passes = self._laid_out_ahead.get(dialog, 0)
            if passes >= 3 or (passes and not getattr(dialog, "_layout_required", False)):
                continue
            lay_out = getattr(dialog, "_refresh_layout", None)
            if lay_out is None or not hasattr(dialog, "_layout_required"):
                return False
            self._laid_out_ahead[dialog] = passes + 1
            lay_out(size)
            # Laid out at this size: the requests so far are answered (only the screen's own update timer
            # clears the flag, and that runs only while the screen is shown).
            dialog._layout_required = False
            return True
        return False
