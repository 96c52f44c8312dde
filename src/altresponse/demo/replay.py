"""A day of calls replayed against a running service over HTTP, as a CAD and field tablets would.

Three bots share one background thread and one scheduler (a heap of jobs due at real,
monotonic times):

- the CAD posts each call when the demo clock reaches its time of day;
- a dispatcher sends each queued call to the recommended team once it has waited a little, so a
  person at the console may dispatch first;
- the teams move each incident they hold along, whoever dispatched it: en route at once, on
  scene after a drive, a disposition, cleared after their time on scene, then closed. Drive and
  on-scene times are drawn from the times fitted to a real crisis team (DEFAULT_TIMES).

A 409 means a person at a console moved first: it is expected, and logged at DEBUG only. Any
other failure is logged at ERROR with the endpoint and status, never with a call's content.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import logging
import random
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import httpx

from altresponse.demo.clock import FastClock
from altresponse.demo.day import DayCall, DayOfCalls
from altresponse.demo.setup import BOT_USERS, DEMO_PASSWORD
from altresponse.operations.auth import Role
from altresponse.simulation.times import DEFAULT_TIMES, FittedTimes

LOG = logging.getLogger("altresponse.demo")

BACKUP_RATE = 0.006
"""Share of calls on which a team asks police for backup: CAHOOTS' published 0.6%."""
OUTCOMES = (("resolved", 0.66), ("referred", 0.22), ("transported", 0.12))
"""How a call seen on scene ends. Assumption, in line with Lane County's crisis team (most
resolved in the community, about one in seven taken for care: docs/sample-city.md)."""
REFERRAL_KINDS = {
    "intoxication": "sobering_centre",
    "drugs": "detox",
    "homelessness": "shelter",
    "welfare_check": "food",
}
"""Where a team refers the person, by the call's category (else the walk-in clinic)."""
DEFAULT_REFERRAL = "walk_in_clinic"
TRANSPORT_KIND = "crisis_stabilisation"
TRANSPORT_MINUTES = 20.0
"""Drive to the crisis stabilisation unit and hand-over (assumption)."""
CLOSE_AFTER_MINUTES = 2.0
"""Notes written between clearing a call and closing it (assumption)."""
LONGEST_MINUTES = 240.0
"""A drawn time is cut at four hours: the fitted tail would keep a team off the demo for a day."""
FOLLOW_UP_EVERY_MINUTES = 120.0
FOLLOW_UP_SHARE = 0.5
"""Each round, a team gets to about half of the follow-ups on the work list."""
FOLLOW_UP_OUTCOMES = (("reached", 0.6), ("not_reached", 0.25), ("declined", 0.1),
                      ("referred", 0.05))  # fmt: skip
LOOK_SECONDS = (0.1, 0.5)
"""The bots look at the floor (GET /live) every simulated minute, within these real seconds."""
IDLE_SECONDS = 0.5
"""The longest the thread sleeps at once, so that stop() is seen at once."""


@dataclass
class ReplayCounts:
    """What the bots did so far (read by the CLI and the tests)."""

    calls_posted: int = 0
    queued: int = 0
    dispatched: int = 0
    on_scene: int = 0
    cleared: int = 0
    closed: int = 0
    backups: int = 0
    referrals: int = 0
    transports: int = 0
    follow_ups: int = 0
    conflicts: int = 0
    errors: int = 0


@dataclass
class Walk:
    """An incident a team holds, as the field bot walks it to closed."""

    incident_id: int
    team_id: int | None
    lat: float | None
    lon: float | None
    outcome: str
    category: str | None


class Api:
    """One HTTP client for the bots: 409s are tolerated, other failures counted and logged."""

    def __init__(
        self, client: httpx.Client, counts: ReplayCounts, closing: Callable[[], bool]
    ) -> None:
        """CLOSING says the service is shutting down: a refused connection is then expected."""
        self.client, self.counts, self.closing = client, counts, closing

    def login(self, name: str, password: str) -> dict[str, str]:
        """Bearer headers for NAME (raises if the service refuses)."""
        response = self.client.post("/auth/token", json={"name": name, "password": password})
        response.raise_for_status()
        return {"authorization": f"Bearer {response.json()['token']}"}

    def call(
        self, method: str, path: str, endpoint: str, who: dict[str, str], body: Any = None
    ) -> Any:
        """The JSON answer, or None after a 409 or a failure (ENDPOINT names it in the log)."""
        try:
            response = self._send(method, path, who, body)
        except httpx.TransportError as exc:
            if self.closing():
                LOG.info("%s %s: the service is shutting down", method, endpoint)
                return None
            self.counts.errors += 1
            LOG.error("%s %s: %s", method, endpoint, type(exc).__name__)
            return None
        if response.status_code == httpx.codes.CONFLICT:
            self.counts.conflicts += 1
            LOG.debug("%s %s: 409, someone moved first", method, endpoint)
            return None
        if not response.is_success:
            self.counts.errors += 1
            LOG.error("%s %s: HTTP %d", method, endpoint, response.status_code)
            return None
        return response.json()

    def _send(self, method: str, path: str, who: dict[str, str], body: Any) -> httpx.Response:
        """One request, tried a second time if the connection dropped (every bot call may be)."""
        try:
            return self.client.request(method, path, headers=who, json=body)
        except httpx.TransportError:
            if self.closing():
                raise
            return self.client.request(method, path, headers=who, json=body)


def _choose(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    """One of the names, by weight."""
    names, weights = zip(*weighted, strict=True)
    chosen: str = rng.choices(names, weights)[0]
    return chosen


class Replay:
    """The CAD, dispatcher and field bots replaying DAY against the service at BASE_URL."""

    def __init__(
        self,
        base_url: str,
        clock: FastClock,
        day: DayOfCalls,
        *,
        seed: int = 2026,
        dispatch_after: timedelta = timedelta(minutes=2),
        password: str = DEMO_PASSWORD,
        bots: Mapping[Role, str] = BOT_USERS,
        times: FittedTimes = DEFAULT_TIMES,
        run_id: str | None = None,
        closing: Callable[[], bool] = lambda: False,
    ) -> None:
        """The day starts when CLOCK started; RUN_ID (random by default) prefixes call ids."""
        self.clock, self.day, self.times = clock, day, times
        self.dispatch_after = dispatch_after
        self.run_id = run_id or secrets.token_hex(3)
        self.counts = ReplayCounts()
        self.done = threading.Event()
        """Set once every call is posted and the floor is empty again."""
        self._password, self._bots = password, dict(bots)
        self._rng = random.Random(seed)
        self._stop = threading.Event()
        self._closing = closing
        self._api = Api(httpx.Client(base_url=base_url, timeout=30.0), self.counts, closing)
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._order = itertools.count()
        self._who: dict[Role, dict[str, str]] = {}
        self._walks: dict[int, Walk] = {}
        self._categories: dict[int, str | None] = {}
        self._resources: dict[str, tuple[int, str]] = {}
        self._calls_left = len(day.calls)
        self._thread = threading.Thread(target=self._run, name="demo-replay", daemon=True)

    # the thread and its scheduler -------------------------------------------------------------
    def start(self) -> None:
        """Log the bots in and start replaying in the background."""
        self._thread.start()

    def stop(self) -> None:
        """Ask the thread to stop after the job it is doing."""
        self._stop.set()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread to end; whether it has."""
        if self._thread.ident is not None:  # never started: nothing to wait for
            self._thread.join(timeout)
        return not self._thread.is_alive()

    def snapshot(self) -> ReplayCounts:
        """A copy of the counters."""
        return replace(self.counts)

    def _at(self, when: float, job: Callable[[], None]) -> None:
        """Run JOB at the monotonic time WHEN."""
        heapq.heappush(self._heap, (when, next(self._order), job))

    def _in_minutes(self, minutes: float, job: Callable[[], None]) -> None:
        """Run JOB after MINUTES of simulated time."""
        self._at(time.monotonic() + self.clock.real_seconds(minutes * 60.0), job)

    def _run(self) -> None:
        try:
            self._begin()
            while self._heap and not self._stop.is_set():  # the look round never runs out
                wait = self._heap[0][0] - time.monotonic()
                if wait > 0:
                    self._stop.wait(min(wait, IDLE_SECONDS))
                    continue
                heapq.heappop(self._heap)[2]()
                if self._closing():
                    break
        except Exception:  # the demo goes on serving; what went wrong is in the log
            LOG.exception("the replay stopped")
        finally:
            self._api.client.close()

    def _begin(self) -> None:
        """Log in, read the resource directory, schedule every call and the recurring rounds."""
        self._who = {
            role: self._api.login(name, self._password) for role, name in self._bots.items()
        }
        for place in self._api.call("GET", "/resources", "/resources", self._field()) or []:
            self._resources.setdefault(place["kind"], (place["id"], place["name"]))
        for call in self.day.calls:
            moment = self.clock.start + timedelta(seconds=call.offset)
            self._at(self.clock.monotonic_at(moment), functools.partial(self._post, call))
        self._at(time.monotonic(), self._look)
        self._in_minutes(FOLLOW_UP_EVERY_MINUTES, self._follow_ups)
        LOG.info(
            "replaying %d calls of %s (run %s)", len(self.day.calls), self.day.day, self.run_id
        )

    def _field(self) -> dict[str, str]:
        return self._who[Role.RESPONDER]

    # the CAD ----------------------------------------------------------------------------------
    def _post(self, call: DayCall) -> None:
        """Post a call as it comes in, stamped with the demo clock."""
        self._calls_left -= 1
        body = dict(call.body)
        body["call_id"] = f"{self.run_id}-{body['call_id']}"
        body["received_at"] = self.clock().isoformat()
        found = self._api.call("POST", "/calls", "/calls", self._who[Role.CALL_TAKER], body)
        if found is None:
            return
        self.counts.calls_posted += 1
        self._categories[found["id"]] = body.get("category")
        if found["state"] == "queued":
            self.counts.queued += 1

    # the dispatcher ---------------------------------------------------------------------------
    def _look(self) -> None:
        """Look at the floor: dispatch what has waited, take on what teams hold, see if done."""
        live = self._api.call("GET", "/live", "/live", self._who[Role.DISPATCHER])
        if live is not None:
            self._dispatch(live["queue"])
            for entry in live["open"]:
                if entry["id"] not in self._walks and entry["team_id"] is not None:
                    self._take_on(entry)
            if self._calls_left == 0 and not self._walks and not live["open"]:
                self.done.set()
        low, high = LOOK_SECONDS
        self._at(time.monotonic() + min(max(self.clock.real_seconds(60.0), low), high), self._look)

    def _dispatch(self, queue: list[dict[str, Any]]) -> None:
        """Send each call that has waited DISPATCH_AFTER to the recommended team."""
        now, who = self.clock(), self._who[Role.DISPATCHER]
        for entry in queue:
            if now - datetime.fromisoformat(entry["queued_at"]) < self.dispatch_after:
                continue
            path = f"/incidents/{entry['id']}"
            endpoint = "/incidents/{id}/recommendation"
            found = self._api.call("GET", f"{path}/recommendation", endpoint, who)
            if found is None or found["team_id"] is None:
                continue
            body = {"team_id": found["team_id"]}
            if self._api.call("POST", f"{path}/dispatch", "/incidents/{id}/dispatch", who, body):
                self.counts.dispatched += 1

    # the teams --------------------------------------------------------------------------------
    def _take_on(self, entry: dict[str, Any]) -> None:
        """A team holds this incident: carry on from where it is."""
        walk = Walk(
            incident_id=entry["id"], team_id=entry["team_id"], lat=entry["lat"], lon=entry["lon"],
            outcome=_choose(self._rng, OUTCOMES), category=self._categories.get(entry["id"]),
        )  # fmt: skip
        self._walks[walk.incident_id] = walk
        state = entry["state"]
        if state == "dispatched":
            self._depart(walk)
        elif state == "en_route":
            self._in_minutes(self._draw("dispatch_to_arrival"), lambda: self._arrive(walk))
        elif state == "on_scene":
            self._in_minutes(self._draw("on_scene"), lambda: self._finish(walk))
        elif state == "transporting":
            self._in_minutes(TRANSPORT_MINUTES, lambda: self._clear(walk))
        elif state == "cleared":
            self._in_minutes(CLOSE_AFTER_MINUTES, lambda: self._close(walk))
        else:
            del self._walks[walk.incident_id]

    def _draw(self, segment: str) -> float:
        """Minutes drawn from the fitted time SEGMENT, at most LONGEST_MINUTES."""
        distribution = getattr(self.times, segment)
        return float(min(distribution.sample(self._rng), LONGEST_MINUTES))

    def _move(self, walk: Walk, state: str) -> bool:
        """Change the incident's state; when refused, let go (the next look resumes it)."""
        path, who = f"/incidents/{walk.incident_id}/state", self._field()
        if self._api.call("POST", path, "/incidents/{id}/state", who, {"state": state}):
            return True
        self._walks.pop(walk.incident_id, None)
        return False

    def _record(self, walk: Walk, what: str, body: dict[str, Any]) -> bool:
        """POST a field record (backup, disposition, referrals) for the walk's incident."""
        path = f"/incidents/{walk.incident_id}/{what}"
        return bool(self._api.call("POST", path, f"/incidents/{{id}}/{what}", self._field(), body))

    def _depart(self, walk: Walk) -> None:
        if self._move(walk, "en_route"):
            self._in_minutes(self._draw("dispatch_to_arrival"), lambda: self._arrive(walk))

    def _arrive(self, walk: Walk) -> None:
        """On scene: the team's position is the call's, and now and then it asks for backup."""
        if not self._move(walk, "on_scene"):
            return
        self.counts.on_scene += 1
        if walk.team_id is not None and walk.lat is not None and walk.lon is not None:
            place = {"lat": walk.lat, "lon": walk.lon}
            self._api.call("PATCH", f"/teams/{walk.team_id}", "/teams/{id}", self._field(), place)
        if self._rng.random() < BACKUP_RATE:
            reason = "person became aggressive on scene"
            if self._record(walk, "backup", {"track": "police", "reason": reason}):
                self.counts.backups += 1
        self._in_minutes(self._draw("on_scene"), lambda: self._finish(walk))

    def _finish(self, walk: Walk) -> None:
        """How the call ended; a transport drives to the crisis stabilisation unit first."""
        if walk.outcome == "transported" and TRANSPORT_KIND in self._resources:
            if not self._move(walk, "transporting"):
                return
            where = self._resources[TRANSPORT_KIND][1]
            body = {"disposition": "transported", "transported_to": where}
            if self._record(walk, "disposition", body):
                self.counts.transports += 1
            self._in_minutes(TRANSPORT_MINUTES, lambda: self._clear(walk))
            return
        kind = REFERRAL_KINDS.get(walk.category or "", DEFAULT_REFERRAL)
        if walk.outcome == "referred" and kind in self._resources:
            self._record(walk, "disposition", {"disposition": "referred"})
            if self._record(walk, "referrals", {"resource_id": self._resources[kind][0]}):
                self.counts.referrals += 1
        else:
            self._record(walk, "disposition", {"disposition": "resolved"})
        self._clear(walk)

    def _clear(self, walk: Walk) -> None:
        if self._move(walk, "cleared"):
            self.counts.cleared += 1
            self._in_minutes(CLOSE_AFTER_MINUTES, lambda: self._close(walk))

    def _close(self, walk: Walk) -> None:
        if self._move(walk, "closed"):
            self.counts.closed += 1
            self._walks.pop(walk.incident_id, None)

    def _follow_ups(self) -> None:
        """Work through about half of the follow-ups that are due."""
        for item in self._api.call("GET", "/follow-ups", "/follow-ups", self._field()) or []:
            if self._rng.random() >= FOLLOW_UP_SHARE:
                continue
            body = {"outcome": _choose(self._rng, FOLLOW_UP_OUTCOMES)}
            path = f"/follow-ups/{item['id']}"
            if self._api.call("POST", path, "/follow-ups/{id}", self._field(), body):
                self.counts.follow_ups += 1
        self._in_minutes(FOLLOW_UP_EVERY_MINUTES, self._follow_ups)
