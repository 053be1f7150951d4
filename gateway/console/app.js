// Postern's web console.  It uses the admin API (/_admin, with the admin key
// kept in sessionStorage for this tab only) and the public endpoints, and
// nothing else.  Every value from the server reaches the page through
// textContent, never as HTML.
"use strict";

const KEY_ITEM = "postern.adminKey";
const TYPES = ["text", "integer", "bigint", "numeric", "boolean",
  "timestamptz", "date", "uuid", "jsonb"];
const OP_METHOD = {list: "GET", get: "GET", create: "POST",
  update: "PATCH", delete: "DELETE", replace: "PUT"};

const state = {tables: [], endpoints: [], lastToken: "", lastStatus: 0};

const $ = (id) => document.getElementById(id);

function el(tag, props, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (k === "text") e.textContent = v;
    else if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const k of kids) if (k != null) e.append(k);
  return e;
}

function option(value, text, selected) {
  const o = el("option", {value, text: text ?? value});
  if (selected) o.selected = true;
  return o;
}

// ---------------------------------------------------------- admin API

class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
  }
}

async function admin(method, path, body) {
  const headers = {Authorization: "Bearer " + sessionStorage.getItem(KEY_ITEM)};
  const init = {method, headers};
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const r = await fetch("/_admin" + path, init);
  const text = await r.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
  if (r.status === 401) {
    logout("The admin key was not accepted.");
    throw new ApiError(401, data);
  }
  if (!r.ok) throw new ApiError(r.status, data);
  state.lastStatus = r.status;
  return data;
}

async function loadAll() {
  const [tables, endpoints] = await Promise.all([
    admin("GET", "/tables"), admin("GET", "/endpoints")]);
  state.tables = tables;
  state.endpoints = endpoints;
  renderEndpoints();
  renderTables();
  renderClientEndpoints();
  fillCreateForm();
}

// ------------------------------------------------------------- views

function show(view) {
  for (const v of ["login", "api", "tables", "client"])
    $("view-" + v).hidden = v !== view;
  for (const b of document.querySelectorAll("#nav .tab")) {
    if (b.dataset.view === view) b.setAttribute("aria-current", "page");
    else b.removeAttribute("aria-current");
  }
  if (view !== "api") closeSidebar();
}

function logout(msg) {
  sessionStorage.removeItem(KEY_ITEM);
  $("nav").hidden = true;
  closeSidebar();
  show("login");
  $("login-error").textContent = msg || "";
  $("admin-key").focus();
}

async function login(ev) {
  ev.preventDefault();
  const key = $("admin-key").value.trim();
  sessionStorage.setItem(KEY_ITEM, key);
  $("login-error").textContent = "";
  try {
    await loadAll();
  } catch (e) {
    if (e.status !== 401) $("login-error").textContent = e.message;
    return;
  }
  $("admin-key").value = "";
  $("nav").hidden = false;
  show("api");
  $("main").focus();
}

// ---------------------------------------------------------- endpoints

function authLabel(ep, route) {
  if (ep.kind === "auth") {
    return /\/(me|logout|sessions|password)/.test(route.path.slice(ep.path.length))
      ? "bearer:" + ep.table : "none";
  }
  return ep.auth + (ep.owner_column ? ` (owner ${ep.owner_column})` : "");
}

// The auth operation a group's route belongs to ("sessions" has three).
function routeOp(ep, route) {
  return route.path.slice(ep.path === "/" ? 0 : ep.path.length).split("/")[1];
}

function renderEndpoints() {
  const tb = $("endpoints").tBodies[0];
  tb.replaceChildren();
  for (const ep of state.endpoints) {
    const seen = new Set();
    ep.routes.forEach((route, i) => {
      const actions = el("td", {});
      if (i === 0)
        actions.append(el("button", {type: "button", class: "link",
            "aria-label": `Delete ${ep.kind === "auth" ? "auth group" : "endpoint"} ${route.method} ${ep.path}`,
            text: ep.kind === "auth" ? "Delete group" : "Delete",
            onclick: () => deleteEndpoint(ep)}));
      // An operation of a group is removed on its own (PATCH ops); the
      // last one goes only with the group.
      const op = ep.kind === "auth" ? routeOp(ep, route) : null;
      if (op && !seen.has(op) && ep.ops.length > 1) {
        if (i === 0) actions.append(" ");
        actions.append(el("button", {type: "button", class: "link",
          "aria-label": `Remove ${op} from auth group ${ep.path}`,
          text: "Remove " + op,
          onclick: () => removeOp(ep, op)}));
      }
      if (op) seen.add(op);
      tb.append(el("tr", {"data-id": String(ep.id)},
        el("td", {class: "method", text: route.method}),
        el("td", {text: route.path}),
        el("td", {text: ep.table}),
        el("td", {text: authLabel(ep, route)}),
        el("td", {text: ep.kind === "auth" ? "auth group" : ep.op}),
        actions));
    });
  }
  $("api-status").textContent = state.endpoints.length
    ? `${state.endpoints.length} endpoint definitions.`
    : "No endpoints yet: create one.";
}

async function deleteEndpoint(ep) {
  if (!window.confirm(`Delete ${ep.kind === "auth" ? "the auth group at" : ep.method} ${ep.path}?`))
    return;
  try {
    await admin("DELETE", "/endpoints/" + ep.id);
    await loadAll();
    $("api-status").textContent = `Deleted ${ep.path}.`;
  } catch (e) {
    $("api-status").textContent = "Error: " + e.message;
  }
}

async function removeOp(ep, op) {
  if (!window.confirm(`Remove ${op} from the auth group at ${ep.path}?`))
    return;
  try {
    await admin("PATCH", "/endpoints/" + ep.id,
      {ops: ep.ops.filter((o) => o !== op)});
    await loadAll();
    $("api-status").textContent = `Removed ${op} from the auth group at ${ep.path}.`;
  } catch (e) {
    $("api-status").textContent = "Error: " + e.message;
  }
}

// ------------------------------------------------ Create Endpoint sidebar

function openSidebar() {
  fillCreateForm();
  $("sidebar").hidden = false;
  $("open-create").setAttribute("aria-expanded", "true");
  $("create-error").textContent = "";
  (document.querySelector('input[name="kind"]:checked') || $("kind-auth")).focus();
}

function closeSidebar() {
  if ($("sidebar").hidden) return;
  $("sidebar").hidden = true;
  $("open-create").setAttribute("aria-expanded", "false");
  $("open-create").focus();
}

function kind() {
  return document.querySelector('input[name="kind"]:checked').value;
}

function fillSelect(sel, options, keep) {
  const old = keep ? sel.value : null;
  sel.replaceChildren(...options);
  if (old && [...sel.options].some((o) => o.value === old)) sel.value = old;
}

function fillCreateForm() {
  const authTables = state.tables.filter((t) => t.auth_capable);
  fillSelect($("auth-table"),
    authTables.length
      ? authTables.map((t) => option(t.name))
      : [option("", "(no table has an id key and a unique email)")], true);
  const groups = [...new Set(state.endpoints
    .filter((e) => e.kind === "auth").map((e) => e.table))];
  // A table that backs an auth group is never a data endpoint's table.
  fillSelect($("data-table"), state.tables
    .filter((t) => !groups.includes(t.name)).map((t) => option(t.name)), true);
  fillSelect($("data-auth"), [
    option("bearer", "Bearer token (any auth group)"),
    ...groups.map((g) => option("bearer:" + g, `Bearer token of ${g}`)),
    option("none", "None (public)")], true);
  dataTableChanged(false);
  kindChanged();
}

function kindChanged() {
  const k = kind();
  $("auth-fields").hidden = k !== "auth";
  $("data-fields").hidden = k !== "data";
  $("auth-table").required = k === "auth";
}

function dataTableChanged(resetPath) {
  const t = state.tables.find((x) => x.name === $("data-table").value);
  fillSelect($("data-owner"), [option("", "(none)"),
    ...(t ? t.columns.map((c) => option(c.name)) : [])], true);
  if (resetPath !== false || !$("data-path").value) suggestPath();
}

function suggestPath() {
  const table = $("data-table").value;
  const op = $("data-op").value;
  $("data-method").value = OP_METHOD[op];
  $("data-path").value = table
    ? "/" + table + (["get", "update", "delete", "replace"].includes(op) ? "/{id}" : "")
    : "";
}

async function createEndpoint(ev) {
  ev.preventDefault();
  $("create-error").textContent = "";
  let def;
  if (kind() === "auth") {
    def = {kind: "auth", table: $("auth-table").value,
      path: $("auth-path").value.trim(),
      ops: [...document.querySelectorAll('input[name="op"]:checked')].map((c) => c.value)};
  } else {
    def = {kind: "data", table: $("data-table").value, op: $("data-op").value,
      method: $("data-method").value, path: $("data-path").value.trim(),
      auth: $("data-auth").value};
    if ($("data-owner").value) def.owner_column = $("data-owner").value;
  }
  try {
    const ep = await admin("POST", "/endpoints", def);
    const created = state.lastStatus === 201;
    await loadAll();
    closeSidebar();
    // 200: the definition was there already; for an auth group the
    // operations it lacked were added.
    $("api-status").textContent = created
      ? `Created ${ep.kind === "auth" ? "the auth group at" : ep.method} ${ep.path}.`
      : ep.kind === "auth"
        ? `The auth group at ${ep.path} now has ${ep.ops.join(", ")}.`
        : `${ep.method} ${ep.path} exists already.`;
  } catch (e) {
    $("create-error").textContent = e.message;
  }
}

// -------------------------------------------------------------- tables

function renderTables() {
  const box = $("tables-list");
  box.replaceChildren();
  if (!state.tables.length) {
    box.append(el("p", {class: "muted", text: "No tables in schema public yet."}));
    return;
  }
  for (const t of state.tables) {
    const body = el("tbody");
    for (const c of t.columns) {
      body.append(el("tr", {},
        el("td", {text: c.name + (c.primary_key ? " (primary key)" : "")}),
        el("td", {text: c.type}),
        el("td", {text: c.not_null ? "not null" : ""}),
        el("td", {text: c.unique && !c.primary_key ? "unique" : ""}),
        el("td", {text: c.default ?? ""})));
    }
    box.append(el("section", {class: "card tablecard", "aria-label": "Table " + t.name},
      el("h3", {text: t.name},
        t.auth_capable ? el("span", {class: "tag", text: "can back an auth group"}) : null),
      el("table", {class: "grid"},
        el("caption", {class: "sr", text: "Columns of " + t.name}),
        el("thead", {}, el("tr", {},
          ...["Column", "Type", "Null", "Unique", "Default"].map((h) =>
            el("th", {scope: "col", text: h})))),
        body)));
  }
}

let colSeq = 0;

function addColumn(name, type) {
  const n = ++colSeq;
  const typeSel = el("select", {id: `col-type-${n}`, "aria-label": `Column ${n} type`},
    ...TYPES.map((t) => option(t, t, t === (type || "text"))));
  const row = el("tr", {},
    el("td", {}, el("input", {id: `col-name-${n}`, "aria-label": `Column ${n} name`,
      value: name || "", pattern: "[a-z_][a-z0-9_]*"})),
    el("td", {}, typeSel),
    el("td", {}, el("input", {type: "checkbox", id: `col-nn-${n}`, "aria-label": `Column ${n} not null`})),
    el("td", {}, el("input", {type: "checkbox", id: `col-uq-${n}`, "aria-label": `Column ${n} unique`})),
    el("td", {}, el("input", {id: `col-def-${n}`, "aria-label": `Column ${n} default`,
      placeholder: "now(), 0, true, text …"})),
    el("td", {}, el("button", {type: "button", text: "Remove",
      "aria-label": `Remove column ${n}`, onclick: () => row.remove()})));
  $("columns-editor").tBodies[0].append(row);
  return row;
}

// A default typed in the form: now() and gen_random_uuid() as such,
// otherwise a literal of the column's type.
function parseDefault(text, type) {
  if (text === "") return undefined;
  if (text === "now()" || text === "gen_random_uuid()") return text;
  if (type === "boolean") return text === "true" ? true : text === "false" ? false : text;
  if (["integer", "bigint", "numeric"].includes(type) && /^-?\d+(\.\d+)?$/.test(text))
    return Number(text);
  if (type === "jsonb") {
    try { return JSON.parse(text); } catch (e) { return text; }
  }
  return text;
}

async function createTable(ev) {
  ev.preventDefault();
  $("table-error").textContent = "";
  const columns = [];
  for (const row of $("columns-editor").tBodies[0].rows) {
    const [name, type, nn, uq, def] = row.querySelectorAll("input, select");
    if (!name.value.trim()) continue;
    const c = {name: name.value.trim(), type: type.value};
    if (nn.checked) c.not_null = true;
    if (uq.checked) c.unique = true;
    const d = parseDefault(def.value.trim(), type.value);
    if (d !== undefined) c.default = d;
    columns.push(c);
  }
  const name = $("table-name").value.trim();
  try {
    await admin("POST", "/tables", {name, columns});
    $("table-status").textContent = `Created table ${name}.`;
    $("table-name").value = "";
    $("columns-editor").tBodies[0].replaceChildren();
    addColumn();
    await loadAll();
  } catch (e) {
    $("table-error").textContent = e.message;
  }
}

// ---------------------------------------------------------- API client

function renderClientEndpoints() {
  const opts = [option("", "(choose an endpoint)")];
  for (const ep of state.endpoints)
    for (const r of ep.routes)
      opts.push(option(`${r.method} ${r.path}`, `${r.method} ${r.path}`));
  fillSelect($("client-endpoint"), opts, true);
}

function endpointPicked() {
  const v = $("client-endpoint").value;
  if (!v) return;
  const sp = v.indexOf(" ");
  const method = v.slice(0, sp), path = v.slice(sp + 1);
  $("client-method").value = method;
  $("client-path").value = path;
  const body = $("client-body");
  if (/\/(signup|login)$/.test(path) && !body.value.trim())
    body.value = JSON.stringify({email: "someone@example.com", password: "correct horse battery"}, null, 2);
  else if (/\/refresh$/.test(path))
    body.value = JSON.stringify({refresh_token: state.lastRefresh || ""}, null, 2);
  else if (method === "GET" || method === "DELETE")
    body.value = "";
}

function authTypeChanged() {
  const bearer = $("client-auth-type").value === "bearer";
  $("client-token-box").hidden = !bearer;
  if (bearer && $("client-autofill").checked && state.lastToken && !$("client-token").value)
    $("client-token").value = state.lastToken;
}

function rememberToken(data) {
  if (!data || typeof data !== "object" || typeof data.access_token !== "string")
    return;
  state.lastToken = data.access_token;
  if (typeof data.refresh_token === "string") state.lastRefresh = data.refresh_token;
  $("client-use-last").disabled = false;
  if ($("client-autofill").checked) $("client-token").value = data.access_token;
}

async function send(ev) {
  ev.preventDefault();
  const method = $("client-method").value;
  let path = $("client-path").value.trim() || "/";
  if (!path.startsWith("/")) path = "/" + path;
  const q = $("client-query").value.trim().replace(/^\?/, "");
  const url = path + (q ? "?" + q : "");
  const headers = {};
  const init = {method, headers};
  const body = $("client-body").value;
  if (body.trim() && method !== "GET") {
    headers["Content-Type"] = "application/json";
    init.body = body;
  }
  if ($("client-auth-type").value === "bearer" && $("client-token").value.trim())
    headers.Authorization = "Bearer " + $("client-token").value.trim();
  const st = $("resp-status");
  st.textContent = "Sending…";
  st.className = "status";
  const t0 = performance.now();
  let r;
  try {
    r = await fetch(url, init);
  } catch (e) {
    st.textContent = "Network error: " + e.message;
    st.className = "status bad";
    return;
  }
  const text = await r.text();
  const ms = performance.now() - t0;
  st.textContent = `${r.status} ${r.statusText}`;
  st.className = "status " + (r.ok ? "ok" : "bad");
  $("resp-time").textContent = `${ms.toFixed(1)} ms`;
  $("resp-headers").textContent = [...r.headers.entries()]
    .map(([k, v]) => `${k}: ${v}`).join("\n");
  let shown = text;
  try {
    const data = JSON.parse(text);
    shown = JSON.stringify(data, null, 2);
    rememberToken(data);
  } catch (e) { /* not JSON: shown as it came */ }
  $("resp-body").textContent = shown;
}

// --------------------------------------------------------------- wiring

function init() {
  $("login-form").addEventListener("submit", login);
  $("logout").addEventListener("click", () => logout(""));
  for (const b of document.querySelectorAll("#nav .tab"))
    b.addEventListener("click", () => {
      show(b.dataset.view);
      loadAll().catch(() => {});
    });
  $("open-create").addEventListener("click", openSidebar);
  $("close-create").addEventListener("click", closeSidebar);
  $("sidebar").addEventListener("keydown", (e) => {
    if (e.key === "Escape") closeSidebar();
  });
  for (const r of document.querySelectorAll('input[name="kind"]'))
    r.addEventListener("change", kindChanged);
  $("data-table").addEventListener("change", () => dataTableChanged(true));
  $("data-op").addEventListener("change", suggestPath);
  $("create-form").addEventListener("submit", createEndpoint);
  $("add-column").addEventListener("click", () => addColumn().querySelector("input").focus());
  $("table-form").addEventListener("submit", createTable);
  $("client-endpoint").addEventListener("change", endpointPicked);
  $("client-auth-type").addEventListener("change", authTypeChanged);
  $("client-use-last").addEventListener("click", () => {
    $("client-token").value = state.lastToken;
  });
  $("client-form").addEventListener("submit", send);
  addColumn();

  if (sessionStorage.getItem(KEY_ITEM)) {
    loadAll().then(() => {
      $("nav").hidden = false;
      show("api");
    }).catch((e) => {
      if (e.status !== 401) logout(e.message);
    });
  } else {
    logout("");
  }
}

document.addEventListener("DOMContentLoaded", init);
