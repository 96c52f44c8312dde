"""NENA EIDO incident documents (the JSON a CAD exchanges incidents in) as canonical calls.

EIDO (NENA-STA-024) carries far more than triage needs. These are the parts read:

- `incidentComponent.incidentTrackingIdentifier` -> `call_id` (intake is idempotent on it)
- `incidentComponent.incidentOriginatingAgencyIdentifier` -> `agency`
- `incidentComponent.incidentTypeCommonRegistryText[0]` -> `incident_type` when it is an APCO
  code we know, else `local_type`
- `callComponent[0].callStartTimestamp` (else `incidentComponent.lastUpdateTimestamp`)
  -> `received_at`
- `callComponent[0].callTypeDescriptionRegistryText` -> `source` when it names one (`911`, ...)
- `locationComponent[0].latitude`/`longitude` (or its `locationByValue`) -> `lat`, `lon`
- `locationComponent[0].locationZone` -> `zone`
- `notesComponent[*].noteText` -> `narrative`, joined in time order

Everything else in the document is accepted and ignored. Screening answers are not part of EIDO:
a call taken in from EIDO has them unknown, so live triage never sends it a civilian-only
response until someone answers them (the engine's unknown-answer rule).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from altresponse.calls.record import CallRecord, CallSource
from altresponse.taxonomy import Taxonomy


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class EidoIncidentComponent(_Open):
    incidentTrackingIdentifier: str = Field(min_length=1, max_length=200)  # noqa: N815
    incidentOriginatingAgencyIdentifier: str | None = None  # noqa: N815
    incidentTypeCommonRegistryText: list[str] = Field(default_factory=list)  # noqa: N815
    lastUpdateTimestamp: datetime | None = None  # noqa: N815


class EidoCallComponent(_Open):
    callStartTimestamp: datetime | None = None  # noqa: N815
    callTypeDescriptionRegistryText: str | None = None  # noqa: N815


class EidoLocationByValue(_Open):
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)


class EidoLocationComponent(_Open):
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    locationByValue: EidoLocationByValue | None = None  # noqa: N815
    locationZone: str | None = None  # noqa: N815


class EidoNoteComponent(_Open):
    noteText: str = ""  # noqa: N815
    noteDateTimeStamp: datetime | None = None  # noqa: N815


class EidoIncident(_Open):
    """An EIDO incident document (the parts read; the rest is kept out of the way)."""

    incidentComponent: EidoIncidentComponent  # noqa: N815
    callComponent: list[EidoCallComponent] = Field(default_factory=list)  # noqa: N815
    locationComponent: list[EidoLocationComponent] = Field(default_factory=list)  # noqa: N815
    notesComponent: list[EidoNoteComponent] = Field(default_factory=list)  # noqa: N815

    def to_call(self) -> CallRecord:
        """The canonical call; a document without any timestamp is refused (ValueError)."""
        incident = self.incidentComponent
        call = self.callComponent[0] if self.callComponent else None
        received = (call.callStartTimestamp if call else None) or incident.lastUpdateTimestamp
        if received is None:
            raise ValueError(
                "callComponent[0].callStartTimestamp: needed (or incidentComponent."
                "lastUpdateTimestamp)"
            )
        fields: dict[str, Any] = {
            "call_id": incident.incidentTrackingIdentifier,
            "agency": incident.incidentOriginatingAgencyIdentifier,
            "received_at": received,
        }
        if incident.incidentTypeCommonRegistryText:
            code = incident.incidentTypeCommonRegistryText[0].strip()
            if code.upper() in Taxonomy.load().incident_types:
                fields["incident_type"] = code.upper()
            else:
                fields["local_type"] = code
        if call and call.callTypeDescriptionRegistryText:
            named = call.callTypeDescriptionRegistryText.strip().lower()
            if named in {s.value for s in CallSource}:
                fields["source"] = named
        if self.locationComponent:
            place = self.locationComponent[0]
            by_value = place.locationByValue
            lat = place.latitude if place.latitude is not None else by_value and by_value.latitude
            lon = (
                place.longitude if place.longitude is not None else by_value and by_value.longitude
            )
            if lat is not None and lon is not None:
                fields["lat"], fields["lon"] = lat, lon
            fields["zone"] = place.locationZone
        notes = sorted(
            (n for n in self.notesComponent if n.noteText.strip()),
            key=lambda n: n.noteDateTimeStamp or received,
        )
        if notes:
            fields["narrative"] = " / ".join(n.noteText.strip() for n in notes)
        return CallRecord.model_validate(fields)
