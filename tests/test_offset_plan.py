"""flytui.offset_plan: commit plans, commit targets and seeks (pure: no broker, no Textual)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flytui.offset_plan import (
    U64_MAX,
    CommitTarget,
    PartitionState,
    PlanRow,
    SeekKind,
    SeekSpec,
    TargetKind,
    parse_commit_target,
    parse_explicit_offset,
    parse_seek,
    parse_seek_spec,
    parse_shift,
    plan_commit,
    read_back_rows,
)

# ------------------------------------------------------------------------------------------ states


def test_partition_state_position_and_lag():
    assert PartitionState(0, 100, 40).position == 40
    assert PartitionState(0, 100, 40).lag == 60
    assert PartitionState(5, 100, None).position == 5  # never committed: where the broker resumes
    assert PartitionState(5, 100, 2).position == 5  # below the retained range: counted from low
    assert PartitionState(5, 100, 500).position == 100  # past the end: counted from high
    assert PartitionState(5, 100, 500).lag == 0


@pytest.mark.parametrize("low, high, committed", [(-1, 5, None), (6, 5, None), (0, 5, -1)])
def test_partition_state_rejects_nonsense(low, high, committed):
    with pytest.raises(ValueError):
        PartitionState(low, high, committed)


# ------------------------------------------------------------------------------------------ targets


def test_target_constructors_and_kinds():
    assert CommitTarget.selected(2, 41) == CommitTarget(TargetKind.SELECTED, 41, 2)
    assert CommitTarget.after_selected(2, 41).kind is TargetKind.AFTER_SELECTED
    assert CommitTarget.earliest().all_partitions
    assert not CommitTarget.latest(3).all_partitions
    assert CommitTarget.to_offset(7, 1).value == 7
    assert CommitTarget.shift_by(-3).value == -3
    assert CommitTarget("shift", 4).kind is TargetKind.SHIFT  # plain strings are accepted


@pytest.mark.parametrize("kwargs", [
    {"kind": "selected", "value": 3, "partition": None},
    {"kind": "selected", "value": None, "partition": 0},
    {"kind": "after_selected", "value": -1, "partition": 0},
    {"kind": "earliest", "value": 3},
    {"kind": "latest", "value": 0},
    {"kind": "offset", "value": None},
    {"kind": "offset", "value": -1},
    {"kind": "offset", "value": U64_MAX + 1},
    {"kind": "shift", "value": None},
    {"kind": "earliest", "partition": -2},
    {"kind": "nonsense"},
])
def test_target_rejects_incomplete(kwargs):
    with pytest.raises(ValueError):
        CommitTarget(**kwargs)


def test_target_descriptions():
    assert CommitTarget.shift_by(-5).describe() == "shift by -5 on all partitions"
    assert CommitTarget.shift_by(5, 1).describe() == "shift by +5 on partition 1"
    assert CommitTarget.to_offset(9).describe() == "to offset 9 on all partitions"
    assert CommitTarget.earliest(0).describe() == "to earliest on partition 0"
    assert CommitTarget.latest().describe() == "to latest on all partitions"
    assert "read again" in CommitTarget.selected(1, 41).describe()
    assert "skipped" in CommitTarget.after_selected(1, 41).describe()
    for kind in TargetKind:
        assert CommitTarget.label(kind)


# ------------------------------------------------------------------------------------------ plans

TOPIC, GROUP = "orders", "billing"


def one(state: PartitionState, target: CommitTarget) -> PlanRow:
    plan = plan_commit(TOPIC, GROUP, target, {0: state})
    assert len(plan.rows) == 1
    return plan.rows[0]


def test_selected_replays_the_record_and_everything_after():
    row = one(PartitionState(0, 100, 50), CommitTarget.selected(0, 10))
    assert (row.current, row.new, row.replayed, row.skipped) == (50, 10, 40, 0)
    assert (row.lag_before, row.lag_after) == (50, 90)
    assert row.changed and not row.clamped and row.note == ""
    assert row.effect_text() == "replay 40"


def test_after_selected_skips_the_record():
    row = one(PartitionState(0, 100, 10), CommitTarget.after_selected(0, 10))
    assert (row.new, row.replayed, row.skipped) == (11, 0, 1)
    assert row.effect_text() == "skip 1"
    # the committed value is the NEXT offset to read: the selected record at 10 will not be read again
    row = one(PartitionState(0, 100, 50), CommitTarget.after_selected(0, 10))
    assert (row.new, row.replayed) == (11, 39)


def test_after_selected_on_the_last_record_moves_to_the_end():
    row = one(PartitionState(0, 100, 90), CommitTarget.after_selected(0, 99))
    assert (row.new, row.skipped, row.lag_after, row.clamped) == (100, 10, 0, False)


def test_selected_applies_only_to_the_records_partition():
    states = {p: PartitionState(0, 50, 20) for p in range(4)}
    plan = plan_commit(TOPIC, GROUP, CommitTarget.selected(2, 5), states)
    assert [r.partition for r in plan.rows] == [2]
    assert plan.offsets == {2: 5}


def test_earliest_and_latest_on_all_partitions():
    states = {1: PartitionState(10, 20, 15), 0: PartitionState(0, 5, None), 2: PartitionState(3, 3, 3)}
    plan = plan_commit(TOPIC, GROUP, CommitTarget.earliest(), states)
    assert [r.partition for r in plan.rows] == [0, 1, 2]  # sorted
    assert [r.new for r in plan.rows] == [0, 10, 3]
    assert [r.replayed for r in plan.rows] == [0, 5, 0]
    assert plan.offsets == {0: 0, 1: 10}  # partition 2 unchanged; partition 0 never committed -> written
    plan = plan_commit(TOPIC, GROUP, CommitTarget.latest(), states)
    assert [r.new for r in plan.rows] == [5, 20, 3]
    assert [r.skipped for r in plan.rows] == [5, 5, 0]
    assert plan.total_lag_after == 0


def test_latest_on_an_empty_partition_is_its_high_not_one():
    # the broker's RESET_OFFSET latest answers highest+1 = 1 on an empty partition; the plan must not
    row = one(PartitionState(0, 0, None), CommitTarget.latest())
    assert row.new == 0 and row.lag_after == 0


def test_explicit_offset_within_and_clamped():
    row = one(PartitionState(10, 100, 50), CommitTarget.to_offset(70))
    assert (row.new, row.skipped, row.clamped, row.requested) == (70, 20, False, 70)
    row = one(PartitionState(10, 100, 50), CommitTarget.to_offset(500))
    assert (row.new, row.skipped, row.clamped, row.requested) == (100, 50, True, 500)
    assert "clamped to 100" in row.note
    row = one(PartitionState(10, 100, 50), CommitTarget.to_offset(3))
    assert (row.new, row.replayed, row.clamped) == (10, 40, True)
    assert "clamped to 10" in row.note and "lowest retained offset 10" in row.note


def test_shift_moves_from_the_committed_offset():
    assert one(PartitionState(0, 100, 50), CommitTarget.shift_by(-5)).new == 45
    assert one(PartitionState(0, 100, 50), CommitTarget.shift_by(+5)).new == 55
    row = one(PartitionState(0, 100, 50), CommitTarget.shift_by(-500))
    assert (row.new, row.replayed, row.clamped, row.requested) == (0, 50, True, -450)
    row = one(PartitionState(0, 100, 50), CommitTarget.shift_by(500))
    assert (row.new, row.skipped, row.clamped) == (100, 50, True)


def test_shift_by_zero_is_a_no_op():
    plan = plan_commit(TOPIC, GROUP, CommitTarget.shift_by(0), {0: PartitionState(0, 10, 4)})
    assert plan.is_noop and plan.offsets == {} and plan.changed_rows == ()
    assert plan.rows[0].note == "unchanged" and plan.rows[0].effect_text() == "unchanged"


def test_never_committed_counts_from_low():
    row = one(PartitionState(5, 20, None), CommitTarget.shift_by(3))
    assert (row.current, row.new, row.skipped, row.lag_before, row.lag_after) == (None, 8, 3, 15, 12)
    assert "never committed" in row.note
    # committing low on a never-committed partition writes it, though no record is replayed or skipped
    row = one(PartitionState(5, 20, None), CommitTarget.earliest())
    assert row.changed and (row.replayed, row.skipped) == (0, 0) and row.effect_text() == "no records"


def test_committed_below_the_retained_range():
    row = one(PartitionState(50, 100, 10), CommitTarget.earliest())
    # records 10..49 are gone: nothing is replayed, the position is counted from 50
    assert (row.new, row.replayed, row.skipped, row.lag_before) == (50, 0, 0, 50)
    assert row.changed and "below the lowest retained offset 50" in row.note


def test_committed_past_the_end():
    row = one(PartitionState(0, 100, 1000), CommitTarget.latest())
    assert (row.new, row.replayed, row.lag_before, row.lag_after) == (100, 0, 0, 0)
    assert row.changed and "past the end" in row.note
    row = one(PartitionState(0, 100, 1000), CommitTarget.shift_by(-5))  # shift from the raw committed value
    assert (row.new, row.clamped, row.replayed) == (100, True, 0)


def test_totals_and_summary():
    states = {0: PartitionState(0, 100, 90), 1: PartitionState(0, 50, 50), 2: PartitionState(0, 10, None)}
    plan = plan_commit(TOPIC, GROUP, CommitTarget.shift_by(-20), states)
    assert [r.new for r in plan.rows] == [70, 30, 0]
    assert plan.total_replayed == 20 + 20 + 0
    assert plan.total_skipped == 0
    assert plan.total_lag_before == 10 + 0 + 10
    assert plan.total_lag_after == 30 + 20 + 10
    assert plan.any_clamped  # partition 2: 0 - 20
    assert plan.summary() == "3 of 3 partition(s) change: 40 record(s) replayed, 0 skipped; lag 20 -> 60"
    assert (plan.topic, plan.group) == (TOPIC, GROUP)


def test_plan_errors():
    with pytest.raises(ValueError, match="partition 7 is not in topic"):
        plan_commit(TOPIC, GROUP, CommitTarget.earliest(7), {0: PartitionState(0, 1)})
    with pytest.raises(ValueError, match="no partitions"):
        plan_commit(TOPIC, GROUP, CommitTarget.earliest(), {})


def test_read_back_rows():
    states = {p: PartitionState(0, 100, 50) for p in range(4)}
    plan = plan_commit(TOPIC, GROUP, CommitTarget.to_offset(10), states)
    rows = read_back_rows(plan, {0: 10, 1: 11, 2: None, 3: 10}, {3: "boom"})
    assert [r.status_text() for r in rows] == ["OK", "MISMATCH", "NOT READ BACK", "ERROR"]
    assert [r.ok for r in rows] == [True, False, False, False]
    assert rows[0].before == 50 and rows[0].requested == 10
    assert all(r.written for r in rows)


def test_read_back_rows_unchanged_partition():
    states = {0: PartitionState(0, 10, 10), 1: PartitionState(0, 10, 3)}
    plan = plan_commit(TOPIC, GROUP, CommitTarget.latest(), states)
    rows = read_back_rows(plan, {1: 10})
    assert [(r.written, r.ok, r.status_text()) for r in rows] == [(False, True, "UNCHANGED"), (True, True, "OK")]
    rows = read_back_rows(plan, {0: 7, 1: 10})  # someone moved the unchanged partition meanwhile
    assert rows[0].status_text() == "MISMATCH" and not rows[0].ok


# ------------------------------------------------------------------------------------------ typed targets


@pytest.mark.parametrize("text, expected", [
    ("earliest", CommitTarget.earliest()),
    ("  Beginning ", CommitTarget.earliest()),
    ("latest", CommitTarget.latest()),
    ("END", CommitTarget.latest()),
    ("123", CommitTarget.to_offset(123)),
    ("0", CommitTarget.to_offset(0)),
    ("+5", CommitTarget.shift_by(5)),
    ("-5", CommitTarget.shift_by(-5)),
    ("- 5", CommitTarget.shift_by(-5)),
    ("+0", CommitTarget.shift_by(0)),
])
def test_parse_commit_target(text, expected):
    assert parse_commit_target(text) == expected


def test_parse_commit_target_scope():
    assert parse_commit_target("-5", partition=3) == CommitTarget.shift_by(-5, 3)


@pytest.mark.parametrize("text, message", [
    ("", "Type a target"),
    ("   ", "Type a target"),
    ("abc", "is not a commit target"),
    ("1.5", "is not a commit target"),
    ("0x10", "is not a commit target"),
    ("+-3", "is not a commit target"),
    (str(U64_MAX + 1), "larger than the largest possible offset"),
])
def test_parse_commit_target_errors(text, message):
    with pytest.raises(ValueError, match=message):
        parse_commit_target(text)


def test_parse_explicit_offset_and_shift():
    assert parse_explicit_offset(" 42 ") == 42
    with pytest.raises(ValueError, match="is a shift"):
        parse_explicit_offset("+4")
    with pytest.raises(ValueError, match="Type the offset"):
        parse_explicit_offset("")
    with pytest.raises(ValueError, match="not an offset"):
        parse_explicit_offset("x")
    assert parse_shift("-4") == -4
    with pytest.raises(ValueError, match=r"needs a sign: \+4 skips 4 records, -4 replays them"):
        parse_shift("4")
    with pytest.raises(ValueError, match="Type the shift"):
        parse_shift(" ")
    with pytest.raises(ValueError, match="not a shift"):
        parse_shift("-x")


# ------------------------------------------------------------------------------------------ seek


@pytest.mark.parametrize("text, expected", [
    ("50", 50), ("10", 10), ("100", 100),
    ("+5", 45), ("-5", 35), ("+0", 40), ("- 30", 10),
    ("beginning", 10), ("b", 10), ("earliest", 10), ("BEGIN", 10), ("start", 10),
    ("end", 100), ("e", 100), ("latest", 100),
    ("end-10", 90), ("e-1", 99), ("end - 90", 10), ("latest-0", 100),
])
def test_parse_seek_forms(text, expected):
    assert parse_seek(text, current=40, low=10, high=100) == expected


@pytest.mark.parametrize("text, message", [
    ("", "Type an offset"),
    ("abc", "'abc' is not an offset"),
    ("1e3", "is not an offset"),
    ("5", "Offset 5 is before the beginning: the lowest retained offset is 10 .type `beginning`"),
    ("101", "Offset 101 is past the end: the next offset to be written is 100 .type `end`"),
    ("-31", r"-31 from the current offset 40 gives 9, before the beginning"),
    ("+61", r"\+61 from the current offset 40 gives 101, past the end"),
    ("end-91", "end-91 gives 9, before the beginning"),
    ("group:billing", "needs that group's committed offset"),
    ("group:", "needs a group name"),
])
def test_parse_seek_errors(text, message):
    with pytest.raises(ValueError, match=message):
        parse_seek(text, current=40, low=10, high=100)


def test_seek_spec_group_and_clamp():
    spec = parse_seek_spec(" group: billing ")
    assert spec == SeekSpec(SeekKind.GROUP, group="billing")
    assert spec.resolve(0, 0, 100, committed=42) == 42
    with pytest.raises(ValueError, match="no committed offset"):
        spec.resolve(0, 0, 100)
    with pytest.raises(ValueError, match="past the end"):
        spec.resolve(0, 0, 100, committed=500)
    assert spec.resolve(0, 0, 100, committed=500, clamp=True) == 100
    assert parse_seek_spec("GROUP:x").group == "x"  # the prefix is case-insensitive, the name is kept
    assert parse_seek_spec("-5").resolve(3, 0, 10, clamp=True) == 0
    assert parse_seek_spec("500").resolve(3, 0, 10, clamp=True) == 10
    for text in ("1", "+1", "b", "e", "end-3", "group:g"):
        assert parse_seek_spec(text).describe()


# ------------------------------------------------------------------------------------------ properties

offsets = st.integers(min_value=0, max_value=10_000)


@st.composite
def partition_states(draw):
    low = draw(offsets)
    high = draw(st.integers(min_value=low, max_value=low + 10_000))
    committed = draw(st.none() | st.integers(min_value=0, max_value=high + 10_000))
    return PartitionState(low, high, committed)


@st.composite
def targets(draw, partitions: list[int]):
    kind = draw(st.sampled_from(list(TargetKind)))
    partition = draw(st.sampled_from(partitions))
    scope = draw(st.sampled_from([None, partition]))
    if kind in (TargetKind.SELECTED, TargetKind.AFTER_SELECTED):
        return CommitTarget(kind, draw(st.integers(min_value=0, max_value=30_000)), partition)
    if kind in (TargetKind.EARLIEST, TargetKind.LATEST):
        return CommitTarget(kind, None, scope)
    if kind is TargetKind.OFFSET:
        return CommitTarget(kind, draw(st.integers(min_value=0, max_value=U64_MAX)), scope)
    if kind is TargetKind.OFFSETS:
        chosen = draw(st.lists(st.sampled_from(partitions), min_size=1, unique=True))
        values = st.one_of(st.none(), st.integers(min_value=0, max_value=U64_MAX))
        return CommitTarget.to_offsets({p: draw(values) for p in chosen}, source="a file")
    return CommitTarget(kind, draw(st.integers(min_value=-30_000, max_value=30_000)), scope)


@st.composite
def plans_input(draw):
    states = draw(st.dictionaries(st.integers(min_value=0, max_value=63), partition_states(),
                                  min_size=1, max_size=6))
    target = draw(targets(sorted(states)))
    return states, target


@settings(max_examples=400, deadline=None)
@given(plans_input())
def test_plan_invariants(data):
    states, target = data
    plan = plan_commit(TOPIC, GROUP, target, states)
    if target.kind is TargetKind.OFFSETS:
        expected = [p for p, _ in target.offsets]
    else:
        expected = sorted(states) if target.partition is None else [target.partition]
    assert [row.partition for row in plan.rows] == expected
    for row in plan.rows:
        state = states[row.partition]
        position = state.position
        assert state.low <= row.new <= state.high
        assert row.current == state.committed
        assert row.replayed >= 0 and row.skipped >= 0 and row.replayed * row.skipped == 0
        assert row.replayed - row.skipped == position - row.new
        assert row.lag_after == state.high - row.new
        assert row.lag_before == state.high - position
        assert row.lag_before - row.lag_after == row.skipped - row.replayed
        assert row.clamped == (row.requested != row.new)
        assert row.changed == (state.committed != row.new)
        if not row.clamped:
            if target.kind is TargetKind.SHIFT:
                base = state.low if state.committed is None else state.committed
                assert row.new == base + target.value
            elif target.kind is TargetKind.OFFSET or target.kind is TargetKind.SELECTED:
                assert row.new == target.value
            elif target.kind is TargetKind.AFTER_SELECTED:
                assert row.new == target.value + 1
        if target.kind is TargetKind.EARLIEST:
            assert row.new == state.low
        if target.kind is TargetKind.LATEST:
            assert row.new == state.high and row.lag_after == 0
    assert plan.offsets == {row.partition: row.new for row in plan.rows if row.changed}
    assert plan.total_replayed == sum(row.replayed for row in plan.rows)
    assert plan.total_skipped == sum(row.skipped for row in plan.rows)
    assert plan.total_lag_after == sum(row.lag_after for row in plan.rows)
    assert plan.is_noop == (not plan.offsets)


@settings(max_examples=300, deadline=None)
@given(partition_states(), st.integers(min_value=-20_000, max_value=40_000), st.data())
def test_parse_seek_never_leaves_the_range(state, amount, data):
    low, high = state.low, state.high
    current = data.draw(st.integers(min_value=low, max_value=high))
    text = data.draw(st.sampled_from([str(abs(amount)), f"{amount:+d}", f"end-{abs(amount)}"]))
    try:
        result = parse_seek(text, current, low, high)
    except ValueError as exc:
        assert "before the beginning" in str(exc) or "past the end" in str(exc)
        spec = parse_seek_spec(text)
        clamped = spec.resolve(current, low, high, clamp=True)
        assert clamped in (low, high)
        return
    assert low <= result <= high
    if text.startswith(("+", "-")):
        assert result == current + amount
    elif text.startswith("end-"):
        assert result == high - abs(amount)
    else:
        assert result == abs(amount)


@given(st.integers(min_value=0, max_value=U64_MAX), st.integers(min_value=-(2**70), max_value=2**70))
def test_typed_targets_round_trip(offset, shift):
    assert parse_commit_target(str(offset)) == CommitTarget.to_offset(offset)
    assert parse_commit_target(f"{shift:+d}") == CommitTarget.shift_by(shift)


# --------------------------------------------------------------------------------------------- per-partition offsets


def test_offsets_target_plans_each_listed_partition_to_its_own_offset():
    states = {0: PartitionState(0, 100, 90), 1: PartitionState(10, 50, 45), 2: PartitionState(0, 30, 30)}
    target = CommitTarget.to_offsets({1: 20, 0: 95}, source="the offsets in saved.csv")
    plan = plan_commit(TOPIC, GROUP, target, states)
    assert [(row.partition, row.current, row.new) for row in plan.rows] == [(0, 90, 95), (1, 45, 20)]
    assert plan.offsets == {0: 95, 1: 20}
    assert (plan.rows[0].skipped, plan.rows[1].replayed) == (5, 25)
    assert target.describe() == "to the offsets in saved.csv on partitions 0, 1"
    assert not target.all_partitions


def test_offsets_target_none_means_the_lowest_offset_with_a_note():
    states = {0: PartitionState(7, 40, 30)}
    plan = plan_commit(TOPIC, GROUP, CommitTarget.to_offsets({0: None}, source="undo"), states)
    row = plan.rows[0]
    assert (row.current, row.new, row.replayed) == (30, 7, 23)
    assert "had no committed offset before" in row.note and "7" in row.note


def test_offsets_target_checks_partitions_and_values():
    with pytest.raises(ValueError, match="partition 5 is not in topic"):
        plan_commit(TOPIC, GROUP, CommitTarget.to_offsets({5: 1}), {0: PartitionState(0, 10, None)})
    with pytest.raises(ValueError, match="no partition offsets"):
        CommitTarget.to_offsets({})
    with pytest.raises(ValueError, match="bad partition offset"):
        CommitTarget.to_offsets({0: -1})
    clamped = plan_commit(TOPIC, GROUP, CommitTarget.to_offsets({0: 500}), {0: PartitionState(0, 10, 2)})
    assert clamped.rows[0].new == 10 and clamped.rows[0].clamped
