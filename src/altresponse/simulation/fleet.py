"""The fleet a run simulates: the program's team kinds, with the number and shifts a planner asks.

A program file says which kinds of team it fields, how many of each on every shift, and the
shifts (`teams:` in docs/programs.md). A planner changes two things: how many teams work each
shift (`--teams N`) and the shifts themselves (`--shifts SPEC`):

    SPEC  = SHIFT ("," SHIFT)*
    SHIFT = [DAYS "@"] HH:MM "-" HH:MM ["*" N]       e.g.  06:00-14:00*3,14:00-22:00*5
    DAYS  = DAY ["-" DAY] ("+" DAY ["-" DAY])*        e.g.  mon-fri@08:00-18:00, sat+sun@10:00-16:00

An end before the start runs past midnight; `*N` sets the teams on that shift (else `--teams`,
else the program's count). A program with no teams gets one kind with the skills its own
responses need, on its hours (or around the clock).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import ValidationError

from altresponse.errors import InputError
from altresponse.programs.model import ALL_DAYS, Program, TimeWindow, Weekday
from altresponse.simulation.model import TeamSpec, duty_spans

_SHIFT = re.compile(
    r"^(?:(?P<days>[a-z+\-]+)@)?(?P<start>\d\d:\d\d)-(?P<end>\d\d:\d\d)(?:\*(?P<n>\d+))?$"
)
AROUND_THE_CLOCK = TimeWindow.model_validate({"start": "00:00", "end": "24:00"})


@dataclass(frozen=True)
class Shift:
    """A shift window and, if given, how many teams work it."""

    window: TimeWindow
    count: int | None = None

    def describe(self) -> str:
        """E.g. 'daily 06:00-14:00 x3'."""
        return self.window.describe() + (f" x{self.count}" if self.count else "")


@dataclass(frozen=True)
class Fleet:
    """The teams of a run and what they cost in team-hours."""

    teams: tuple[TeamSpec, ...]
    team_hours_per_day: float
    shifts: tuple[str, ...]


def _days(text: str) -> list[str]:
    """'mon-fri+sun' as ['mon', ..., 'fri', 'sun']."""
    order = [d.value for d in ALL_DAYS]
    days: list[str] = []
    for part in text.split("+"):
        first, dash, last = part.partition("-")
        if first not in order or (dash and last not in order):
            raise InputError(f"--shifts: unknown day in {part!r} (use mon, tue, ... sun)")
        a, b = order.index(first), order.index(last or first)
        days += order[a : b + 1] if a <= b else order[a:] + order[: b + 1]
    return days


def parse_shifts(spec: str) -> tuple[Shift, ...]:
    """A shift SPEC (see the module) as shifts; a bad one is an InputError naming the part."""
    shifts = []
    for part in (p.strip() for p in spec.lower().split(",")):
        found = _SHIFT.match(part)
        if not found:
            raise InputError(
                f"--shifts: {part!r} is not [DAYS@]HH:MM-HH:MM[*N] (e.g. mon-fri@08:00-18:00*2)"
            )
        fields: dict[str, object] = {"start": found["start"], "end": found["end"]}
        if found["days"]:
            fields["days"] = [Weekday(d) for d in _days(found["days"])]
        try:
            window = TimeWindow.model_validate(fields)
        except ValidationError as exc:
            raise InputError(f"--shifts: {part!r}: {exc.errors()[0]['msg']}") from exc
        count = int(found["n"]) if found["n"] else None
        if count == 0:
            raise InputError(f"--shifts: {part!r}: a shift needs at least one team")
        shifts.append(Shift(window, count))
    return tuple(shifts)


def build_fleet(
    program: Program,
    horizon: float,
    *,
    teams: int | None = None,
    shifts: Sequence[Shift] | None = None,
) -> Fleet:
    """The teams of PROGRAM, TEAMS on each shift (or as its file says), on SHIFTS if given."""
    if teams is not None and teams < 0:
        raise InputError(f"--teams must be 0 or more, not {teams}")
    kinds = [(k.id, frozenset(k.skills), k.count, k.shifts) for k in program.teams]
    if not kinds:
        skills = frozenset(s for o in program.responses if o.program for s in o.skills)
        kinds = [("team", skills, 1, program.hours or (AROUND_THE_CLOCK,))]
    specs: list[TeamSpec] = []
    minutes = 0
    described: list[str] = []
    for kind, skills, count, own in kinds:
        plan = list(shifts) if shifts else [Shift(w) for w in (own or (AROUND_THE_CLOCK,))]
        for k, shift in enumerate(plan):
            n = shift.count if shift.count is not None else teams if teams is not None else count
            week = shift.window.intervals()
            duty = duty_spans(week, horizon)
            minutes += n * sum(b - a for a, b in week)
            described.append(f"{kind}: {shift.window.describe()} x{n}")
            specs += [TeamSpec(f"{kind}-{k + 1}-{i + 1}", skills, duty) for i in range(n)]
    return Fleet(tuple(specs), round(minutes / 7 / 60, 2), tuple(described))
