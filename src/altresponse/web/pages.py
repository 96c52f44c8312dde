"""The console pages: server-rendered shells that read the API and follow its event stream.

Each page is rendered with what does not change while the service runs (the program, its
screening questions, incident types, zones, the lifecycle); the live parts come from `GET /live`,
`GET /board` and the event stream, read by a little JavaScript with the user's token. Nothing is
loaded from another host: the Content-Security-Policy says so to the browser.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from altresponse import __version__
from altresponse.calls.record import Disposition
from altresponse.operations.field import FOLLOW_UP_OUTCOMES
from altresponse.operations.lifecycle import TERMINAL, TRANSITIONS
from altresponse.operations.service import Operations
from altresponse.taxonomy import Taxonomy
from altresponse.web.questions import questions_for

HERE = Path(__file__).parent
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
PAGES = {
    "console": "Call-taker and dispatcher",
    "responder": "Responder",
    "supervisor": "Supervisor board",
}


@dataclass(frozen=True)
class MapZone:
    """A zone drawn on the console's map: a labelled point at its centre."""

    id: str
    lat: float
    lon: float


def _zones(ops: Operations, zones: Sequence[MapZone] | None) -> list[dict[str, Any]]:
    if zones is None:
        found = ops.program.zones or ()
        zones = [MapZone(z.id, z.lat, z.lon) for z in found if z.lat is not None and z.lon]
    return [{"id": z.id, "lat": z.lat, "lon": z.lon} for z in zones]


def page_data(ops: Operations, zones: Sequence[MapZone] | None = None) -> dict[str, Any]:
    """What every console knows from the start: the program and the rules of its lifecycle."""
    program = ops.program
    taxonomy = Taxonomy.load()
    return {
        "program": {
            "id": program.id, "name": program.name, "city": program.city,
            "timezone": program.timezone, "max_wait_minutes": program.queue.max_wait_minutes,
        },
        "questions": [q.to_json() for q in questions_for(program)],
        "incident_types": sorted(
            (
                {"code": t.code, "name": t.name.title(), "label": f"{t.name.title()} ({t.code})"}
                for t in taxonomy.incident_types.values()
            ),
            key=lambda t: t["label"],
        ),
        "responses": {
            r.id: {"label": r.label, "track": r.track.value, "program": r.program}
            for r in program.responses
        },
        "zones": _zones(ops, zones),
        "transitions": {s.value: sorted(t.value for t in nxt) for s, nxt in TRANSITIONS.items()},
        "terminal": sorted(s.value for s in TERMINAL),
        "dispositions": [d.value for d in Disposition],
        "follow_up_outcomes": list(FOLLOW_UP_OUTCOMES),
    }  # fmt: skip


def mount_consoles(
    app: FastAPI, ops: Operations, *, zones: Sequence[MapZone] | None = None
) -> None:
    """Serve the consoles and their static assets on APP (ZONES: what the map labels)."""
    templates = Jinja2Templates(directory=HERE / "templates")
    data = page_data(ops, zones)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    def render(request: Request, page: str) -> Response:
        response = templates.TemplateResponse(
            request,
            f"{page}.html",
            {"page": page, "title": PAGES.get(page, "altresponse"), "pages": PAGES,
             "data": data, "program": ops.program, "version": __version__},
        )  # fmt: skip
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    def page_route(page: str) -> Callable[[Request], Response]:
        def show(request: Request) -> Response:
            return render(request, page)

        return show

    for page in ("home", *PAGES):
        path = "/" if page == "home" else f"/{page}"
        app.add_api_route(
            path, page_route(page), methods=["GET"], response_class=HTMLResponse,
            include_in_schema=False,
        )  # fmt: skip
