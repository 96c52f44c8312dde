"""The incident lifecycle: one transition table, and the state replayed from the event log.

    received -> triaged -> queued -> dispatched -> en_route -> on_scene -> (transporting)
             -> cleared -> closed
    plus escalated (handed to police or EMS, with a reason), cancelled and unserved (with a reason)

Every change of state is an event in the append-only log; the current state is the last state
an event moved to, so `replay` over the log gives it back (a test checks this for every incident).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from altresponse.errors import AltResponseError


class State(StrEnum):
    """Where an incident is in its life."""

    RECEIVED = "received"
    TRIAGED = "triaged"
    QUEUED = "queued"
    DISPATCHED = "dispatched"
    EN_ROUTE = "en_route"
    ON_SCENE = "on_scene"
    TRANSPORTING = "transporting"
    CLEARED = "cleared"
    CLOSED = "closed"
    ESCALATED = "escalated"
    CANCELLED = "cancelled"
    UNSERVED = "unserved"


TERMINAL: frozenset[State] = frozenset(
    {State.CLOSED, State.ESCALATED, State.CANCELLED, State.UNSERVED}
)
"""States an incident never leaves."""

NEEDS_REASON: frozenset[State] = frozenset({State.ESCALATED, State.UNSERVED, State.CANCELLED})
"""States an incident only enters with a reason in words."""

_ACTIVE = (State.DISPATCHED, State.EN_ROUTE, State.ON_SCENE, State.TRANSPORTING)

TRANSITIONS: dict[State, frozenset[State]] = {
    State.RECEIVED: frozenset({State.TRIAGED, State.CANCELLED}),
    State.TRIAGED: frozenset(
        {State.QUEUED, State.DISPATCHED, State.ESCALATED, State.UNSERVED, State.CANCELLED}
    ),
    State.QUEUED: frozenset({State.DISPATCHED, State.ESCALATED, State.UNSERVED, State.CANCELLED}),
    State.DISPATCHED: frozenset({State.EN_ROUTE, State.ON_SCENE, State.ESCALATED, State.CANCELLED}),
    State.EN_ROUTE: frozenset({State.ON_SCENE, State.ESCALATED, State.CANCELLED}),
    State.ON_SCENE: frozenset({State.TRANSPORTING, State.CLEARED, State.ESCALATED}),
    State.TRANSPORTING: frozenset({State.CLEARED, State.ESCALATED}),
    State.CLEARED: frozenset({State.CLOSED}),
    **{state: frozenset() for state in TERMINAL},
}
"""From each state, the states it may move to. Nothing else is allowed."""


class TransitionError(AltResponseError, ValueError):
    """A change of state the lifecycle does not allow."""


def check(current: State, target: State, reason: str | None = None) -> None:
    """Raise TransitionError unless CURRENT may move to TARGET (with a reason where one is due)."""
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none: it is closed for good"
        raise TransitionError(f"an incident {current} cannot become {target} (allowed: {allowed})")
    if target in NEEDS_REASON and not (reason and reason.strip()):
        raise TransitionError(f"an incident becomes {target} only with a reason")


def team_is_busy(state: State) -> bool:
    """Whether an incident in STATE holds its team."""
    return state in _ACTIVE


def replay(states: Iterable[tuple[State | None, State]]) -> State:
    """The state after a log of (before, after) changes; each must follow the table."""
    current: State | None = None
    for before, after in states:
        if current is None and after is not State.RECEIVED:
            raise TransitionError(f"the log starts with {after}, not {State.RECEIVED}")
        if before != current:
            raise TransitionError(
                f"the log says {before} -> {after}, but the incident was {current}"
            )
        if current is not None:
            check(current, after, reason="(replayed)")
        current = after
    if current is None:
        raise TransitionError("the log is empty")
    return current
