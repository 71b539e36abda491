"""The topic list's rows: fixed-width lines, names cut in the middle so both ends stay readable."""

from __future__ import annotations

import pytest

from flytui.model import PartitionInfo, TopicInfo
from flytui.widgets.topics import middle_ellipsis, topic_line
from tests.flytui_helpers import pilot_test


@pytest.mark.parametrize(("name", "width", "shown"), [
    ("orders", 10, "orders"),
    ("orders", 6, "orders"),
    ("payments.eu-west-1.v2.events", 11, "payme…vents"),
    ("abcdef", 2, "a…"),
    ("abcdef", 1, "…"),
    ("abcdef", 0, ""),
])
def test_middle_ellipsis(name, width, shown):
    assert middle_ellipsis(name, width) == shown
    assert len(middle_ellipsis(name, width)) <= max(width, 0)


def _topic(name: str, partitions: int = 3, records: int = 1500, dlq: bool = False) -> TopicInfo:
    per = records // partitions
    return TopicInfo(name, tuple(PartitionInfo(name, p, 0, per, 1) for p in range(partitions)), dlq=dlq)


@pytest.mark.parametrize("width", [24, 30, 36, 60])
def test_topic_line_fills_the_width_and_keeps_counts_visible(width):
    name = "payments.eu-west-1.v2.events-archive"
    line = topic_line(_topic(name, dlq=True), False, width, dlq_count=4)
    assert line.cell_len == width
    assert line.plain.rstrip().endswith("3p  1.5k DLQ")
    assert (name in line.plain) == (width >= len(name) + 14)  # else cut in the middle: both ends kept
    assert line.plain.startswith(name[:4]) and name[-4:] in line.plain


def test_topic_line_shows_markup_in_names_literally():
    line = topic_line(_topic("[bold red]RED[/]", records=5), False, 40, current=True)
    assert "[bold red]RED[/]" in line.plain
    assert line.plain.startswith("▸[bold red]RED[/]")


def test_an_overview_replaced_with_new_topics_answers_with_the_new_ones():
    from dataclasses import replace

    from flytui.model import Overview

    old = Overview("c", (_topic("orders", records=3),), ())
    assert old.topic("orders").messages == 3  # fills the overview's name index
    new = replace(old, topics=(_topic("orders", records=9),))
    assert new.topic("orders").messages == 9


@pilot_test
async def test_a_moved_count_repaints_its_line_only_and_draws_it_as_afresh():
    from textual.app import App, ComposeResult

    from flytui.widgets.topics import TopicList, TopicsPane

    topics = [_topic(f"svc-{n:03d}.events", records=100 + n) for n in range(60)]

    class OneList(App[None]):
        def compose(self) -> ComposeResult:
            yield TopicsPane(id="kept")

    def lines(pane: TopicsPane) -> list[list[tuple[str, object]]]:
        olist = pane.option_list
        return [[(s.text, s.style) for s in olist.render_line(y)] for y in range(olist.size.height)]

    app = OneList()
    async with app.run_test(size=(100, 30)) as pilot:
        kept = app.query_one("#kept", TopicsPane)
        kept.set_topics(topics)
        await pilot.pause()
        kept.set_topics(topics)  # a refresh at the laid-out width (the first one came before the layout)
        await pilot.pause()
        drawn: list[int] = []
        olist = kept.option_list
        render_line = olist.render_line

        def recorded(y: int):
            drawn.append(y)
            return render_line(y)

        olist.render_line = recorded
        moved = list(topics)
        moved[3] = _topic("svc-003.events", records=9000)
        kept.set_topics(moved)
        for _ in range(3):
            await pilot.pause()
        assert set(drawn) == {3}, "the moved topic's line, and no other"
        olist.render_line = render_line
        assert isinstance(olist, TopicList)
        assert "9.0k" in olist.render_line(3).text
        shown = lines(kept)
        olist._clear_caches()  # what OptionList itself does on a new prompt: draw every line afresh
        assert lines(kept) == shown, "the same lines as drawn afresh"
