"""The bottom tabs' labels follow each refresh (groups, total lag, dead letters) without laying the screen out
again when the new label is as wide as the old one."""

from __future__ import annotations

import pytest

from tests.flytui_helpers import (
    LayoutCounter,
    make_app,
    pilot_test,
    screen_text,
    wait_for,
    wait_idle,
    wait_ready,
)

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


@pilot_test
async def test_the_lag_in_the_tab_follows_the_refresh_and_relays_out_only_when_wider(flymq):
    client = flymq.client()
    topic = flymq.topic("tablabel")
    client.create_topic(topic, 1)
    for i in range(60):
        client.produce(topic, f"v{i}".encode())
    client.commit_offset(topic, "reader", 0, 10)  # lag 50
    app = make_app(flymq.address, topic=topic)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        await wait_for(pilot, lambda: "Consumer groups 1 · lag 50" in screen_text(app), what="lag 50 in the tab")
        await wait_idle(pilot, app)
        layouts = LayoutCounter(app.screen)
        client.commit_offset(topic, "reader", 0, 20)  # lag 40: as wide
        app.action_refresh_now()
        await wait_for(pilot, lambda: "Consumer groups 1 · lag 40" in screen_text(app), what="lag 40 in the tab")
        await wait_idle(pilot, app)
        assert layouts.count == 0, "a label as wide as the old one is repainted in place"
        client.commit_offset(topic, "reader", 0, 55)  # lag 5: narrower
        app.action_refresh_now()
        await wait_for(pilot, lambda: "Consumer groups 1 · lag 5 " in screen_text(app), what="lag 5 in the tab")
        await wait_for(pilot, lambda: layouts.count >= 1, what="a narrower label laid out (the tabs and the underline move)")
        layouts.stop()
    app.service.close()
