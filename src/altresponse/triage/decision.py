"""A triage decision: the track to send, why, and under which protocol version."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from altresponse.programs.model import Mode
from altresponse.triage.flags import Track


@dataclass(frozen=True, slots=True)
class Reason:
    """One reason for a decision: a stable id (rule id or engine reason) and plain words."""

    id: str
    says: str


@dataclass(frozen=True, slots=True)
class Decision:
    """What the protocol recommends for one call (DESIGN.md, Core vocabulary: Decision)."""

    call_id: str
    track: Track
    also: tuple[Track, ...]
    eligible: bool
    priority: int
    reasons: tuple[Reason, ...]
    program: str
    protocol_version: str
    response: str
    unserved_reason: str | None
    mode: Mode

    def to_json_dict(self) -> dict[str, Any]:
        """The decision as plain JSON values (one line of `altresponse triage` output)."""
        return {
            "call_id": self.call_id,
            "track": self.track.value,
            "also": [track.value for track in self.also],
            "eligible": self.eligible,
            "priority": self.priority,
            "reasons": [{"id": reason.id, "says": reason.says} for reason in self.reasons],
            "program": self.program,
            "protocol_version": self.protocol_version,
            "response": self.response,
            "unserved_reason": self.unserved_reason,
            "mode": self.mode.value,
        }
