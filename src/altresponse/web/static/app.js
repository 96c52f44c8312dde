/* altresponse consoles: what every page shares. Sign-in (the token lives in this tab's
   sessionStorage), the API, the live event stream (fetch, so the token goes in a header, never
   in a URL), the service's clock, and safe DOM building (text is never parsed as HTML). */
"use strict";
const AR = (() => {
  const data = JSON.parse(document.getElementById("page-data").textContent);
  const page = document.body.className.replace("page-", "");
  const KEY = "altresponse.session";
  let session = JSON.parse(sessionStorage.getItem(KEY) || "null");
  let clock = { server: Date.now(), local: performance.now(), rate: 1 };

  function h(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") node.className = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else if (k === "dataset") Object.assign(node.dataset, v);
      else node.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  function svg(tag, attrs, ...children) {
    const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined) node.setAttribute(k, v);
    for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return node;
  }

  let toastTimer = null;
  function toast(message) {
    const box = document.getElementById("toast");
    box.textContent = message;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { box.textContent = ""; }, 6000);
  }

  class ApiError extends Error {
    constructor(status, detail) { super(detail); this.status = status; }
  }

  async function api(method, path, body) {
    const headers = { accept: "application/json" };
    if (session) headers.authorization = `Bearer ${session.token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    if (response.status === 401 && path !== "/auth/token") { signOut(); throw new ApiError(401, "please sign in again"); }
    const text = await response.text();
    const value = text ? JSON.parse(text) : null;
    if (!response.ok) {
      let detail = value && value.detail;
      if (Array.isArray(detail)) detail = detail.map((d) => `${(d.loc || []).slice(1).join(".")}: ${d.msg}`).join("; ");
      throw new ApiError(response.status, detail || `HTTP ${response.status}`);
    }
    return value;
  }

  /* the clock: the service says what time it is and how fast its clock runs (faster in the demo) */
  function setClock(iso, rate) {
    clock = { server: Date.parse(iso), local: performance.now(), rate: rate || 1 };
  }
  function now() { return new Date(clock.server + (performance.now() - clock.local) * clock.rate); }
  const timeFmt = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false, timeZone: data.program.timezone });
  const shortFmt = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", hour12: false, timeZone: data.program.timezone });
  const dayFmt = new Intl.DateTimeFormat("en-GB", { weekday: "long", day: "numeric", month: "long", year: "numeric", timeZone: data.program.timezone });
  function hhmm(iso) { return iso ? shortFmt.format(new Date(iso)) : ""; }
  function since(iso) {
    if (!iso) return "";
    const s = Math.max(0, Math.round((now() - new Date(iso)) / 1000));
    const hours = Math.floor(s / 3600), minutes = Math.floor((s % 3600) / 60), seconds = s % 60;
    const two = (n) => String(n).padStart(2, "0");
    return hours ? `${hours}:${two(minutes)}:${two(seconds)}` : `${minutes}:${two(seconds)}`;
  }
  function words(value) { return String(value || "").replaceAll("_", " "); }
  function typeName(code, local) {
    const found = data.incident_types.find((t) => t.code === code);
    return found ? found.name : (local || code || "unknown type");
  }

  /* the live stream: server-sent events read with fetch, resumed from the last id seen */
  function follow(after, onEvents) {
    let last = after;
    let stopped = false;
    const link = document.getElementById("link");
    const state = (s, text) => { link.dataset.state = s; link.textContent = text; };
    async function connect() {
      while (!stopped && session) {
        try {
          const response = await fetch(`/stream?after=${last}`, { headers: { authorization: `Bearer ${session.token}`, accept: "text/event-stream" } });
          if (response.status === 401) { signOut(); return; }
          if (!response.ok) throw new Error(`HTTP ${response.status}`);
          state("live", "live");
          const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
          let buffer = "";
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            buffer += value;
            const frames = buffer.split("\n\n");
            buffer = frames.pop();
            const batch = [];
            for (const frame of frames) {
              let id = null, payload = null;
              for (const line of frame.split("\n")) {
                if (line.startsWith("id: ")) id = Number(line.slice(4));
                else if (line.startsWith("data: ")) payload = line.slice(6);
              }
              if (id !== null && payload !== null) { last = id; batch.push({ id, ...JSON.parse(payload) }); }
            }
            if (batch.length) onEvents(batch, last);
          }
        } catch (error) {
          if (stopped) return;
        }
        state("retry", "reconnecting");
        await new Promise((resolve) => setTimeout(resolve, 1500));
      }
    }
    connect();
    return { stop() { stopped = true; }, last: () => last };
  }

  /* at most one run of FN every MS milliseconds, the last call always served */
  function throttle(fn, ms) {
    let timer = null, again = false;
    return function run() {
      if (timer) { again = true; return; }
      Promise.resolve(fn()).catch((e) => toast(e.message)).finally(() => {
        timer = setTimeout(() => { timer = null; if (again) { again = false; run(); } }, ms);
      });
    };
  }

  function signOut() {
    session = null;
    sessionStorage.removeItem(KEY);
    show(false);
  }

  function show(signedIn) {
    document.getElementById("signin").hidden = signedIn;
    document.getElementById("app").hidden = !signedIn;
    document.getElementById("signout").hidden = !signedIn;
    document.getElementById("who").textContent = signedIn ? `${session.name} · ${words(session.role)}` : "";
    if (!signedIn) document.getElementById("login-name").focus();
  }

  function start(onReady) {
    setInterval(() => { document.getElementById("clock").textContent = timeFmt.format(now()); }, 250);
    document.getElementById("signout").addEventListener("click", signOut);
    if (page === "home") { document.getElementById("app").hidden = false; return; }
    const form = document.getElementById("login-form");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const name = form.elements.name.value.trim();
      try {
        const found = await api("POST", "/auth/token", { name, password: form.elements.password.value });
        session = { token: found.token, role: found.role, name };
        sessionStorage.setItem(KEY, JSON.stringify(session));
        form.reset();
        document.getElementById("login-error").textContent = "";
        show(true);
        onReady(session);
      } catch (error) {
        document.getElementById("login-error").textContent = error.message;
      }
    });
    if (session) { show(true); onReady(session); } else { show(false); }
  }

  return { data, page, h, svg, api, toast, setClock, now, hhmm, since, words, typeName, follow, throttle, start, dayFmt, ApiError, session: () => session };
})();
if (AR.page === "home") document.addEventListener("DOMContentLoaded", () => AR.start(() => {}));
