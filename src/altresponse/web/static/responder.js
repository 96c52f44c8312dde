/* The responder's view, for the team's phone: the current assignment, status in one tap, backup
   in one confirmed action, disposition, referral, and the follow-ups due. Live by the stream. */
"use strict";
(() => {
  const { data, h, api, toast } = AR;
  const $ = (id) => document.getElementById(id);
  const TEAM_KEY = "altresponse.team";
  let live = null;
  let current = null;
  let resources = [];

  function myTeam() { return Number(localStorage.getItem(TEAM_KEY) || 0) || null; }

  const refresh = AR.throttle(async () => {
    live = await api("GET", "/live");
    AR.setClock(live.now, live.clock_rate);
    render();
    await followUps();
  }, 400);

  function render() {
    const pick = $("my-team");
    const chosen = myTeam();
    if (pick.options.length - 1 !== live.units.length) {
      pick.replaceChildren(h("option", { value: "" }, "Choose your team"),
        ...live.units.map((u) => h("option", { value: u.id }, u.name)));
    }
    pick.value = chosen ? String(chosen) : "";
    const unit = live.units.find((u) => u.id === chosen);
    // the team's incident, or the call it cleared and has not closed yet
    current = unit ? (live.open.find((i) => i.id === unit.incident_id)
      || live.open.filter((i) => i.team_id === unit.id && i.state === "cleared").at(-1) || null) : null;
    $("no-assignment").hidden = Boolean(current);
    $("no-assignment").textContent = unit ? `No assignment. ${unit.name} is ${AR.words(unit.status)}.` : "Choose your team above.";
    $("assignment").hidden = !current;
    if (!current) return;
    const state = $("a-state");
    state.className = `badge ${current.state}`;
    state.textContent = AR.words(current.state);
    $("a-type").textContent = AR.typeName(current.incident_type, current.local_type);
    $("a-call").textContent = `#${current.id} (${current.call_id}), priority ${current.priority}`;
    $("a-zone").textContent = current.zone || "not given";
    $("a-received").textContent = `${AR.hhmm(current.received_at)} (${AR.since(current.received_at)} ago)`;
    $("a-notes").textContent = current.narrative || "none";
    $("a-reasons").replaceChildren(...current.reasons.map((r) => h("li", {}, r.says)));
    const next = new Set(data.transitions[current.state] || []);
    for (const button of document.querySelectorAll(".status-buttons button")) button.disabled = !next.has(button.dataset.state);
    const inField = ["dispatched", "en_route", "on_scene", "transporting"].includes(current.state);
    for (const button of document.querySelectorAll("[data-backup]")) button.disabled = !inField;
    if (current.disposition && document.activeElement !== $("disposition")) $("disposition").value = current.disposition;
  }

  async function followUps() {
    const due = await api("GET", "/follow-ups");
    $("followups-count").textContent = due.length;
    $("followups").replaceChildren(...due.slice(0, 20).map((f) => h("li", {},
      h("div", {}, h("strong", {}, `Call #${f.incident_id}`), ` · due ${AR.hhmm(f.due_at)}`, new Date(f.due_at) < AR.now() ? h("span", { class: "badge unserved" }, " overdue") : ""),
      h("div", { class: "muted" }, f.says),
      h("div", { class: "actions", role: "group", "aria-label": `Outcome of follow-up for call ${f.incident_id}` },
        ...data.follow_up_outcomes.map((o) => h("button", { type: "button", onclick: () => done(f.id, o) }, AR.words(o)))))));
  }

  async function done(id, outcome) {
    try { await api("POST", `/follow-ups/${id}`, { outcome }); await followUps(); } catch (error) { toast(error.message); }
  }

  function note(text) { $("a-log").prepend(h("li", {}, `${AR.hhmm(AR.now().toISOString())} ${text}`)); }

  async function act(path, body, said) {
    if (!current) return;
    try {
      await api("POST", `/incidents/${current.id}${path}`, body);
      note(said);
      refresh();
    } catch (error) { toast(error.message); }
  }

  for (const button of document.querySelectorAll(".status-buttons button")) {
    button.addEventListener("click", () => act("/state", { state: button.dataset.state }, `status: ${AR.words(button.dataset.state)}`));
  }

  /* backup: one action, confirmed in a dialog whose first focus is the confirm button */
  let backupTrack = null;
  for (const button of document.querySelectorAll("[data-backup]")) {
    button.addEventListener("click", () => {
      backupTrack = button.dataset.backup;
      $("backup-title").textContent = backupTrack === "police" ? "Request police backup?" : "Request EMS?";
      $("backup-dialog").showModal();
      $("backup-confirm").focus();
    });
  }
  $("backup-dialog").addEventListener("close", () => {
    if ($("backup-dialog").returnValue === "confirm" && backupTrack) {
      act("/backup", { track: backupTrack, reason: $("backup-reason").value }, `${backupTrack} backup requested`);
    }
    backupTrack = null;
  });

  $("disposition").addEventListener("change", () => {
    const transported = $("disposition").value === "transported";
    $("transported-to").hidden = !transported;
    $("transported-label").hidden = !transported;
  });
  $("disposition-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const disposition = $("disposition").value;
    if (!disposition) { toast("Choose a disposition."); return; }
    const body = { disposition };
    if (disposition === "transported") body.transported_to = $("transported-to").value.trim();
    act("/disposition", body, `disposition: ${AR.words(disposition)}`);
  });
  $("referral-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const id = Number($("resource").value);
    if (!id) { toast("Choose a resource."); return; }
    const found = resources.find((r) => r.id === id);
    act("/referrals", { resource_id: id }, `referred to ${found ? found.name : id}`);
  });
  $("my-team").addEventListener("change", () => {
    localStorage.setItem(TEAM_KEY, $("my-team").value);
    $("a-log").replaceChildren();
    render();
  });

  AR.start(async () => {
    try {
      live = await api("GET", "/live");
      AR.setClock(live.now, live.clock_rate);
      resources = await api("GET", "/resources");
      $("resource").replaceChildren(h("option", { value: "" }, "Choose a resource…"),
        ...resources.map((r) => h("option", { value: r.id }, `${r.name} (${AR.words(r.kind)}${r.open_24_7 ? ", 24/7" : r.hours ? `, ${r.hours}` : ""})`)));
      render();
      await followUps();
      AR.follow(live.last_event_id, () => refresh());
      setInterval(refresh, 15000);
      document.body.dataset.ready = "yes";
    } catch (error) { toast(error.message); }
  });
})();
