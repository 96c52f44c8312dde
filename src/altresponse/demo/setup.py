"""A fresh demo database: the schema, a login for each role, the program's teams, resources.

This is for the local demo on 127.0.0.1 only: every demo login shares one published password.
"""

from __future__ import annotations

from dataclasses import dataclass

from altresponse.operations.auth import Role, Users
from altresponse.operations.db import make_engine, sessions, upgrade
from altresponse.operations.service import Operations
from altresponse.programs import load_program
from altresponse.programs.model import Program
from altresponse.samplecity.profile import load_profile

DEMO_PASSWORD = "demo-only-password"
"""The password of every demo login (printed by `altresponse demo`; never use it elsewhere)."""

DEMO_USERS: dict[Role, str] = {
    Role.CALL_TAKER: "calltaker",
    Role.DISPATCHER: "dispatcher",
    Role.RESPONDER: "responder",
    Role.SUPERVISOR: "supervisor",
}
"""The logins for the person at the consoles, one per role."""

BOT_USERS: dict[Role, str] = {
    Role.CALL_TAKER: "cad-bot",
    Role.DISPATCHER: "dispatch-bot",
    Role.RESPONDER: "field-bot",
}
"""The replay's own logins. Logging in replaces a user's token, so the bots must not share a
login with the person at the consoles, or each would log the other out."""


@dataclass(frozen=True)
class ResourcePlace:
    """One place of the demo's resource directory."""

    name: str
    kind: str
    hours: str
    open_24_7: bool = False
    capacity: int | None = None
    zone: str | None = None


SAMPLE_CITY_RESOURCES: tuple[ResourcePlace, ...] = (
    ResourcePlace("Sample City Crisis Stabilisation Unit", "crisis_stabilisation", "24/7",
                  open_24_7=True, capacity=16, zone="CENTRAL"),
    ResourcePlace("Harbor Sobering Centre", "sobering_centre", "24/7", open_24_7=True,
                  capacity=20, zone="HARBOR"),
    ResourcePlace("Riverside Detox", "detox", "intake 08:00-20:00", capacity=24,
                  zone="RIVERSIDE"),
    ResourcePlace("Central Night Shelter", "shelter", "18:00-08:00", capacity=120,
                  zone="CENTRAL"),
    ResourcePlace("Eastside Family Shelter", "shelter", "24/7", open_24_7=True, capacity=45,
                  zone="EASTSIDE"),
    ResourcePlace("Northgate Food Bank", "food", "mon-sat 09:00-17:00", zone="NORTHGATE"),
    ResourcePlace("Midtown Walk-in Clinic", "walk_in_clinic", "08:00-20:00", zone="MIDTOWN"),
)  # fmt: skip
"""Sample City's resource directory (fictional places, like the city)."""


@dataclass(frozen=True)
class TeamPlan:
    """A team the demo puts on the floor: its name, skills, shift and where it waits."""

    name: str
    skills: tuple[str, ...]
    shift: tuple[str, str] | None
    lat: float
    lon: float


@dataclass(frozen=True)
class DemoAccounts:
    """What `prepare` made: logins for people and bots, with the password, teams, resources."""

    password: str
    users: dict[Role, str]
    bots: dict[Role, str]
    teams: tuple[str, ...]
    resources: tuple[str, ...]


def _hhmm(minutes: int) -> str:
    """Minutes after midnight as HH:MM (24:00 for the end of the day)."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _program_skills(program: Program) -> tuple[str, ...]:
    """The skills of the program's own response (the first one, if it has several)."""
    own = [option for option in program.responses if option.program]
    return own[0].skills if own else ()


def team_plan(program: Program) -> list[TeamPlan]:
    """COUNT teams of each kind on each of its shifts, spread over Sample City's zone centres."""
    zones = sorted(load_profile().city.zones, key=lambda zone: -zone.share)
    plan: list[TeamPlan] = []
    for kind in program.teams:
        skills = kind.skills or _program_skills(program)
        shifts: list[tuple[str, str] | None] = [
            (_hhmm(shift.start), _hhmm(shift.end)) for shift in kind.shifts
        ] or [None]
        number = 0
        for shift in shifts:
            for _ in range(kind.count):
                number += 1
                zone = zones[len(plan) % len(zones)]
                plan.append(
                    TeamPlan(f"{kind.id}-{number}", tuple(skills), shift, zone.lat, zone.lon)
                )
    return plan


def prepare(database_url: str, program: Program | str) -> DemoAccounts:
    """Migrate an empty database and fill it: logins, the program's teams, resources."""
    program = load_program(program) if isinstance(program, str) else program
    upgrade(database_url)
    engine = make_engine(database_url)
    try:
        factory = sessions(engine)
        ops, users = Operations(factory, program), Users(factory)
        for role, name in (*DEMO_USERS.items(), *BOT_USERS.items()):
            users.add(name, role, DEMO_PASSWORD)
        teams = team_plan(program)
        for planned in teams:
            team = ops.add_team(planned.name, list(planned.skills), planned.shift)
            ops.update_team(team.id, lat=planned.lat, lon=planned.lon)
        for place in SAMPLE_CITY_RESOURCES:
            ops.add_resource(
                place.name, place.kind, hours=place.hours, open_24_7=place.open_24_7,
                capacity=place.capacity, zone=place.zone,
            )  # fmt: skip
    finally:
        engine.dispose()
    return DemoAccounts(
        password=DEMO_PASSWORD,
        users=dict(DEMO_USERS),
        bots=dict(BOT_USERS),
        teams=tuple(t.name for t in teams),
        resources=tuple(p.name for p in SAMPLE_CITY_RESOURCES),
    )
