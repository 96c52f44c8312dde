"""A program file as frozen models: protocol, response options, teams, hours, zones, policies."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from altresponse.calls.record import CallSource, Disposition, SuicideRisk
from altresponse.datafiles import TimeZoneName
from altresponse.programs.vocabulary import Need, RedFlag, Track
from altresponse.taxonomy import Taxonomy

_SLUG = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
_CLOCK = re.compile(r"^([01][0-9]|2[0-4]):([0-5][0-9])$")
MINUTES_PER_DAY = 24 * 60
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY


class Frozen(BaseModel):
    """Base of every program model: immutable, and unknown keys are an error (typos show)."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def _slug(value: str) -> str:
    """Ids are lower-case words joined by -, _ or ."""
    if not _SLUG.match(value):
        raise ValueError(f"{value!r} must be lower-case letters, digits, '-', '_' or '.'")
    return value


def parse_clock(value: str) -> int:
    """'HH:MM' (00:00 to 24:00) as minutes after midnight."""
    text = str(value)
    found = _CLOCK.match(text)
    if not found or (found.group(1) == "24" and found.group(2) != "00"):
        raise ValueError(f"time {text!r} must be HH:MM between 00:00 and 24:00")
    return int(found.group(1)) * 60 + int(found.group(2))


def _as_tuple(value: Any) -> Any:
    """A single value where a list is expected is a list of one."""
    return (value,) if isinstance(value, str | int | float | bool | dict) else value


def _known_incident_type(value: str) -> str:
    """An incident type must be a code of the shipped taxonomy."""
    if value not in Taxonomy.load().incident_types:
        raise ValueError(f"unknown incident type {value!r} (see docs/taxonomy.md)")
    return value


def _known_category(value: str) -> str:
    """A category must be one of the shipped taxonomy's categories."""
    categories = Taxonomy.load().categories
    if value not in categories:
        raise ValueError(f"unknown category {value!r}; known: {', '.join(sorted(categories))}")
    return value


Slug = Annotated[str, AfterValidator(_slug)]
Minutes = Annotated[int, BeforeValidator(parse_clock)]
IncidentTypeCode = Annotated[str, AfterValidator(_known_incident_type)]
CategoryCode = Annotated[str, AfterValidator(_known_category)]
Priority = Annotated[int, Field(ge=1, le=5)]


ItemT = TypeVar("ItemT")
OneOrMany = Annotated[tuple[ItemT, ...], BeforeValidator(_as_tuple), Field(min_length=1)]
"""A non-empty tuple that a YAML file may also write as one bare value."""


class Weekday(StrEnum):
    """Days of the week, Monday first (as Python and ISO count them)."""

    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"


ALL_DAYS: tuple[Weekday, ...] = tuple(Weekday)


class TimeWindow(Frozen):
    """Local clock hours on some days; an end before the start runs past midnight."""

    days: OneOrMany[Weekday] = ALL_DAYS
    start: Minutes
    end: Minutes

    def intervals(self) -> tuple[tuple[int, int], ...]:
        """Half-open [from, to) spans in minutes since Monday 00:00, split at the week's end."""
        length = (self.end - self.start) % MINUTES_PER_DAY or MINUTES_PER_DAY
        spans: list[tuple[int, int]] = []
        for day in self.days:
            begin = ALL_DAYS.index(day) * MINUTES_PER_DAY + self.start
            finish = begin + length
            if finish <= MINUTES_PER_WEEK:
                spans.append((begin % MINUTES_PER_WEEK, finish))
            else:
                spans += [(begin, MINUTES_PER_WEEK), (0, finish - MINUTES_PER_WEEK)]
        return tuple(sorted(spans))

    def describe(self) -> str:
        """E.g. 'mon-fri 07:00-19:00'."""
        days = ",".join(d.value for d in self.days) if self.days != ALL_DAYS else "daily"
        return f"{days} {_hhmm(self.start)}-{_hhmm(self.end)}"


def _hhmm(minutes: int) -> str:
    """Minutes after midnight as HH:MM."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


YesNoUnknown = bool | Literal["unknown"]
SuicideAnswer = SuicideRisk | Literal["unknown"]


class ScreeningCondition(Frozen):
    """Required screening answers; 'unknown' matches a question nobody answered."""

    weapon: YesNoUnknown | None = None
    violence: YesNoUnknown | None = None
    injury: YesNoUnknown | None = None
    medical_emergency: YesNoUnknown | None = None
    crime_in_progress: YesNoUnknown | None = None
    immediate_danger: YesNoUnknown | None = None
    caller_requests_alternative: YesNoUnknown | None = None
    willing_to_wait: YesNoUnknown | None = None
    suicide_risk: OneOrMany[SuicideAnswer] | None = None

    def required(self) -> dict[str, tuple[bool | str, ...]]:
        """Question -> accepted answers ('unknown' for null), for the questions this names."""
        found: dict[str, tuple[bool | str, ...]] = {}
        for name, value in self:
            if value is not None:
                found[name] = tuple(str(v) for v in value) if name == "suicide_risk" else (value,)
        return found


class Condition(Frozen):
    """All of the named tests must hold; a list means any one of its values."""

    incident_type: OneOrMany[IncidentTypeCode] | None = None
    category: OneOrMany[CategoryCode] | None = None
    source: OneOrMany[CallSource] | None = None
    zone: OneOrMany[str] | None = None
    disposition: OneOrMany[Disposition] | None = None
    needs: OneOrMany[Need] | None = None
    screening: ScreeningCondition | None = None
    hours: OneOrMany[TimeWindow] | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> Condition:
        """An empty condition would match every call; say so with `always: true` instead."""
        if all(value is None for _, value in self):
            raise ValueError("a condition needs at least one test")
        return self


class Mode(StrEnum):
    """Live triage of a call being taken, or planning over historical calls."""

    LIVE = "live"
    PLANNING = "planning"


class Rule(Frozen):
    """One protocol rule: when its condition holds (and no `unless` does), respond so."""

    id: Slug
    says: str = Field(min_length=3)
    when: Condition | None = None
    always: bool = False
    unless: OneOrMany[Condition] = ()
    respond: Slug
    priority: Priority | None = None
    mode: Literal["both", "live", "planning"] = "both"

    @model_validator(mode="after")
    def _has_condition(self) -> Rule:
        """A rule names its condition, or says `always: true` (a catch-all)."""
        if (self.when is None) == (not self.always):
            raise ValueError("give a `when` condition, or `always: true` for a catch-all")
        return self

    def applies_in(self, mode: Mode) -> bool:
        """Whether this rule is part of the protocol in MODE."""
        return self.mode in ("both", mode.value)


class ResponseOption(Frozen):
    """A response the protocol can choose: its track, and whether it is the program's own."""

    id: Slug
    label: str
    track: Track
    program: bool = False
    skills: tuple[str, ...] = ()
    priority: Priority = 3
    fallback: Slug | None = None


class Team(Frozen):
    """A kind of team the program fields, how many, with what skills and on which shifts."""

    id: Slug
    label: str
    members: tuple[str, ...] = Field(min_length=1)
    skills: tuple[str, ...] = ()
    count: int = Field(default=1, ge=1)
    shifts: tuple[TimeWindow, ...] = ()


class Zone(Frozen):
    """A zone of the pilot area (the agency's beat or district id), optionally with a centroid."""

    id: str = Field(min_length=1)
    label: str | None = None
    lat: float | None = Field(default=None, ge=-90.0, le=90.0)
    lon: float | None = Field(default=None, ge=-180.0, le=180.0)


def _zone(value: Any) -> Any:
    """A zone may be written as its id alone."""
    return {"id": str(value)} if isinstance(value, str | int) else value


class QueuePolicy(Frozen):
    """How long an eligible call may wait for a team, and where it goes after."""

    max_wait_minutes: float = Field(gt=0)
    fallback: Slug


class FollowUpPolicy(Frozen):
    """A follow-up contact the program owes after some calls."""

    id: Slug
    says: str
    when: Condition
    within_hours: float = Field(gt=0)


class Costs(Frozen):
    """What the program costs: per team-hour on shift, plus fixed costs."""

    currency: str = "USD"
    team_hour: float = Field(ge=0)
    per_call: float = Field(default=0.0, ge=0)
    annual_fixed: float = Field(default=0.0, ge=0)


DEFAULT_RED_FLAG_RESPONSES: dict[RedFlag, str] = {
    RedFlag.WEAPON: "police",
    RedFlag.VIOLENCE: "police",
    RedFlag.CRIME_IN_PROGRESS: "police",
    RedFlag.IMMEDIATE_DANGER: "police",
    RedFlag.SUICIDE_PLAN: "police",
    RedFlag.MEDICAL_EMERGENCY: "ems",
    RedFlag.INJURY: "ems",
    RedFlag.CHILD_AT_RISK: "police",
}


class Program(Frozen):
    """One civilian response program, read from its YAML file."""

    id: Slug
    name: str
    city: str
    summary: str
    sources: tuple[str, ...] = ()
    timezone: TimeZoneName
    responses: tuple[ResponseOption, ...] = Field(min_length=1)
    teams: tuple[Team, ...] = ()
    hours: tuple[TimeWindow, ...] | None = None
    zones: Annotated[tuple[Zone, ...], BeforeValidator(lambda v: [_zone(z) for z in v])] | None = (
        None
    )
    queue: QueuePolicy
    follow_up: tuple[FollowUpPolicy, ...] = ()
    costs: Costs
    red_flags: dict[RedFlag, Slug] = Field(default_factory=dict)
    unknown_answers: Slug = "police"
    default: Slug = "police"
    protocol: tuple[Rule, ...] = Field(min_length=1)
    protocol_version: str = ""

    def response(self, option_id: str) -> ResponseOption:
        """The response option with this id (the loader has checked that it exists)."""
        for option in self.responses:
            if option.id == option_id:
                return option
        raise KeyError(option_id)

    def red_flag_response(self, flag: RedFlag) -> ResponseOption:
        """The response a red flag raises a call to."""
        return self.response(self.red_flags.get(flag, DEFAULT_RED_FLAG_RESPONSES[flag]))

    def rules_for(self, mode: Mode) -> tuple[Rule, ...]:
        """The protocol's rules in order, as used in MODE."""
        return tuple(rule for rule in self.protocol if rule.applies_in(mode))
