"""Sample City's profile: the published figures the generator draws from, validated on load."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, ValidationError, field_validator

from altresponse.datafiles import TimeZoneName, load_model
from altresponse.errors import ConfigError

PROFILE_FILE = "profile.yaml"
CALL_TYPES_FILE = "call_types.csv"
NARRATIVES_FILE = "narratives.yaml"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PRIORITIES = (1, 2, 3, 4)
Z90 = 1.2815515655446004  # standard normal quantile of 0.9
SHARE_TOLERANCE = 0.5


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Spread(_Frozen):
    """A duration in minutes, as a log-normal given by its median and 90th percentile."""

    median: float = Field(gt=0)
    p90: float = Field(gt=0)

    @property
    def mu(self) -> float:
        """Mean of the underlying normal."""
        return math.log(self.median)

    @property
    def sigma(self) -> float:
        """Standard deviation of the underlying normal."""
        return max(math.log(self.p90 / self.median), 0.0) / Z90


class LatLon(_Frozen):
    """A point, or a scatter in degrees."""

    lat: float
    lon: float


class CityInfo(_Frozen):
    """Who and where Sample City is."""

    name: str
    agency: str
    population: int = Field(gt=0)
    timezone: TimeZoneName
    call_id_prefix: str
    centre: LatLon


class NarrativeRate(_Frozen):
    """Share of calls with a call-taker note: calls from the public, officer-initiated calls."""

    community: float = Field(ge=0, le=1)
    officer: float = Field(ge=0, le=1)


class Sources(_Frozen):
    """Weights of each source text, for alarm-company calls and for phone calls by priority."""

    alarm: dict[str, float]
    phone: dict[int, dict[str, float]]


class Durations(_Frozen):
    """Call intervals: dispatch delay and travel by priority, on-scene time by kind of call."""

    dispatch_delay: dict[int, Spread]
    travel: dict[int, Spread]
    no_arrival: Spread
    cap_minutes: float = Field(gt=0)
    scene: dict[str, Spread]


class DispositionOption(_Frozen):
    """One way a call can end, in the agency's own words."""

    text: str = Field(min_length=1)
    weight: float = Field(gt=0)
    arrives: bool = True
    scene: str | None = None


class Zone(_Frozen):
    """A patrol zone: its share of calls and its centre."""

    name: str
    code: str = Field(min_length=1, max_length=2)
    share: float = Field(gt=0)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class CityProfile(_Frozen):
    """Everything in profile.yaml."""

    city: CityInfo
    calls_per_year: int = Field(gt=0)
    narrative_rate: NarrativeRate
    geocode_missing: float = Field(ge=0, le=1)
    priority_jitter: float = Field(ge=0, le=1)
    hour_of_week: dict[str, list[float]]
    month: list[float] = Field(min_length=12, max_length=12)
    sources: Sources
    durations: Durations
    dispositions: dict[str, list[DispositionOption]]
    zones: list[Zone] = Field(min_length=8, max_length=12)
    zone_scatter: LatLon

    @field_validator("hour_of_week")
    @classmethod
    def _full_week(cls, value: dict[str, list[float]]) -> dict[str, list[float]]:
        """Seven days of 24 non-negative hourly rates."""
        if sorted(value) != sorted(WEEKDAYS):
            raise ValueError(f"needs exactly the days {', '.join(WEEKDAYS)}")
        bad = [d for d, rates in value.items() if len(rates) != 24 or min(rates) < 0]
        if bad:
            raise ValueError(f"each day needs 24 non-negative rates: {', '.join(bad)}")
        return value


class CallType(_Frozen):
    """One local call type of Sample City's CAD and how its calls behave."""

    local_type: str = Field(min_length=1)
    share: float = Field(gt=0, le=100)
    vera_category: str = Field(min_length=1)
    priority: int = Field(ge=1, le=4)
    officer_share: float = Field(ge=0, le=1)
    channel: Literal["phone", "alarm"]
    scene: str
    disposition: str
    narrative: str


class NarrativeGroup(_Frozen):
    """Call-taker note fragments: one line, then at most one phrase from each weighted list."""

    lines: list[str] = Field(min_length=1)
    add: list[dict[str, float]] = Field(default_factory=list)


class Narratives(RootModel[dict[str, NarrativeGroup]]):
    """Everything in narratives.yaml: note fragments by group name."""

    model_config = ConfigDict(frozen=True)


@dataclass(frozen=True)
class SampleProfile:
    """The whole profile: city figures, call-type mix and narrative fragments."""

    city: CityProfile
    call_types: tuple[CallType, ...]
    narratives: dict[str, NarrativeGroup]
    folder: Path

    def share_by(self, attribute: str) -> dict[str, float]:
        """Configured share (0-1) of calls by a call-type attribute, e.g. vera_category."""
        total = sum(t.share for t in self.call_types)
        shares: dict[str, float] = {}
        for t in self.call_types:
            key = str(getattr(t, attribute))
            shares[key] = shares.get(key, 0.0) + t.share / total
        return shares

    def officer_share(self) -> float:
        """Configured share (0-1) of officer-initiated calls."""
        total = sum(t.share for t in self.call_types)
        return sum(t.share * t.officer_share for t in self.call_types) / total


def data_dir() -> Path:
    """The folder of profile files shipped with altresponse."""
    return Path(str(resources.files("altresponse.samplecity") / "data"))


def _read_call_types(path: Path) -> tuple[CallType, ...]:
    """Read call_types.csv, naming the line of the first bad row."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc
    types = []
    for line, row in enumerate(rows, start=2):
        try:
            types.append(CallType.model_validate(row))
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or "(row)"
            raise ConfigError(f"{path}:{line}: {field}: {first['msg']}") from exc
    return tuple(types)


def _check(profile: SampleProfile) -> None:
    """Cross-file references resolve and the shares add up."""
    city, where = profile.city, profile.folder / CALL_TYPES_FILE
    names = [t.local_type for t in profile.call_types]
    if len(set(names)) != len(names):
        raise ConfigError(f"{where}: local_type values must be unique")
    total = sum(t.share for t in profile.call_types)
    if abs(total - 100) > SHARE_TOLERANCE:
        raise ConfigError(f"{where}: shares add up to {total:.2f}, expected 100")
    for t in profile.call_types:
        for kind, value, known in (
            ("scene", t.scene, city.durations.scene),
            ("disposition", t.disposition, city.dispositions),
            ("narrative", t.narrative, profile.narratives),
        ):
            if value not in known:
                raise ConfigError(f"{where}: {t.local_type}: unknown {kind} {value!r}")
    for name, options in city.dispositions.items():
        for option in options:
            if option.scene is not None and option.scene not in city.durations.scene:
                raise ConfigError(
                    f"{profile.folder / PROFILE_FILE}: dispositions.{name}: "
                    f"unknown scene {option.scene!r}"
                )
    for table in (city.sources.phone, city.durations.dispatch_delay, city.durations.travel):
        if set(table) != set(PRIORITIES):
            raise ConfigError(f"{profile.folder / PROFILE_FILE}: priorities must be 1 to 4")


@cache
def load_profile(folder: Path | None = None) -> SampleProfile:
    """Read and check the profile files in `folder` (the shipped ones by default)."""
    folder = folder or data_dir()
    profile = SampleProfile(
        city=load_model(folder / PROFILE_FILE, CityProfile),
        call_types=_read_call_types(folder / CALL_TYPES_FILE),
        narratives=load_model(folder / NARRATIVES_FILE, Narratives).root,
        folder=folder,
    )
    _check(profile)
    return profile
