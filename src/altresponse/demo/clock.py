"""The demo's clock: simulated time that runs RATE times faster than real time."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from altresponse.errors import InputError


class FastClock:
    """A callable giving the simulated now: START plus the real time elapsed, times RATE.

    The service stamps every change with it and the replay schedules its calls by it, so both
    see one clock. Real time is read from `time.monotonic`, which never jumps.
    """

    def __init__(self, start: datetime, rate: float) -> None:
        """START is the simulated instant at creation (timezone-aware); RATE is the speed-up."""
        if start.tzinfo is None:
            raise InputError("start: the demo clock needs a timezone-aware start")
        if not rate > 0:
            raise InputError(f"rate: the speed-up must be above 0, got {rate!r}")
        self.start = start.astimezone(UTC)
        self.rate = float(rate)
        self.started = time.monotonic()

    def __call__(self) -> datetime:
        """The simulated now (UTC)."""
        return self.start + timedelta(seconds=(time.monotonic() - self.started) * self.rate)

    def real_seconds(self, sim_seconds: float) -> float:
        """How many real seconds SIM_SECONDS of simulated time take."""
        return sim_seconds / self.rate

    def sim_seconds(self, real_seconds: float) -> float:
        """How many simulated seconds REAL_SECONDS of real time are."""
        return real_seconds * self.rate

    def monotonic_at(self, moment: datetime) -> float:
        """The `time.monotonic()` reading at which the clock shows MOMENT."""
        return self.started + self.real_seconds((moment - self.start).total_seconds())
