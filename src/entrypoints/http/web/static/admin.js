// The operator's page: create a sale with every setting (and seat categories), watch one sale
// live and run it (pause, resume, rate and cap, seats, close; access codes of a presale).

import {
  $, call, clearNotice, duration, loadSession, localTime, notify, saveSession, showScreen,
} from "./api.js";

const SESSION_KEY = "ticketing.operator";
const POLL_MS = 1_000;
const WINDOW_MS = 120_000; // the chart shows at most the last two minutes…
const MIN_SPAN_MS = 30_000; // …and at least half a minute, so a new sale's first seconds show
const SERIES = [
  ["sold", (stats) => stats.confirmedSeats],
  ["held", (stats) => stats.pendingSeats],
  ["admitted", (stats) => stats.activeUsers],
  ["waiting", (stats) => stats.waitingUsers],
];
const STATE_TEXT = {
  OPEN: ["open", ""],
  PAUSED: ["paused: nobody is admitted", "paused"],
  CLOSED: ["closed for good", "gone"],
};

const session = loadSession(SESSION_KEY, { adminKey: null, operator: "", watched: null });
let watching = null; // the sale being polled
let samples = []; // {at, stats} of that sale within the chart's window, oldest first
let pollTimer = null;
let shown = null; // the sale as last read, for the controls
let lastRefusals = null; // {at, total} of the previous reading of this server's refusals
const busy = new Set(); // ids of the controls whose request is under way
let codesOf = null; // the sale whose access codes were listed

function save() {
  saveSession(SESSION_KEY, session);
}

function showLogin() {
  $("forget-key").hidden = true;
  showScreen("login");
}

function showConsole() {
  $("forget-key").hidden = false;
  showScreen("console");
  loadList();
}

// ---------------------------------------------------------------- creating a sale

async function create() {
  const body = {};
  for (const input of $("create-form").elements) {
    const value = input.name && !input.disabled ? input.value.trim() : "";
    // Left empty: the server's default (a generated id, opening now).
    if (value !== "") body[input.name] = input.type === "number" ? Number(value) : value;
  }
  if (body.opensAt) body.opensAt = moment(body.opensAt);
  if ($("draw-at-opening").checked) body.drawAtOpening = true;
  if ($("presale-on").checked) {
    const [opensAt, closesAt] = ["presale-opens", "presale-closes"].map((id) => $(id).value);
    body.presale = { opensAt: moment(opensAt), closesAt: moment(closesAt) };
  }
  const categories = categoryRows().map(categoryOf);
  if (categories.length > 0) body.categories = categories; // totalSeats: their sum
  const answer = await call("POST", "/api/v1/events", { adminKey: session.adminKey, body });
  if (!answer.ok) {
    if (!keyRefused(answer.problem)) {
      notify("bad", `Not created: ${answer.problem.title}.`, answer.problem.detail);
    }
    return;
  }
  const sale = answer.data;
  const where = `Buyers find it at ${location.origin}/`
    + (sale.presale ? "; make the presale's access codes under Access codes." : "");
  notify("good", `Created “${sale.name}” (${sale.eventId}).`, where);
  session.watched = sale.eventId;
  save();
  await loadList();
}

// datetime-local is a wall-clock time without a zone; the API wants an RFC 3339 moment: the
// browser reads it in its own zone, and says that moment in UTC.
function moment(local) {
  return new Date(local).toISOString();
}

// A sale has a draw at its opening or a presale before it, never both: either one on takes
// the other off (and out of reach); a presale's times are asked only with it.
function beforeOpening(changed) {
  const draw = $("draw-at-opening");
  const presale = $("presale-on");
  if (changed === draw && draw.checked) presale.checked = false;
  if (changed === presale && presale.checked) draw.checked = false;
  draw.disabled = presale.checked;
  presale.disabled = draw.checked;
  $("presale-fields").hidden = !presale.checked;
  for (const id of ["presale-opens", "presale-closes"]) {
    $(id).disabled = !presale.checked;
    $(id).required = presale.checked;
  }
}

// Seat categories of a new sale: a row each; with any, the sale's seats are their sum and the
// limit per buyer defaults to the sum of theirs, so those two fields step aside.
function categoryRows() {
  return Array.from($("category-rows").querySelectorAll(".category-row"));
}

function categoryOf(row) {
  const field = (name) => row.querySelector(`[data-field="${name}"]`).value.trim();
  const category = { categoryId: field("categoryId"), name: field("name"), seats: Number(field("seats")) };
  if (field("maxPerUser") !== "") category.maxPerUser = Number(field("maxPerUser"));
  if (field("price") !== "") category.price = cents(field("price"));
  return category;
}

// "99", "99.5" or "99.00" in minor units (cents), without a detour through floating point.
function cents(text) {
  const [whole, fraction = ""] = text.split(".");
  return Number(whole) * 100 + Number(fraction.padEnd(2, "0"));
}

function addCategory() {
  const row = $("category-row").content.firstElementChild.cloneNode(true);
  row.querySelector(".remove-category").addEventListener("click", () => {
    row.remove();
    categoryMode();
  });
  $("category-rows").append(row);
  categoryMode();
  row.querySelector("input").focus();
}

const TOTAL_HINT = $("total-hint").textContent;
const PER_BUYER_HINT = $("per-buyer-hint").textContent;

function categoryMode() {
  const on = categoryRows().length > 0;
  const total = $("create-form").elements.totalSeats;
  const perBuyer = $("create-form").elements.maxPerUser;
  if (on === total.disabled) return; // no change of mode
  total.disabled = on;
  total.required = !on;
  $("total-hint").textContent = on ? "the sum of the categories' seats" : TOTAL_HINT;
  $("per-buyer-hint").textContent = on
    ? "maxPerUser · 1–100 · empty: the sum of the categories' limits (at most 100)"
    : PER_BUYER_HINT;
  if (on && perBuyer.value === "1") perBuyer.value = "";
  if (!on && perBuyer.value === "") perBuyer.value = "1";
}

// A key that worked at login may be changed on the server since: back to the login, saying so.
function keyRefused(problem) {
  if (problem.code !== "unauthorized") return false;
  session.adminKey = null;
  save();
  showLogin();
  $("key-refused").hidden = false;
  return true;
}

// The key is checked before the console opens: a wrong one is said at once, not after a form.
async function logIn(key, operator) {
  $("key-refused").hidden = true;
  const answer = await call("GET", "/api/v1/operator", { adminKey: key, operator });
  if (answer.ok) {
    Object.assign(session, { adminKey: key, operator });
    save();
    notify("good", "Key accepted.", `Your changes are recorded as ${answer.data.actor}.`);
    showConsole();
  } else if (answer.problem.code === "unauthorized") {
    $("key-refused").hidden = false;
  } else {
    notify("warn", "The key could not be checked.", answer.problem.detail);
  }
}

// ---------------------------------------------------------------- running a sale

async function operate(action, body, done) {
  const eventId = watching;
  const path = `/api/v1/events/${encodeURIComponent(eventId)}${action ? `/${action}` : ""}`;
  const method = action ? "POST" : "PATCH";
  const { adminKey, operator } = session;
  const answer = await call(method, path, { adminKey, operator, body });
  if (answer.ok) {
    notify("good", done(answer.data));
    if (eventId === watching) show(answer.data); // not if the operator switched sales
  } else if (!keyRefused(answer.problem)) {
    notify("bad", `Not changed: ${answer.problem.title}.`, answer.problem.detail);
  }
}

const SETTING_INPUTS = [["new-rate", "admissionRatePerSecond"], ["new-cap", "maxActiveUsers"]];

// Only what the operator edited is sent: a value another operator changed meanwhile stays.
function applySettings() {
  const body = {};
  for (const [id, name] of SETTING_INPUTS) {
    const value = $(id).value.trim();
    if ($(id).dataset.edited && value !== "") body[name] = Number(value);
  }
  if (Object.keys(body).length === 0) {
    notify("info", "Nothing to change: the values are those of the sale.");
    return Promise.resolve();
  }
  return operate(null, body, (sale) => {
    for (const [id] of SETTING_INPUTS) delete $(id).dataset.edited;
    return `Now admitting up to ${sale.admissionRatePerSecond}/s, `
      + `at most ${sale.maxActiveUsers} at once.`;
  });
}

function changeSeats() {
  const delta = Number($("seat-delta").value.trim());
  if (!Number.isInteger(delta) || delta === 0) {
    notify("info", "Say how many seats to add (or, below 0, to withdraw).");
    return Promise.resolve();
  }
  const body = { delta };
  const categoryId = shown.categories ? $("seat-category").value : "";
  if (categoryId) body.categoryId = categoryId;
  return operate("seats", body, (sale) => {
    $("seat-delta").value = "";
    const what = delta > 0 ? `${delta} seats added` : `${-delta} unsold seats withdrawn`;
    const category = sale.categories?.find((c) => c.categoryId === categoryId);
    const left = sale.stats.categories?.find((c) => c.categoryId === categoryId);
    if (category && left) {
      return `${what} in ${category.name}: ${category.seats} in it, ${left.remainingSeats} `
        + `on sale; ${sale.totalSeats} in all.`;
    }
    return `${what}: ${sale.totalSeats} in all, ${sale.stats.remainingSeats} on sale.`;
  });
}

function closeSale() {
  const sure = confirm(`Close “${shown.name}” for good? Nobody can enter or reserve any more; `
    + "pending holds can still be confirmed. This cannot be undone.");
  if (!sure) return Promise.resolve();
  return operate("close", undefined, () => "The sale is closed.");
}

// ---------------------------------------------------------------- watching a sale

async function loadList() {
  const answer = await call("GET", "/api/v1/events?order=newest");
  if (!answer.ok) {
    notify("warn", "Could not load the sales.", answer.problem.detail);
    return;
  }
  const sales = answer.data; // the newest page
  $("watched").replaceChildren(
    ...sales.map((sale) => new Option(`${sale.name} (${sale.eventId})`, sale.eventId)),
  );
  $("nothing").hidden = sales.length > 0;
  const known = sales.find((sale) => sale.eventId === session.watched) ?? sales[0];
  if (known) $("watched").value = known.eventId;
  watch(known?.eventId ?? null);
}

function watch(eventId) {
  if (eventId === watching) return;
  clearTimeout(pollTimer);
  watching = eventId;
  samples = [];
  shown = null;
  codesOf = null;
  $("new-codes").hidden = true; // a sale's new codes are shown once, to whoever made them
  $("new-codes-text").value = "";
  $("codes-rows").replaceChildren();
  $("codes-list").hidden = true;
  $("codes-summary").textContent = "No code yet.";
  // Another sale's rows, even of the same category ids, start afresh (nothing ticked).
  delete $("category-stats-rows").dataset.kinds;
  delete $("code-category-boxes").dataset.kinds;
  session.watched = eventId;
  save();
  $("board").hidden = eventId === null;
  if (eventId !== null) poll(eventId);
}

// One request at a time, the next a second after the last answer: a slow server is never
// sent a pile of them.
async function poll(eventId) {
  const answer = await call("GET", `/api/v1/events/${encodeURIComponent(eventId)}`);
  if (eventId !== watching) return; // the operator switched sales meanwhile
  if (answer.ok) {
    const now = Date.now();
    samples.push({ at: now, stats: answer.data.stats });
    samples = samples.filter((sample) => sample.at > now - WINDOW_MS);
    show(answer.data);
    const last = new Date(now).toLocaleTimeString();
    $("freshness").textContent = `Updated every second; last at ${last}.`;
  } else {
    const why = answer.problem.detail;
    $("freshness").textContent = `Not updated: ${why}. Trying again every second.`;
  }
  await showRefusalRate();
  pollTimer = setTimeout(() => poll(eventId), POLL_MS);
}

// Requests the limits against bots refused per second, from two readings of the counts of the
// server that answers (each API process counts its own; /metrics has them all).
async function showRefusalRate() {
  const answer = await call("GET", "/api/v1/operator/refusals", { adminKey: session.adminKey });
  if (!answer.ok) return;
  const total = Object.values(answer.data.refusedByGroup).reduce((sum, n) => sum + n, 0);
  const now = Date.now();
  if (lastRefusals !== null && now > lastRefusals.at) {
    const perSecond = ((total - lastRefusals.total) * 1000) / (now - lastRefusals.at);
    $("refused").textContent = perSecond.toFixed(perSecond < 10 ? 1 : 0);
  }
  lastRefusals = { at: now, total };
}

function show(sale) {
  const { stats } = sale;
  const other = shown === null || shown.eventId !== sale.eventId;
  shown = sale;
  for (const [id, name] of SETTING_INPUTS) {
    if (other) delete $(id).dataset.edited;
    if (!$(id).dataset.edited) $(id).value = sale[name]; // the sale's value, unless being edited
  }
  const [stateText, tone] = STATE_TEXT[sale.state];
  $("state").textContent = stateText;
  $("state").className = `badge ${tone}`;
  const closed = sale.state === "CLOSED";
  $("pause").hidden = sale.state !== "OPEN";
  $("resume").hidden = sale.state !== "PAUSED";
  for (const id of [
    "close", "apply", "change-seats", "new-rate", "new-cap", "seat-delta", "seat-category",
  ]) {
    $(id).disabled = closed || busy.has(id);
  }
  $("abandoned").textContent = stats.abandonedUsers;
  $("remaining").textContent = `${stats.remainingSeats} / ${sale.totalSeats}`;
  $("waiting").textContent = stats.waitingUsers;
  $("admitted").textContent = stats.activeUsers;
  $("pending").textContent = stats.pendingSeats;
  $("confirmed").textContent = stats.confirmedSeats;
  $("settings").textContent = `${sale.eventId} · up to ${sale.maxPerUser} per buyer · `
    + `opens ${localTime(sale.opensAt)} · admits ${sale.admissionRatePerSecond}/s, at most `
    + `${sale.maxActiveUsers} at once · turns last ${duration(sale.admissionTtlSeconds)}, `
    + `holds ${duration(sale.holdTtlSeconds)}`
    + (sale.entryWorkBits ? ` · entry work ${sale.entryWorkBits} bits` : "")
    + (sale.entryGrantRequired ? " · signed-in customers only" : "")
    + (sale.presale ? ` · presale ${localTime(sale.presale.opensAt)} to `
      + `${localTime(sale.presale.closesAt)}` : "");
  showCategories(sale);
  showCodesPanel(sale);
  drawChart();
}

// Rows are made again only when the sale's categories change, so that an open select or a
// ticked box survives the second's update.
function sameKinds(node, sale) {
  const key = (sale.categories ?? []).map((c) => c.categoryId).join("\n");
  if (node.dataset.kinds === key) return true;
  node.dataset.kinds = key;
  return false;
}

function money(cents) {
  return `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, "0")}`;
}

function showCategories(sale) {
  const categories = sale.categories ?? [];
  $("category-stats").hidden = categories.length === 0;
  $("seat-category-field").hidden = categories.length === 0;
  const rows = $("category-stats-rows");
  if (!sameKinds(rows, sale)) {
    rows.replaceChildren(...categories.map((category) => {
      const row = document.createElement("tr");
      row.dataset.category = category.categoryId;
      for (const name of ["name", "price", "remaining", "pending", "confirmed", "state"]) {
        const cell = document.createElement(name === "name" ? "th" : "td");
        if (name === "name") cell.scope = "row";
        cell.className = name;
        row.append(cell);
      }
      return row;
    }));
    const select = $("seat-category");
    select.replaceChildren(...categories.map((c) => new Option(c.name, c.categoryId)));
  }
  for (const category of categories) {
    const row = rows.querySelector(`tr[data-category="${CSS.escape(category.categoryId)}"]`);
    const stats = sale.stats.categories?.find((c) => c.categoryId === category.categoryId);
    row.querySelector(".name").textContent = `${category.name} (${category.categoryId})`;
    row.querySelector(".price").textContent = category.price === undefined ? "–"
      : money(category.price);
    row.querySelector(".remaining").textContent = stats
      ? `${stats.remainingSeats} / ${category.seats}` : "–";
    row.querySelector(".pending").textContent = stats?.pendingSeats ?? "–";
    row.querySelector(".confirmed").textContent = stats?.confirmedSeats ?? "–";
    const state = row.querySelector(".state");
    state.textContent = !stats ? "–" : stats.soldOut ? "sold out"
      : stats.remainingSeats === 0 ? "all held" : "on sale";
    row.classList.toggle("sold-out", Boolean(stats?.soldOut));
  }
}

// ---------------------------------------------------------------- access codes (presale)

function showCodesPanel(sale) {
  $("codes").hidden = !sale.presale;
  if (!sale.presale) return;
  const closed = Date.parse(sale.presale.closesAt) <= Date.now();
  $("presale-line").textContent = `Presale from ${localTime(sale.presale.opensAt)} until `
    + `${localTime(sale.presale.closesAt)}: until then only buyers with a code get in line`
    + (closed ? " (it is over: anyone enters now)." : ".");
  const categories = sale.categories ?? [];
  $("code-categories").hidden = categories.length === 0;
  const boxes = $("code-category-boxes");
  if (!sameKinds(boxes, sale)) {
    boxes.replaceChildren(...categories.map((category) => {
      const label = document.createElement("label");
      label.className = "check";
      const box = document.createElement("input");
      box.type = "checkbox";
      box.value = category.categoryId;
      label.append(box, ` ${category.name}`);
      return label;
    }));
  }
  if (codesOf !== sale.eventId) {
    codesOf = sale.eventId;
    loadCodes(sale.eventId);
  }
}

function codesPath(eventId) {
  return `/api/v1/events/${encodeURIComponent(eventId)}/codes`;
}

async function loadCodes(eventId) {
  const answer = await call("GET", codesPath(eventId), { adminKey: session.adminKey });
  if (eventId !== watching) return;
  if (!answer.ok) {
    if (!keyRefused(answer.problem)) {
      $("codes-summary").textContent = `Codes not listed: ${answer.problem.detail}`;
    }
    return;
  }
  const codes = Array.isArray(answer.data) ? answer.data : answer.data?.codes ?? [];
  const names = new Map((shown?.categories ?? []).map((c) => [c.categoryId, c.name]));
  $("codes-rows").replaceChildren(...codes.map((code) => {
    const row = document.createElement("tr");
    row.dataset.code = code.codeId;
    const cells = [
      code.codeId,
      `${code.uses} of ${code.maxUses}`,
      code.categories ? code.categories.map((id) => names.get(id) ?? id).join(", ") : "any",
    ];
    row.append(...cells.map((text) => {
      const cell = document.createElement("td");
      cell.textContent = text;
      return cell;
    }));
    return row;
  }));
  $("codes-list").hidden = codes.length === 0;
  const used = codes.reduce((sum, code) => sum + code.uses, 0);
  $("codes-summary").textContent = codes.length === 0 ? "No code yet."
    : `${codes.length} ${codes.length === 1 ? "code" : "codes"}, ${used} `
      + `${used === 1 ? "entry" : "entries"} so far; as of ${new Date().toLocaleTimeString()}.`;
}

async function makeCodes() {
  const eventId = watching;
  const body = { count: Number($("code-count").value), maxUses: Number($("code-uses").value) };
  const ticked = Array.from(
    $("code-category-boxes").querySelectorAll("input:checked"), (box) => box.value,
  );
  if (ticked.length > 0 && !$("code-categories").hidden) body.categories = ticked;
  const { adminKey, operator } = session;
  const answer = await call("POST", codesPath(eventId), { adminKey, operator, body });
  if (eventId !== watching) return;
  if (!answer.ok) {
    if (!keyRefused(answer.problem)) {
      notify("bad", `No codes made: ${answer.problem.title}.`, answer.problem.detail);
    }
    return;
  }
  const codes = answer.data.codes ?? [];
  $("new-codes-text").value = codes.map((c) => c.code).join("\n");
  $("new-codes").hidden = false;
  notify("good", `Made ${codes.length} access ${codes.length === 1 ? "code" : "codes"}.`,
    "Copy them now: they are shown only this once.");
  await loadCodes(eventId);
}

// ---------------------------------------------------------------- the chart (inline SVG)

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 640;
const HEIGHT = 220;
const LEFT = 44;
const RIGHT = 10;
const TOP = 10;
const BOTTOM = 24;

function svg(name, attributes, text) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

// The smallest 1, 2 or 5 times a power of ten at or above n, and at least 1: a round step.
function roundStep(n) {
  const power = 10 ** Math.floor(Math.log10(Math.max(1, n)));
  return [1, 2, 5, 10].map((step) => step * power).find((step) => step >= n);
}

// About four round, whole steps from 0 to the first step at or above the largest value.
function axis(largest) {
  const step = roundStep(Math.max(1, largest) / 4);
  const top = step * Math.max(1, Math.ceil(largest / step));
  return { top, ticks: Array.from({ length: top / step + 1 }, (_, i) => i * step) };
}

function drawChart() {
  if (samples.length === 0) return; // an answer to a change came before the first poll
  const now = Date.now();
  const span = Math.max(MIN_SPAN_MS, now - samples[0].at);
  const values = samples.flatMap(({ stats }) => SERIES.map(([, pick]) => pick(stats)));
  const { top, ticks } = axis(Math.max(...values));
  const x = (at) => LEFT + (1 - (now - at) / span) * (WIDTH - LEFT - RIGHT);
  const y = (value) => TOP + (1 - value / top) * (HEIGHT - TOP - BOTTOM);
  const nodes = [];
  for (const value of ticks) {
    const level = y(value);
    nodes.push(svg("line", { class: "grid", x1: LEFT, x2: WIDTH - RIGHT, y1: level, y2: level }));
    nodes.push(svg("text", { x: LEFT - 6, y: level + 4, "text-anchor": "end" }, value));
  }
  const bottom = HEIGHT - 6;
  const ago = (ms) => `${duration(Math.round(ms / 1000))} ago`;
  nodes.push(svg("text", { x: LEFT, y: bottom }, ago(span)));
  const middle = (LEFT + WIDTH - RIGHT) / 2;
  nodes.push(svg("text", { x: middle, y: bottom, "text-anchor": "middle" }, ago(span / 2)));
  nodes.push(svg("text", { x: WIDTH - RIGHT, y: bottom, "text-anchor": "end" }, "now"));
  for (const [name, pick] of SERIES) {
    const point = ({ at, stats }) => `${x(at).toFixed(1)},${y(pick(stats)).toFixed(1)}`;
    const points = samples.map(point);
    nodes.push(svg("polyline", { class: name, points: points.join(" ") }));
  }
  $("chart").replaceChildren(...nodes);
}

// ---------------------------------------------------------------- start

$("key-form").addEventListener("submit", (submitted) => {
  submitted.preventDefault();
  logIn($("admin-key").value.trim(), $("operator-name").value.trim());
});
for (const [id, name] of SETTING_INPUTS) {
  $(id).addEventListener("input", () => {
    const value = $(id).value.trim();
    if (value === "" || Number(value) === shown?.[name]) delete $(id).dataset.edited;
    else $(id).dataset.edited = "yes";
  });
}
$("forget-key").addEventListener("click", () => {
  session.adminKey = null;
  save();
  clearNotice();
  showLogin();
});
$("create-form").addEventListener("submit", async (submitted) => {
  submitted.preventDefault();
  $("create").disabled = true;
  try {
    await create();
  } finally {
    $("create").disabled = false;
  }
});
$("watched").addEventListener("change", () => watch($("watched").value));
for (const [id, work] of [
  ["pause", () => operate("pause", undefined, () => "Paused: nobody is admitted; buyers keep their places.")],
  ["resume", () => operate("resume", undefined, () => "Resumed: admissions go on in order.")],
  ["apply", applySettings],
  ["change-seats", changeSeats],
  ["close", closeSale],
]) {
  $(id).addEventListener("click", async () => {
    if (shown === null) return; // the sale's first reading has not come yet
    busy.add(id);
    $(id).disabled = true;
    try {
      await work();
    } finally {
      busy.delete(id);
      $(id).disabled = shown?.state === "CLOSED";
    }
  });
}
$("reload-list").addEventListener("click", loadList);
$("add-category").addEventListener("click", addCategory);
for (const id of ["draw-at-opening", "presale-on"]) {
  $(id).addEventListener("change", () => beforeOpening($(id)));
}
beforeOpening(null); // a reloaded page may keep the boxes as they were
$("codes-form").addEventListener("submit", async (submitted) => {
  submitted.preventDefault();
  if (watching === null) return;
  $("make-codes").disabled = true;
  try {
    await makeCodes();
  } finally {
    $("make-codes").disabled = false;
  }
});
$("reload-codes").addEventListener("click", () => {
  if (watching !== null) loadCodes(watching);
});
if (session.adminKey) showConsole();
else showLogin();
