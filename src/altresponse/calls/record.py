"""The canonical call record: one typed model, one Parquet schema, one field list behind both."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, field_validator


class CallSource(StrEnum):
    """How the call reached the agency."""

    E911 = "911"
    N311 = "311"
    N988 = "988"
    OFFICER = "officer"
    ALARM = "alarm"
    TEXT = "text"
    OTHER = "other"


class SuicideRisk(StrEnum):
    """What the caller or call-taker knows of suicide risk."""

    NONE = "none"
    IDEATION = "ideation"
    PLAN = "plan"
    ATTEMPT = "attempt"


class Disposition(StrEnum):
    """How a call ended, across agencies (the agency's own words stay in local_disposition)."""

    ARREST = "arrest"
    CITATION = "citation"
    REPORT = "report"
    RESOLVED = "resolved"
    REFERRED = "referred"
    TRANSPORTED = "transported"
    REFUSED = "refused"
    NO_CONTACT = "no_contact"
    HANDED_TO_POLICE = "handed_to_police"
    UNFOUNDED = "unfounded"
    CANCELLED = "cancelled"
    DUPLICATE = "duplicate"
    OTHER = "other"


class TypeSource(StrEnum):
    """Where a call's incident type came from."""

    SOURCE = "source"
    CROSSWALK = "crosswalk"
    SUGGESTED = "suggested"
    UNMAPPED = "unmapped"


@dataclass(frozen=True)
class CallField:
    """One canonical column: its name, Arrow type, DuckDB type and meaning."""

    name: str
    arrow: pa.DataType
    duckdb: str
    doc: str


TIMESTAMP = pa.timestamp("us", tz="UTC")

SCREENING_FIELDS: tuple[CallField, ...] = (
    CallField("weapon", pa.bool_(), "BOOLEAN", "A weapon is present or mentioned"),
    CallField("violence", pa.bool_(), "BOOLEAN", "Violence is happening or threatened"),
    CallField("injury", pa.bool_(), "BOOLEAN", "Someone is injured"),
    CallField("medical_emergency", pa.bool_(), "BOOLEAN", "A medical emergency needs EMS"),
    CallField("crime_in_progress", pa.bool_(), "BOOLEAN", "A crime is in progress with a suspect"),
    CallField("immediate_danger", pa.bool_(), "BOOLEAN", "Someone is in immediate danger"),
    CallField(
        "caller_requests_alternative",
        pa.bool_(),
        "BOOLEAN",
        "The caller asks for a civilian (non-police) response",
    ),
    CallField("willing_to_wait", pa.bool_(), "BOOLEAN", "The caller will wait for a civilian team"),
    CallField("suicide_risk", pa.string(), "VARCHAR", "none, ideation, plan, attempt, or null"),
)

SCREENING_TYPE = pa.struct([pa.field(f.name, f.arrow) for f in SCREENING_FIELDS])
SCREENING_DUCKDB = "STRUCT({})".format(", ".join(f"{f.name} {f.duckdb}" for f in SCREENING_FIELDS))

CALL_FIELDS: tuple[CallField, ...] = (
    CallField(
        "call_id", pa.string(), "VARCHAR", "The agency's own id for the call (unique per agency)"
    ),
    CallField("agency", pa.string(), "VARCHAR", "The agency that took the call"),
    CallField("received_at", TIMESTAMP, "TIMESTAMPTZ", "When the call was received (required)"),
    CallField("dispatched_at", TIMESTAMP, "TIMESTAMPTZ", "When the first unit was dispatched"),
    CallField("arrived_at", TIMESTAMP, "TIMESTAMPTZ", "When the first unit arrived"),
    CallField("cleared_at", TIMESTAMP, "TIMESTAMPTZ", "When the last unit cleared"),
    CallField("source", pa.string(), "VARCHAR", "911, 311, 988, officer, alarm, text or other"),
    CallField("local_type", pa.string(), "VARCHAR", "The agency's own call type text"),
    CallField("incident_type", pa.string(), "VARCHAR", "Canonical incident type (APCO code)"),
    CallField("category", pa.string(), "VARCHAR", "Analyst category of the incident type"),
    CallField("type_source", pa.string(), "VARCHAR", "source, crosswalk, suggested or unmapped"),
    CallField("type_confidence", pa.float64(), "DOUBLE", "Confidence of the incident type, 0 to 1"),
    CallField("priority", pa.int32(), "INTEGER", "Agency priority, 1 = most urgent"),
    CallField("disposition", pa.string(), "VARCHAR", "Canonical disposition"),
    CallField("local_disposition", pa.string(), "VARCHAR", "The agency's own disposition text"),
    CallField("zone", pa.string(), "VARCHAR", "Beat, district or zone of the call"),
    CallField("lat", pa.float64(), "DOUBLE", "Latitude (WGS84), often block-level"),
    CallField("lon", pa.float64(), "DOUBLE", "Longitude (WGS84), often block-level"),
    CallField("narrative", pa.string(), "VARCHAR", "Call-taker notes, free text"),
    CallField("screening", SCREENING_TYPE, SCREENING_DUCKDB, "Answers to the screening questions"),
)

CALL_COLUMNS: tuple[str, ...] = tuple(f.name for f in CALL_FIELDS)
RAW_PREFIX = "raw_"
REQUIRED_FIELDS = ("call_id", "received_at")
TIMESTAMP_FIELDS = ("received_at", "dispatched_at", "arrived_at", "cleared_at")


def call_schema(raw_columns: tuple[str, ...] = ()) -> pa.Schema:
    """The Parquet schema of a canonical calls table, with any raw_* columns kept as text."""
    fields = [pa.field(f.name, f.arrow) for f in CALL_FIELDS]
    fields += [pa.field(name, pa.string()) for name in raw_columns]
    return pa.schema(fields)


def field_by_name() -> dict[str, CallField]:
    """Every canonical field, screening answers included as `screening.NAME`."""
    fields = {f.name: f for f in CALL_FIELDS if f.name != "screening"}
    fields.update({f"screening.{f.name}": f for f in SCREENING_FIELDS})
    return fields


class Screening(BaseModel):
    """Screening answers; None means nobody asked or the answer is unknown."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    weapon: bool | None = None
    violence: bool | None = None
    injury: bool | None = None
    medical_emergency: bool | None = None
    crime_in_progress: bool | None = None
    immediate_danger: bool | None = None
    caller_requests_alternative: bool | None = None
    willing_to_wait: bool | None = None
    suicide_risk: SuicideRisk | None = None


class CallRecord(BaseModel):
    """One call, as every part of altresponse sees it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    call_id: str = Field(min_length=1)
    agency: str | None = None
    received_at: datetime
    dispatched_at: datetime | None = None
    arrived_at: datetime | None = None
    cleared_at: datetime | None = None
    source: CallSource | None = None
    local_type: str | None = None
    incident_type: str | None = None
    category: str | None = None
    type_source: TypeSource | None = None
    type_confidence: float | None = Field(default=None, ge=0.0, le=1.0)
    priority: int | None = None
    disposition: Disposition | None = None
    local_disposition: str | None = None
    zone: str | None = None
    lat: float | None = Field(default=None, ge=-90.0, le=90.0)
    lon: float | None = Field(default=None, ge=-180.0, le=180.0)
    narrative: str | None = None
    screening: Screening = Field(default_factory=Screening)
    raw: dict[str, str | None] = Field(default_factory=dict)

    @field_validator("received_at", "dispatched_at", "arrived_at", "cleared_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        """Timestamps must carry a timezone: a naive time is ambiguous across agencies."""
        if value is not None and value.tzinfo is None:
            raise ValueError("timestamp must be timezone-aware (e.g. 2024-05-01T14:03:00-05:00)")
        return value
