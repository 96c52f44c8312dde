/* The supervisor board: today's volumes and response times, eligible calls not served and why,
   backup rate, follow-ups overdue, team workload and debriefs after critical calls. */
"use strict";
(() => {
  const { h, api, toast } = AR;
  const $ = (id) => document.getElementById(id);
  const INTERVALS = { to_dispatch: "Call received to team dispatched", to_arrival: "Call received to team on scene", on_scene: "Time on scene" };
  const number = (n) => (n === null || n === undefined ? "–" : Number(n).toLocaleString("en-US"));
  const minutes = (n) => (n === null || n === undefined ? "–" : Number(n).toFixed(1));

  const refresh = AR.throttle(async () => {
    const board = await api("GET", "/board");
    AR.setClock(board.now, AR.rate || 1);
    render(board);
    document.body.dataset.ready = "yes";
  }, 1000);

  function render(b) {
    $("board-day").textContent = `${AR.dayFmt.format(new Date(`${b.day}T12:00:00Z`))} · ${b.timezone}`;
    const v = b.volumes;
    $("t-calls").textContent = number(v.calls);
    $("t-eligible").textContent = number(v.eligible);
    $("t-served").textContent = number(v.served);
    $("t-unserved").textContent = number(Object.values(b.unserved.by_reason).reduce((a, n) => a + n, 0));
    $("t-escalated").textContent = number(v.escalated);
    $("t-open").textContent = number(v.open);
    $("t-backup").textContent = b.backup.rate === null ? "–" : `${(b.backup.rate * 100).toFixed(1)}%`;
    $("t-overdue").textContent = number(b.follow_ups.overdue);

    document.querySelector("#times tbody").replaceChildren(...Object.entries(INTERVALS).map(([key, label]) => {
      const s = b.response_times[key];
      return h("tr", {}, h("th", { scope: "row" }, label), h("td", { class: "num" }, number(s.n)), h("td", { class: "num" }, minutes(s.p50_minutes)), h("td", { class: "num" }, minutes(s.p90_minutes)));
    }));
    const tracks = Object.entries(v.by_track).sort((a, c) => c[1] - a[1]);
    document.querySelector("#tracks tbody").replaceChildren(...tracks.map(([track, n]) =>
      h("tr", {}, h("th", { scope: "row", class: `track-${track}` }, AR.words(track)), h("td", { class: "num" }, number(n)))));
    const reasons = Object.entries(b.unserved.by_reason).sort((a, c) => c[1] - a[1]);
    document.querySelector("#unserved-reasons tbody").replaceChildren(...(reasons.length ? reasons.map(([reason, n]) =>
      h("tr", {}, h("th", { scope: "row" }, AR.words(reason)), h("td", { class: "num" }, number(n)))) : [h("tr", {}, h("td", { class: "muted" }, "None today."))]));
    $("unserved-calls").replaceChildren(...b.unserved.calls.slice(0, 12).map((c) => h("li", {},
      h("span", { class: "t" }, AR.hhmm(c.received_at)), h("span", {}, `#${c.id} ${AR.typeName(c.incident_type)}`),
      h("span", { class: "t" }, c.zone || ""), h("span", { class: "badge unserved" }, AR.words(c.reason)))));
    $("overdue").replaceChildren(...(b.follow_ups.overdue_list.length ? b.follow_ups.overdue_list.slice(0, 12).map((f) => h("li", {},
      h("span", {}, `Call #${f.incident_id}`), h("span", { class: "muted" }, f.says),
      h("span", { class: "badge unserved" }, `${Number(f.hours_overdue).toFixed(1)} h overdue`))) : [h("li", { class: "muted" }, "None overdue.")]));

    document.querySelector("#teams tbody").replaceChildren(...b.teams.map((t) => h("tr", {},
      h("th", { scope: "row" }, t.name),
      h("td", {}, h("span", { class: `badge ${t.status}` }, AR.words(t.status))),
      h("td", { class: "num" }, number(t.calls_today)),
      h("td", { class: "num" }, number(Math.round(t.busy_minutes_today))),
      h("td", {}, t.last_critical_at ? `#${t.last_critical_incident_id} at ${AR.hhmm(t.last_critical_at)}` : "none"),
      h("td", { class: t.debrief_due ? "due" : "" }, t.debrief_due ? "debrief due" : t.minutes_since_debrief === null ? "–" : `${Math.round(t.minutes_since_debrief)} min`),
      h("td", {}, t.debrief_due ? h("button", { type: "button", "aria-label": `Record the debrief of ${t.name}`, onclick: () => debrief(t) }, "Debriefed") : ""))));
  }

  async function debrief(team) {
    try {
      await api("POST", `/teams/${team.id}/debriefs`, { incident_id: team.last_critical_incident_id });
      refresh();
    } catch (error) { toast(error.message); }
  }

  AR.start(async () => {
    try {
      const live = await api("GET", "/live");
      AR.rate = live.clock_rate;
      AR.setClock(live.now, live.clock_rate);
      refresh();
      AR.follow(live.last_event_id, () => refresh());
      setInterval(refresh, 30000);
    } catch (error) { toast(error.message); }
  });
})();
