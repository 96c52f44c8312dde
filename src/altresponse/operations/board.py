"""The supervisor board: one local day of the program at a glance, and the debriefs it asks for.

A day is the program's local day, [00:00, next 00:00) in its time zone (23 or 25 hours across a
change of clocks), and an incident belongs to the day its call was received. Every figure is read
with a few set-based queries (the events of the day's incidents in one), never one per incident.
Durations are in minutes, rounded to hundredths.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select
from sqlalchemy.orm import Session

from altresponse.calls.record import Disposition
from altresponse.errors import InputError, NotFoundError
from altresponse.operations.field import BACKUP_TRACKS, ConflictError
from altresponse.operations.lifecycle import TERMINAL, State
from altresponse.operations.models import Backup, Debrief, Event, FollowUp, Incident, Team
from altresponse.operations.service import Operations

MILESTONES = (State.DISPATCHED, State.ON_SCENE, State.CLEARED, State.ESCALATED, State.CANCELLED)
"""The states whose first entry the board times an incident by."""
BUSY_UNTIL = (State.CLEARED, State.ESCALATED, State.CANCELLED)
"""A team is busy with a call from its dispatch until the first of these."""
CRITICAL_DISPOSITIONS = (Disposition.ARREST.value, Disposition.HANDED_TO_POLICE.value)
AFTERWARDS = ("debrief", "follow_up_owed", "follow_up_done", "survey")
"""Log entries that come after a call by design: they do not make a critical call newer."""
MAX_LISTED = 50


class Spread(BaseModel):
    """How long something took over N incidents: median and 90th percentile, in minutes."""

    n: int
    p50_minutes: float | None
    p90_minutes: float | None


class Volumes(BaseModel):
    calls: int
    by_track: dict[str, int]
    eligible: int
    served: int
    escalated: int
    unserved: int
    open: int


class ResponseTimes(BaseModel):
    to_dispatch: Spread
    to_arrival: Spread
    on_scene: Spread


class UnservedCall(BaseModel):
    id: int
    received_at: datetime
    incident_type: str | None
    zone: str | None
    reason: str | None


class Unserved(BaseModel):
    """Eligible calls the program did not serve (eligible-unserved), by reason."""

    by_reason: dict[str, int]
    calls: list[UnservedCall]


class BackupFigures(BaseModel):
    requests: int
    incidents_with_backup: int
    dispatched: int
    rate: float | None
    by_track: dict[str, int]


class OverdueFollowUp(BaseModel):
    id: int
    incident_id: int
    policy: str
    says: str
    due_at: datetime
    hours_overdue: float


class FollowUps(BaseModel):
    open: int
    overdue: int
    overdue_list: list[OverdueFollowUp]


class TeamRow(BaseModel):
    """A team's status, its day, and whether it is owed a debrief."""

    id: int
    name: str
    status: str
    incident_id: int | None
    calls_today: int
    busy_minutes_today: float
    last_critical_at: datetime | None
    last_critical_incident_id: int | None
    last_debrief_at: datetime | None
    debrief_due: bool
    minutes_since_debrief: float | None


class Board(BaseModel):
    """What a supervisor sees for one local day (docs/api.md, The supervisor board)."""

    day: date
    timezone: str
    now: datetime
    volumes: Volumes
    response_times: ResponseTimes
    unserved: Unserved
    backup: BackupFigures
    follow_ups: FollowUps
    teams: list[TeamRow]


@dataclass(frozen=True)
class _Call:
    """One of the day's incidents, with when it first entered each milestone state."""

    id: int
    track: str
    eligible: bool
    state: str
    unserved_reason: str | None
    team_id: int | None
    received_at: datetime
    first: dict[str, datetime]

    def minutes(self, start: str | None, end: str) -> float | None:
        """Minutes from START (None: received) to END, or None unless both happened."""
        begin = self.received_at if start is None else self.first.get(start)
        finish = self.first.get(end)
        return None if begin is None or finish is None else _minutes(begin, finish)


def _minutes(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 60


def percentile(ordered: list[float], q: float) -> float:
    """The Q-th quantile (0..1) of sorted values, interpolated linearly between the two nearest
    ranks: numpy's default ("linear", Hyndman and Fan type 7)."""
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def spread(values: Iterable[float]) -> Spread:
    """Median and 90th percentile of VALUES (minutes); nulls when there are none."""
    ordered = sorted(values)
    if not ordered:
        return Spread(n=0, p50_minutes=None, p90_minutes=None)
    p50, p90 = (round(percentile(ordered, q), 2) for q in (0.5, 0.9))
    return Spread(n=len(ordered), p50_minutes=p50, p90_minutes=p90)


def day_bounds(timezone: str, day: date) -> tuple[datetime, datetime]:
    """The instants the local DAY starts and ends, in time zone TIMEZONE."""
    if not date.min < day < date.max:  # its neighbours, in UTC, would be out of range
        raise InputError(f"day: {day} is out of range")
    zone = ZoneInfo(timezone)
    start = datetime.combine(day, time(), tzinfo=zone)
    return start, datetime.combine(day + timedelta(days=1), time(), tzinfo=zone)


def local_day(ops: Operations) -> date:
    """Today, in the program's time zone, by the service's clock."""
    return ops.clock().astimezone(ZoneInfo(ops.program.timezone)).date()


def _received(start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(Incident.received_at >= start, Incident.received_at < end)


def _day_ids(start: datetime, end: datetime) -> Select[int]:
    return select(Incident.id).where(_received(start, end))


def _calls(session: Session, start: datetime, end: datetime) -> list[_Call]:
    """The day's incidents with their milestones: two queries, whatever the day holds."""
    firsts = session.execute(
        select(Event.incident_id, Event.after, func.min(Event.at))
        .where(
            Event.incident_id.in_(_day_ids(start, end)),
            Event.after.in_([s.value for s in MILESTONES]),
        )
        .group_by(Event.incident_id, Event.after)
    )
    first: dict[int, dict[str, datetime]] = {}
    for incident_id, after, at in firsts:
        first.setdefault(incident_id, {})[str(after)] = at
    rows = session.execute(
        select(
            Incident.id, Incident.track, Incident.eligible, Incident.state,
            Incident.unserved_reason, Incident.team_id, Incident.received_at,
        ).where(_received(start, end))
    )  # fmt: skip
    return [_Call(*row, first=first.get(row[0], {})) for row in rows]


def _volumes(calls: list[_Call]) -> Volumes:
    terminal = {s.value for s in TERMINAL}
    return Volumes(
        calls=len(calls),
        by_track=dict(sorted(Counter(c.track for c in calls).items())),
        eligible=sum(c.eligible for c in calls),
        served=sum(c.eligible and State.DISPATCHED in c.first for c in calls),
        escalated=sum(c.state == State.ESCALATED for c in calls),
        unserved=sum(c.state == State.UNSERVED for c in calls),
        open=sum(c.state not in terminal for c in calls),
    )


def _response_times(calls: list[_Call]) -> ResponseTimes:
    def over(start: str | None, end: str) -> Spread:
        found = (c.minutes(start, end) for c in calls)
        return spread(m for m in found if m is not None)

    return ResponseTimes(
        to_dispatch=over(None, State.DISPATCHED),
        to_arrival=over(None, State.ON_SCENE),
        on_scene=over(State.ON_SCENE, State.CLEARED),
    )


def _unserved(session: Session, calls: list[_Call], start: datetime, end: datetime) -> Unserved:
    """Eligible calls left unserved (DESIGN.md, safety principle 6): by reason, newest listed."""
    left = [c for c in calls if c.eligible and c.state == State.UNSERVED]
    by_reason = Counter(c.unserved_reason or "unknown" for c in left)
    rows = session.execute(
        select(Incident.id, Incident.received_at, Incident.call, Incident.zone,
               Incident.unserved_reason)
        .where(_received(start, end), Incident.eligible.is_(True),
               Incident.state == State.UNSERVED.value)
        .order_by(Incident.received_at.desc(), Incident.id.desc())
        .limit(MAX_LISTED)
    )  # fmt: skip
    listed = [
        UnservedCall(id=id_, received_at=received_at, incident_type=call.get("incident_type"),
                     zone=zone, reason=reason)
        for id_, received_at, call, zone, reason in rows
    ]  # fmt: skip
    return Unserved(by_reason=dict(sorted(by_reason.items())), calls=listed)


def _backup(session: Session, calls: list[_Call], start: datetime, end: datetime) -> BackupFigures:
    """Backup requested at the day's incidents, against the day's incidents a team went to."""
    rows = session.execute(
        select(Backup.incident_id, Backup.track).where(Backup.incident_id.in_(_day_ids(start, end)))
    ).all()
    with_backup = len({incident_id for incident_id, _ in rows})
    dispatched = sum(State.DISPATCHED in c.first for c in calls)
    by_track = Counter(track for _, track in rows)
    return BackupFigures(
        requests=len(rows),
        incidents_with_backup=with_backup,
        dispatched=dispatched,
        rate=with_backup / dispatched if dispatched else None,
        by_track={track: by_track[track] for track in BACKUP_TRACKS},
    )


def _follow_ups(session: Session, now: datetime) -> FollowUps:
    """Follow-ups still due, whatever day they came from; the overdue ones, most overdue first."""
    due = FollowUp.state == "due"
    late = FollowUp.due_at < now
    open_, overdue = session.execute(
        select(func.count(FollowUp.id), func.count(case((late, 1)))).where(due)
    ).one()
    rows = session.scalars(
        select(FollowUp).where(due, late).order_by(FollowUp.due_at, FollowUp.id).limit(MAX_LISTED)
    )
    listed = [
        OverdueFollowUp(
            id=f.id, incident_id=f.incident_id, policy=f.policy, says=f.says, due_at=f.due_at,
            hours_overdue=round((now - f.due_at).total_seconds() / 3600, 2),
        )
        for f in rows
    ]  # fmt: skip
    return FollowUps(open=open_, overdue=overdue, overdue_list=listed)


def _critical(session: Session) -> dict[int, tuple[datetime, int]]:
    """Each team's newest critical call, any day: (its latest event, its incident id).

    Critical: a team's incident where backup was asked for, that ended in an arrest or a hand-over
    to police, or that was escalated with the team on it (a team is only ever set by dispatch, and
    escalated is terminal, so an escalated incident with a team was escalated after dispatch).
    """
    rows = session.execute(
        select(Incident.team_id, Incident.id, func.max(Event.at))
        .join(Event, Event.incident_id == Incident.id)
        .where(
            Incident.team_id.is_not(None),
            or_(
                Incident.id.in_(select(Backup.incident_id)),
                Incident.disposition.in_(CRITICAL_DISPOSITIONS),
                Incident.state == State.ESCALATED.value,
            ),
            Event.kind.not_in(AFTERWARDS),
        )
        .group_by(Incident.team_id, Incident.id)
    )
    newest: dict[int, tuple[datetime, int]] = {}
    for team_id, incident_id, at in rows:
        if team_id is not None and (team_id not in newest or (at, incident_id) > newest[team_id]):
            newest[team_id] = (at, incident_id)
    return newest


def _busy_minutes(call: _Call, now: datetime) -> float:
    """From the team's dispatch to the first of cleared, escalated or cancelled (or now)."""
    dispatched = call.first.get(State.DISPATCHED)
    if dispatched is None:
        return 0.0
    ends = [call.first[s] for s in BUSY_UNTIL if s in call.first]
    return _minutes(dispatched, min(ends) if ends else now)


def _teams(session: Session, calls: list[_Call], now: datetime) -> list[TeamRow]:
    """Every team: status, the day's calls and busy time, its critical calls and debriefs."""
    teams = list(session.scalars(select(Team).order_by(Team.id)))
    assigned = [t.incident_id for t in teams if t.incident_id is not None]
    current = select(Incident.id, Incident.state).where(Incident.id.in_(assigned))
    states = dict(session.execute(current).all())
    newest = select(Debrief.team_id, func.max(Debrief.at)).group_by(Debrief.team_id)
    debriefs: dict[int, datetime] = dict(session.execute(newest).all())
    critical = _critical(session)
    return [_team_row(t, calls, states, critical.get(t.id), debriefs.get(t.id), now) for t in teams]


def _team_row(
    team: Team, calls: list[_Call], states: dict[int, str],
    critical: tuple[datetime, int] | None, debriefed: datetime | None, now: datetime,
) -> TeamRow:  # fmt: skip
    if team.incident_id is not None:
        status = states.get(team.incident_id, State.DISPATCHED.value)
    else:
        status = "free" if team.on_duty else "off_duty"
    mine = [c for c in calls if c.team_id == team.id]
    critical_at, critical_id = critical or (None, None)
    return TeamRow(
        id=team.id, name=team.name, status=status, incident_id=team.incident_id,
        calls_today=len(mine),
        busy_minutes_today=round(sum(_busy_minutes(c, now) for c in mine), 2),
        last_critical_at=critical_at, last_critical_incident_id=critical_id,
        last_debrief_at=debriefed,
        debrief_due=critical_at is not None and (debriefed is None or debriefed < critical_at),
        minutes_since_debrief=round(_minutes(debriefed, now), 2) if debriefed else None,
    )  # fmt: skip


def board(ops: Operations, day: date | None = None) -> Board:
    """The supervisor board for one local DAY of the program (default: today, by its clock)."""
    now = ops.clock()
    day = day or local_day(ops)
    start, end = day_bounds(ops.program.timezone, day)
    with ops.reads() as session:
        calls = _calls(session, start, end)
        return Board(
            day=day,
            timezone=ops.program.timezone,
            now=now,
            volumes=_volumes(calls),
            response_times=_response_times(calls),
            unserved=_unserved(session, calls, start, end),
            backup=_backup(session, calls, start, end),
            follow_ups=_follow_ups(session, now),
            teams=_teams(session, calls, now),
        )


def record_debrief(
    ops: Operations, team_id: int, incident_id: int, actor: str, notes: str | None = None
) -> Debrief:
    """A supervisor debriefed a team about one of its calls; the incident's log says so too."""
    with ops.sessions() as session, session.begin():
        team = session.get(Team, team_id)
        if team is None:
            raise NotFoundError(f"team {team_id} does not exist")
        incident = session.get(Incident, incident_id)
        if incident is None:
            raise NotFoundError(f"incident {incident_id} does not exist")
        if incident.team_id != team_id:
            raise ConflictError(f"team {team.name} never had incident {incident_id}")
        now = ops.clock()  # one instant for both rows: the debrief covers the log up to it
        debrief = Debrief(team_id=team_id, incident_id=incident_id, at=now, actor=actor,
                          notes=(notes or "").strip() or None)  # fmt: skip
        session.add(debrief)
        session.add(
            Event(incident_id=incident_id, at=now, actor=actor, kind="debrief", before=None,
                  after=None, data={"team": team.name})
        )  # fmt: skip
    return debrief
