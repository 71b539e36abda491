"""Helpers shared by flytui's app, snapshot and service tests: building the app on a broker, waiting in Pilot."""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable

from flytui.app import FlyTUIApp
from flytui.service import ConnectionSettings, FlyService


def pilot_test(fn):
    """Run an ``async def`` test in its own event loop (no pytest asyncio plugin needed)."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return asyncio.run(fn(*args, **kwargs))
    return wrapper


def make_app(address: str, *, read_only: bool = False, topic: str | None = None, group: str | None = None,
             demo: bool = False, label: str = "flymq-test:9092", refresh: float = 0) -> FlyTUIApp:
    """An app on ``address`` with a fixed header label and no periodic refresh (deterministic)."""
    service = FlyService(ConnectionSettings(address, timeout_ms=3000), read_only=read_only)
    return FlyTUIApp(service, server_label=label, demo=demo, topic=topic, group=group, refresh=refresh)


async def wait_for(pilot, condition: Callable[[], object], timeout: float = 8.0, what: str = "") -> None:
    """Let the app run until ``condition()`` is true; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except Exception:  # noqa: BLE001 - widgets may not exist yet
            pass
        await pilot.pause(0.02)
    raise AssertionError(f"timed out waiting for {what or condition}")


async def wait_ready(pilot, app: FlyTUIApp, topic: str | None = None) -> None:
    """Wait until the first refresh opened a topic and the stream shows a record (or an empty partition)."""
    await wait_for(pilot, lambda: app.ready, what="first refresh")
    if topic:
        await wait_for(pilot, lambda: app.topic == topic, what=f"topic {topic} open")
    await wait_for(pilot, lambda: app.stream.selected_record is not None or app.stream.row_count == 0,
                   what="first page")
    await pilot.pause(0.1)


async def wait_idle(pilot, app: FlyTUIApp, seconds: float = 0.2) -> None:
    """Let pending workers finish and the screen settle."""
    await wait_for(pilot, lambda: not [w for w in app.workers if w.is_running and w.group != "tail"],
                   what="workers idle")
    await pilot.pause(seconds)


# The helpers below are the only places the tests read Textual's private state. Each says which public
# API comes closest and why it does not serve; when Textual grows one, only the helper changes.


def screen_text(app: FlyTUIApp) -> str:
    """Everything on the screen as plain text, line by line (what a user reads; modal screens included)."""
    # Textual's public screenshots are SVG (export_screenshot); the plain text of the screen is only in the
    # compositor's strips.
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)


def notifications(app: FlyTUIApp) -> str:
    """The text of every toast shown so far (joined), for assertions on what the user was told."""
    # App.notify and App.clear_notifications are public; reading the notifications back is not.
    return "\n".join(n.message for n in app._notifications)


def toast_texts(app: FlyTUIApp) -> list[str]:
    """What each toast on screen shows (title and message as rendered, without markup)."""
    # Toast is not exported by textual.widgets, so it is found by its CSS type name, not by its class.
    return [toast.render().plain for toast in app.screen.query("Toast")]


def border_title_text(widget) -> str:
    """A widget's border title as plain text, whole (the border may cut it on screen)."""
    # The public border_title gives the title as markup, and hostile titles do not survive a round trip
    # through Content.from_markup; the plain text is only in the private attribute.
    title = widget._border_title
    return title.plain if title is not None else ""


class LayoutCounter:
    """Counts the whole-screen layouts of ``screen`` from now on (``count``) until :meth:`stop`.

    Textual has no public hook for a layout pass; the screen's ``_refresh_layout`` is where each one runs.
    """

    def __init__(self, screen) -> None:
        self.count = 0
        self._screen = screen
        original = screen._refresh_layout

        def counted(*args, **kwargs):
            self.count += 1
            return original(*args, **kwargs)

        screen._refresh_layout = counted

    def stop(self) -> None:
        """Put the screen's own layout method back."""
        del self._screen._refresh_layout


class RefreshCounter:
    """Counts the calls of ``widget.refresh`` (repaints and layouts it asks for) from now on until :meth:`stop`."""

    def __init__(self, widget) -> None:
        self.count = 0
        self._widget = widget
        original = widget.refresh

        def counted(*args, **kwargs):
            self.count += 1
            return original(*args, **kwargs)

        widget.refresh = counted

    def stop(self) -> None:
        """Put the widget's own refresh method back."""
        del self._widget.refresh
