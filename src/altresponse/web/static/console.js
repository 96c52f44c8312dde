/* The call-taker and dispatcher console: screen a call one key per question, see the recommended
   response change with each answer, take the call, dispatch the recommended team in one action,
   and watch the queue, the units and the map, all kept live by the event stream. */
"use strict";
(() => {
  const { data, h, svg, api, toast } = AR;
  const $ = (id) => document.getElementById(id);
  const form = $("call-form");
  const questions = [...document.querySelectorAll("fieldset.q")];
  let live = null;
  let taken = null;          // the incident just taken, and the team recommended for it
  let stream = null;

  /* the draft call, as the form has it now */
  function typeCode(text) {
    const wanted = text.trim().toLowerCase();
    if (!wanted) return null;
    const found = data.incident_types.find((t) => t.label.toLowerCase() === wanted)
      || data.incident_types.find((t) => t.name.toLowerCase() === wanted || t.code.toLowerCase() === wanted);
    return found ? found.code : null;
  }
  function answer(fieldset) {
    const checked = fieldset.querySelector("input:checked");
    if (!checked || checked.value === "") return null;
    if (checked.value === "true") return true;
    if (checked.value === "false") return false;
    return checked.value;
  }
  function draft() {
    const typed = form.elements.incident_type.value.trim();
    const zone = data.zones.find((z) => z.id === form.elements.zone.value);
    const screening = {};
    for (const q of questions) screening[q.dataset.field] = answer(q);
    return {
      local_type: typed || null,
      incident_type: typeCode(typed),
      source: form.elements.source.value,
      zone: form.elements.zone.value || null,
      // no geocoder offline: a zone's centre stands for the place, for the nearest team
      lat: zone ? zone.lat : null,
      lon: zone ? zone.lon : null,
      narrative: form.elements.narrative.value.trim() || null,
      screening,
    };
  }

  /* the recommendation, updated as the answers come in */
  const preview = AR.throttle(async () => {
    if (taken) return;
    const call = draft();
    if (!call.local_type && !call.narrative) { waiting(); return; }
    showDecision(await api("POST", "/triage", call));
  }, 150);

  function waiting() {
    const box = $("decision-response");
    box.className = "response muted";
    box.textContent = "Type the call to see the recommendation.";
    $("decision-reasons").replaceChildren();
    $("decision-unanswered").hidden = true;
    $("decision-team").textContent = "";
    for (const q of questions) q.dataset.missing = "no";
  }

  function showDecision(d) {
    const response = data.responses[d.response] || { label: d.response, track: d.track };
    const box = $("decision-response");
    box.className = `response track-${d.track}`;
    box.textContent = `${response.label} · priority ${d.priority}`;
    if (d.unserved_reason) box.append(h("span", { class: "muted" }, ` (eligible, but ${AR.words(d.unserved_reason)})`));
    // what decided it first (a red flag, a place or hour), then the protocol rule it overrode
    const said = d.reasons.filter((r) => !r.id.startsWith("unknown:"));
    const isFlag = (r) => r.id.startsWith("notes:") || r.id.startsWith("screening:");
    const flags = said.filter(isFlag);
    const rules = said.filter((r) => !isFlag(r));
    $("decision-reasons").replaceChildren(
      ...flags.map((r) => h("li", { class: "flag" }, r.says)),
      ...rules.map((r) => h("li", { class: flags.length ? "muted" : null }, flags.length ? `Protocol without the flag: ${r.says}` : r.says)));
    const missing = $("decision-unanswered");
    missing.hidden = d.unanswered.length === 0;
    missing.textContent = d.unanswered.length
      ? `Not yet asked: ${d.unanswered.map(AR.words).join(", ")}. An unknown answer never sends a civilian team alone.`
      : "";
    for (const q of questions) q.dataset.missing = d.unanswered.includes(q.dataset.field) ? "yes" : "no";
    $("decision-team").textContent = d.program_response
      ? (d.team ? `Team: ${d.team.team}${d.team.distance_km !== null ? ` (${d.team.distance_km} km)` : ""}` : "No team free now: the call will wait in the queue.")
      : "";
  }

  function markAnswers() {
    for (const q of questions) {
      const value = answer(q);
      q.dataset.answered = value === null ? "no" : "yes";
      q.dataset.flag = q.classList.contains("safety") && (value === true || value === "plan" || value === "attempt") ? "yes" : "no";
    }
  }

  /* one key per question: the answer's key sets it and moves on to the next question */
  $("questions").addEventListener("keydown", (event) => {
    const fieldset = event.target.closest("fieldset.q");
    if (!fieldset || event.ctrlKey || event.altKey || event.metaKey) return;
    const key = event.key.toLowerCase();
    const spec = data.questions[Number(fieldset.dataset.index)];
    const chosen = spec.answers.find((a) => a.key === key);
    if (!chosen) return;
    event.preventDefault();
    const value = chosen.value === null ? "" : String(chosen.value);
    const input = [...fieldset.querySelectorAll("input")].find((i) => i.value === value);
    input.checked = true;
    changed();
    const next = questions[Number(fieldset.dataset.index) + 1];
    if (next) (next.querySelector("input:checked") || next.querySelector("input")).focus();
    else $("take-call").focus();
  });

  function changed() { markAnswers(); preview(); }
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  form.addEventListener("submit", (event) => { event.preventDefault(); takeCall(); });
  form.elements.incident_type.addEventListener("keydown", (event) => {
    if (event.key === "Enter") { event.preventDefault(); form.elements.narrative.focus(); }
  });

  function newCall() {
    form.reset();
    taken = null;
    $("taken").textContent = "";
    $("dispatch-taken").hidden = true;
    $("take-call").disabled = false;
    markAnswers();
    preview();
    form.elements.incident_type.focus();
  }

  async function takeCall() {
    if (taken) return;
    const call = draft();
    if (!call.local_type) { toast("Say what the call is about (call type) first."); form.elements.incident_type.focus(); return; }
    const id = `CT-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`.toUpperCase();
    const body = { call_id: id, agency: data.program.id, received_at: AR.now().toISOString(), ...call };
    if (!body.incident_type) delete body.incident_type;
    $("take-call").disabled = true;
    try {
      const incident = await api("POST", "/calls", body);
      taken = { incident, team: null };
      let text = `Call #${incident.id} taken: ${AR.words(incident.state)}`;
      if (incident.state_reason) text += ` (${incident.state_reason})`;
      $("taken").textContent = text;
      showDecision({ ...incident, response_label: "", program_response: false, unanswered: unanswered(incident), team: null });
      if (incident.state === "queued") {
        const team = await api("GET", `/incidents/${incident.id}/recommendation`);
        taken.team = team.team_id ? team : null;
        const button = $("dispatch-taken");
        button.hidden = !taken.team;
        if (taken.team) { button.replaceChildren(h("kbd", {}, "F9"), `Dispatch ${team.team}`); button.focus(); }
      }
    } catch (error) {
      $("take-call").disabled = false;
      toast(error.message);
    }
  }
  function unanswered(incident) {
    return incident.reasons.filter((r) => r.id.startsWith("unknown:")).map((r) => r.id.slice(8));
  }

  async function dispatch(incidentId, teamId, teamName) {
    try {
      await api("POST", `/incidents/${incidentId}/dispatch`, { team_id: teamId });
      $("taken").textContent = `Dispatched ${teamName} to call #${incidentId}.`;
      if (taken && taken.incident.id === incidentId) $("dispatch-taken").hidden = true;
    } catch (error) {
      toast(error.message);
    }
  }
  $("take-call").addEventListener("click", takeCall);
  $("new-call").addEventListener("click", newCall);
  $("dispatch-taken").addEventListener("click", () => {
    if (taken && taken.team) dispatch(taken.incident.id, taken.team.team_id, taken.team.team);
  });

  document.addEventListener("keydown", (event) => {
    if (event.key === "F2") { event.preventDefault(); newCall(); }
    else if (event.key === "F8") { event.preventDefault(); takeCall(); }
    else if (event.key === "F9") {
      event.preventDefault();
      if (taken && taken.team && !$("dispatch-taken").hidden) $("dispatch-taken").click();
      else if (live && live.queue.length && live.queue[0].recommended) {
        const first = live.queue[0];
        dispatch(first.id, first.recommended.team_id, first.recommended.team);
      }
    }
  });

  /* the floor: queue, units, open calls, map */
  const refresh = AR.throttle(async () => {
    live = await api("GET", "/live");
    AR.setClock(live.now, live.clock_rate);
    render();
  }, 400);

  function waited(i) { return (AR.now() - new Date(i.queued_at)) / 60000; }
  function describe(i) { return `${AR.typeName(i.incident_type, i.local_type)}`; }

  function render() {
    const rows = live.queue.map((i) => h("tr", { class: waited(i) > data.program.max_wait_minutes / 2 ? "late" : null },
      h("td", { class: "num" }, i.priority),
      h("td", { class: "num", dataset: { since: i.queued_at } }, AR.since(i.queued_at)),
      h("td", {}, `#${i.id} ${describe(i)}`),
      h("td", {}, i.zone || ""),
      h("td", {}, i.recommended ? i.recommended.team : "none free"),
      h("td", {}, h("button", {
        type: "button", class: "go", disabled: !i.recommended,
        "aria-label": i.recommended ? `Dispatch ${i.recommended.team} to call ${i.id}` : `No team free for call ${i.id}`,
        onclick: () => dispatch(i.id, i.recommended.team_id, i.recommended.team),
      }, "Dispatch"))));
    document.querySelector("#queue tbody").replaceChildren(...rows);
    $("queue-count").textContent = live.queue.length;
    $("queue-empty").hidden = live.queue.length > 0;

    const open = new Map(live.open.map((i) => [i.id, i]));
    document.querySelector("#units tbody").replaceChildren(...live.units.map((u) => {
      const i = u.incident_id ? open.get(u.incident_id) : null;
      return h("tr", {},
        h("td", {}, u.name),
        h("td", {}, h("span", { class: `badge ${u.status}` }, AR.words(u.status)), u.on_shift ? "" : h("span", { class: "muted" }, " off shift")),
        h("td", { class: "num", dataset: i ? { since: i.state_since } : {} }, i ? AR.since(i.state_since) : ""),
        h("td", {}, i ? `#${i.id} ${describe(i)}` : ""),
        h("td", {}, u.shift || "any time"));
    }));
    $("units-count").textContent = live.units.length;

    $("open").replaceChildren(...live.open.filter((i) => i.state !== "queued").map((i) => h("li", {},
      h("span", { class: `badge ${i.state}` }, AR.words(i.state)),
      h("span", {}, `#${i.id} ${describe(i)}`),
      h("span", { class: "t" }, i.zone || ""),
      h("span", { class: "t" }, `received ${AR.hhmm(i.received_at)}`))));
    $("open-count").textContent = live.open.length;
    $("recent").replaceChildren(...live.recent.map((i) => h("li", {},
      h("span", { class: "t" }, AR.hhmm(i.received_at)),
      h("span", { class: `badge ${i.state}` }, AR.words(i.state)),
      h("span", { class: `track-${i.track}` }, (data.responses[i.response] || { label: i.response }).label),
      h("span", {}, `#${i.id} ${describe(i)}`),
      i.state_reason ? h("span", { class: "muted" }, i.state_reason) : null)));
    drawMap();
  }

  function drawMap() {
    const map = $("map");
    const points = [
      ...data.zones.map((z) => [z.lat, z.lon]),
      ...live.open.filter((i) => i.lat !== null).map((i) => [i.lat, i.lon]),
      ...live.units.filter((u) => u.lat !== null).map((u) => [u.lat, u.lon]),
    ];
    const keep = [map.querySelector("desc")];
    if (!points.length) { map.replaceChildren(...keep, svg("text", { x: 200, y: 150, "text-anchor": "middle", class: "label" }, "No positions yet")); return; }
    const lats = points.map((p) => p[0]), lons = points.map((p) => p[1]);
    const [south, north, west, east] = [Math.min(...lats), Math.max(...lats), Math.min(...lons), Math.max(...lons)];
    const k = Math.cos(((south + north) / 2) * Math.PI / 180);
    const spanX = Math.max((east - west) * k, 0.01), spanY = Math.max(north - south, 0.01);
    const scale = Math.min(360 / spanX, 260 / spanY);
    const x = (lon) => 200 + ((lon - (west + east) / 2) * k) * scale;
    const y = (lat) => 150 - (lat - (south + north) / 2) * scale;
    const shapes = [];
    for (const z of data.zones) shapes.push(svg("g", { class: "zone" }, svg("circle", { cx: x(z.lon), cy: y(z.lat), r: 16 }), svg("text", { x: x(z.lon), y: y(z.lat) + 28, "text-anchor": "middle" }, z.id)));
    for (const i of live.open) {
      if (i.lat === null) continue;
      shapes.push(svg("circle", { class: `incident p${i.priority}`, cx: x(i.lon), cy: y(i.lat), r: 5 }, svg("title", {}, `#${i.id} ${describe(i)} (${AR.words(i.state)})`)));
    }
    for (const u of live.units) {
      if (u.lat === null || !(u.on_shift || u.incident_id)) continue;  // teams at work only
      const cx = x(u.lon), cy = y(u.lat);
      shapes.push(svg("g", {}, svg("rect", { class: `team${u.incident_id ? " busy" : ""}`, x: cx - 4, y: cy - 4, width: 8, height: 8 }, svg("title", {}, `${u.name}: ${AR.words(u.status)}`)),
        u.incident_id ? svg("text", { class: "label", x: cx + 6, y: cy + 3 }, u.name) : null));
    }
    map.replaceChildren(...keep, ...shapes);
  }

  /* timers tick locally between refreshes */
  setInterval(() => { for (const cell of document.querySelectorAll("[data-since]")) cell.textContent = AR.since(cell.dataset.since); }, 1000);

  AR.start(async () => {
    try {
      live = await api("GET", "/live");
      AR.setClock(live.now, live.clock_rate);
      render();
      if (stream) stream.stop();
      stream = AR.follow(live.last_event_id, () => refresh());
      setInterval(refresh, 15000);
      markAnswers();
      preview();
      form.elements.incident_type.focus();
      document.body.dataset.ready = "yes";
    } catch (error) {
      toast(error.message);
    }
  });
})();
