"""The incident lifecycle: one transition table, reasons where due, and replay of the log."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from altresponse.operations.lifecycle import (
    NEEDS_REASON,
    TERMINAL,
    TRANSITIONS,
    State,
    TransitionError,
    check,
    replay,
)

ALLOWED = sorted((a, b) for a, targets in TRANSITIONS.items() for b in targets)
REFUSED = sorted(
    (a, b) for a, b in itertools.product(State, State) if b not in TRANSITIONS.get(a, ())
)
Log = list[tuple[State | None, State]]


def _reason(target: State) -> str | None:
    return "caller asked for police" if target in NEEDS_REASON else None


# --- the table ------------------------------------------------------------------------------


def test_the_table_covers_every_state_and_names_only_states() -> None:
    assert set(TRANSITIONS) == set(State)
    assert all(targets <= set(State) for targets in TRANSITIONS.values())
    assert {State.CLOSED, State.ESCALATED, State.CANCELLED, State.UNSERVED} == TERMINAL
    assert {State.ESCALATED, State.UNSERVED, State.CANCELLED} == NEEDS_REASON


def test_the_table_is_the_documented_lifecycle() -> None:
    """The happy path and the exits the module docstring promises are in the table."""
    path = [
        State.RECEIVED, State.TRIAGED, State.QUEUED, State.DISPATCHED, State.EN_ROUTE,
        State.ON_SCENE, State.TRANSPORTING, State.CLEARED, State.CLOSED,
    ]  # fmt: skip
    assert all(b in TRANSITIONS[a] for a, b in itertools.pairwise(path))
    assert State.CLEARED in TRANSITIONS[State.ON_SCENE]  # transporting is optional
    for waiting in (State.TRIAGED, State.QUEUED):
        assert {State.ESCALATED, State.UNSERVED, State.CANCELLED} <= TRANSITIONS[waiting]
    assert State.RECEIVED not in {b for _, b in ALLOWED}  # nothing goes back to the start


@pytest.mark.parametrize(("current", "target"), ALLOWED)
def test_every_transition_in_the_table_is_allowed(current: State, target: State) -> None:
    check(current, target, _reason(target))


@pytest.mark.parametrize(("current", "target"), REFUSED)
def test_every_other_pair_is_refused_even_with_a_reason(current: State, target: State) -> None:
    with pytest.raises(TransitionError, match=f"{current} cannot become {target}"):
        check(current, target, reason="a reason")


def test_the_refusal_names_what_is_allowed() -> None:
    with pytest.raises(TransitionError, match=r"allowed: cancelled, escalated, on_scene\)"):
        check(State.EN_ROUTE, State.CLEARED)
    with pytest.raises(TransitionError, match="none: it is closed for good"):
        check(State.CLOSED, State.QUEUED)


@pytest.mark.parametrize("terminal", sorted(TERMINAL))
def test_terminal_states_have_no_way_out(terminal: State) -> None:
    assert TRANSITIONS[terminal] == frozenset()
    for target in State:
        with pytest.raises(TransitionError):
            check(terminal, target, reason="a reason")


def test_every_live_state_can_still_end() -> None:
    """No dead ends: from every state reachable from received, some terminal state is reachable."""
    reached, frontier = {State.RECEIVED}, [State.RECEIVED]
    while frontier:
        for target in TRANSITIONS[frontier.pop()] - reached:
            reached.add(target)
            frontier.append(target)
    assert reached == set(State)
    for state in set(State) - TERMINAL:
        ends, todo = set(), [state]
        while todo:
            for target in TRANSITIONS[todo.pop()] - ends:
                ends.add(target)
                todo.append(target)
        assert ends & TERMINAL, f"{state} can never end"


@pytest.mark.parametrize("target", sorted(NEEDS_REASON))
@pytest.mark.parametrize("reason", [None, "", "   \n"])
def test_escalated_unserved_cancelled_need_a_reason(target: State, reason: str | None) -> None:
    with pytest.raises(TransitionError, match=f"becomes {target} only with a reason"):
        check(State.QUEUED, target, reason)
    check(State.QUEUED, target, "no team free for 30 minutes")


def test_other_states_need_no_reason() -> None:
    check(State.QUEUED, State.DISPATCHED)
    check(State.ON_SCENE, State.CLEARED, reason=None)


def test_a_transition_error_is_a_value_error() -> None:
    assert issubclass(TransitionError, ValueError)


# --- replay ---------------------------------------------------------------------------------


@st.composite
def walks(draw: st.DrawFn) -> Log:
    """A log from received along the table, for a random number of steps."""
    current, log = State.RECEIVED, [(None, State.RECEIVED)]
    for _ in range(draw(st.integers(0, 12))):
        if not TRANSITIONS[current]:
            break
        target = draw(st.sampled_from(sorted(TRANSITIONS[current])))
        log.append((current, target))
        current = target
    return log


@settings(max_examples=300, deadline=None)
@given(walks())
def test_replay_rebuilds_the_state_of_any_walk(log: Log) -> None:
    assert replay(log) == log[-1][1]
    for n in range(1, len(log) + 1):  # and of every prefix of it
        assert replay(log[:n]) == log[n - 1][1]


@settings(max_examples=300, deadline=None)
@given(walks().filter(lambda log: len(log) >= 3), st.data())
def test_replay_refuses_a_log_with_a_step_missing(log: Log, data: st.DataObject) -> None:
    gone = data.draw(st.integers(1, len(log) - 2))  # not the last: that leaves a valid prefix
    with pytest.raises(TransitionError, match="the log says"):
        replay(log[:gone] + log[gone + 1 :])


@settings(max_examples=300, deadline=None)
@given(walks(), st.data())
def test_replay_refuses_a_step_the_table_forbids(log: Log, data: st.DataObject) -> None:
    current = log[-1][1]
    target = data.draw(st.sampled_from(sorted(set(State) - TRANSITIONS[current])))
    with pytest.raises(TransitionError, match="cannot become"):
        replay([*log, (current, target)])


@settings(max_examples=300, deadline=None)
@given(walks().filter(lambda log: len(log) >= 2), st.data())
def test_replay_refuses_a_before_that_does_not_match(log: Log, data: st.DataObject) -> None:
    at = data.draw(st.integers(1, len(log) - 1))
    before, after = log[at]
    wrong = data.draw(st.sampled_from([s for s in State if s != before]))
    broken = [*log[:at], (wrong, after), *log[at + 1 :]]
    with pytest.raises(TransitionError, match="the log says"):
        replay(broken)


def test_replay_refuses_an_empty_log_and_a_second_start() -> None:
    with pytest.raises(TransitionError, match="empty"):
        replay([])
    with pytest.raises(TransitionError, match="the log says"):
        replay([(None, State.RECEIVED), (None, State.RECEIVED)])
    with pytest.raises(TransitionError, match="starts with triaged"):
        replay([(State.RECEIVED, State.TRIAGED)])  # no start at all


def test_replay_refuses_a_log_that_does_not_start_received() -> None:
    with pytest.raises(TransitionError):
        replay([(None, State.CLOSED)])
