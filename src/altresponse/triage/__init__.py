"""Triage: a program's protocol applied to one call (live) or a whole table (batch), safely."""

from altresponse.programs.model import Mode
from altresponse.triage.decision import Decision, Reason
from altresponse.triage.flags import CIVILIAN_ONLY, Need, RedFlag, Track
from altresponse.triage.live import decide

__all__ = ["CIVILIAN_ONLY", "Decision", "Mode", "Need", "Reason", "RedFlag", "Track", "decide"]
