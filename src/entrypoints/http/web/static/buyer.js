// The buyer's page: pick a sale, wait in line (live over SSE), reserve, confirm or cancel.
// Every step is driven by what the server says; the page only remembers, in session storage,
// what it needs to pick up where it was after a reload: the queue token and an open hold.
// A sale with seat categories offers each with its price and seats left, several at once; a
// sale in its presale asks for an access code before entering.

import {
  $, call, clearNotice, clock, duration, loadSession, localTime, notify, randomId, saveSession,
  secondsUntil, showScreen,
} from "./api.js";

const SESSION_KEY = "ticketing.buyer";
const LIST_REFRESH_MS = 5_000;
const RETRY_MS = 3_000;

const state = loadSession(SESSION_KEY, {
  userId: "",
  eventId: null,
  token: null,
  holdId: null,
  reserve: null, // {key, order} of a reserve whose answer has not arrived yet
  confirmed: 0, // seats this buyer confirmed in this sale, from this tab
  confirmedIn: {}, // the same per seat category, in a sale with categories
});
let event = null; // settings of the chosen sale (name, maxPerUser, rates)
let stream = null; // the EventSource while waiting in line
let countdownTimer = null;
let listTimer = null;
let accessFor = null; // the sale the access-code screen is for
let lastCode = { eventId: null, code: "" }; // the code last tried, offered again on re-entry

// What each refusal means for the buyer; the server's own `detail` is shown beneath.
const PLAIN = {
  sold_out: "Sold out: no seat is free right now. Seats come back when a buyer cancels or a "
    + "hold runs out, so try again in a moment.",
  insufficient_seats: "Not that many seats are left: ask for fewer.",
  limit_exceeded: "You already have the most seats one buyer may have.",
  not_admitted: "It is not your turn (any more): enter the queue again to buy.",
  hold_expired: "Too late: your hold ran out and its seats went back on sale.",
  invalid_state: "This reservation can no longer change.",
  sale_closed: "The organiser closed this sale: no more seats are sold in it.",
  reservation_not_found: "This reservation is not known (any more).",
  invalid_token: "Your place in the queue is gone: enter the queue again.",
  event_not_found: "This sale does not exist (any more).",
  validation_error: "That was not accepted.",
  network: "No connection to the server.",
  rate_limited: "Too many requests from here in a short time.",
  too_many_streams: "Too many pages follow a queue from this connection: close some.",
  work_required: "This sale asks for a moment of work first: try again.",
  work_insufficient: "The work did not check out: try again.",
  challenge_refused: "The work ran out of time or was used already: try again.",
  grant_refused: "This sale is only for signed-in customers of the organiser: open it from "
    + "the organiser's site.",
  code_required: "This sale is in its presale: only buyers with an access code get in line "
    + "now. Enter the code the organiser gave you.",
  invalid_code: "This access code is not accepted: it is not one of this sale's, it is used "
    + "up, or it is not for these seats. Check it and try again.",
};

// The same refusals when the server names one seat category (its detail starts "floor: ").
const PLAIN_IN = {
  sold_out: (name) => `Sold out in ${name}: no seat of it is free right now. Seats come back `
    + "when a buyer cancels or a hold runs out, so try again in a moment or choose others.",
  insufficient_seats: (name) => `Not that many seats are left in ${name}: ask for fewer.`,
  limit_exceeded: (name) => `You already have the most seats in ${name} one buyer may have.`,
};

function explain(problem) {
  const kind = problem.code === "sold_out" || problem.code === "network" ? "warn" : "bad";
  const wait = problem.retryAfterSeconds
    ? ` Wait ${problem.retryAfterSeconds} s before trying again.`
    : "";
  const category = categoryNamedIn(problem.detail);
  const plain = category && PLAIN_IN[problem.code]
    ? PLAIN_IN[problem.code](category.name)
    : PLAIN[problem.code] ?? problem.title;
  notify(kind, plain + wait, problem.detail);
}

// ---------------------------------------------------------------- seat categories, presale

// The seat categories of the chosen sale (none: one kind of seat, as sales always had).
function categories(sale = event) {
  return sale?.categories ?? [];
}

function categoryStats(sale, categoryId) {
  return sale.stats?.categories?.find((c) => c.categoryId === categoryId);
}

function categoryName(categoryId) {
  return categories().find((c) => c.categoryId === categoryId)?.name ?? categoryId;
}

// A refusal about one category says so first: "floor: only 1 left".
function categoryNamedIn(detail) {
  const named = /^([A-Za-z0-9][A-Za-z0-9_.-]{0,63}): /.exec(detail ?? "");
  return named ? categories().find((c) => c.categoryId === named[1]) ?? null : null;
}

// Prices are in minor units (cents): 9900 is "99.00".
function money(cents) {
  const whole = Math.floor(cents / 100);
  return `${whole}.${String(cents % 100).padStart(2, "0")}`;
}

// Until its presale closes, a sale lets in only buyers with an access code.
function presaleOn(sale) {
  return Boolean(sale?.presale) && secondsUntil(sale.presale.closesAt) > 0;
}

// The organiser's site may send its signed-in customers here with `#grant=...&user=...` (an
// entry grant naming them; in the fragment, which no server or proxy log sees) or the same in
// the query.
const linked = new URLSearchParams(
  window.location.hash.length > 1 ? window.location.hash.slice(1) : window.location.search,
);

// The proof of work a sale with `entryWorkBits` asks of an entry: a challenge, solved in a
// Web Worker (the page stays responsive) with its progress shown. Answers the fields to send
// with the entry, or null when it could not get a challenge (the notice says why).
async function proveWork(eventId) {
  const issued = await call("POST", "/api/v1/queue/challenge", { body: { eventId } });
  if (!issued.ok) {
    explain(issued.problem);
    return null;
  }
  const { challenge, workBits } = issued.data;
  if (!workBits) return { challenge, nonce: "0" };
  showScreen("working");
  const expected = 2 ** workBits;
  const bar = $("work-progress");
  bar.value = 0;
  $("work-status").textContent = "Working…";
  const worker = new Worker("/static/work.js");
  try {
    const nonce = await new Promise((resolve, reject) => {
      worker.onerror = () => reject(new Error("the work stopped"));
      worker.onmessage = ({ data }) => {
        if (data.nonce !== undefined) {
          resolve(data.nonce);
          return;
        }
        // Tries are random: the expected count is a guide, so the bar never claims done.
        const share = Math.min(0.95, data.tried / expected);
        bar.value = Math.round(share * 100);
        $("work-status").textContent = `${Math.round(share * 100)}% of the expected work`;
      };
      worker.postMessage({ challenge, bits: workBits });
    });
    return { challenge, nonce };
  } catch {
    notify("bad", "This browser could not do the sale's work.", "try again, or another browser");
    return null;
  } finally {
    worker.terminate();
  }
}

function save() {
  saveSession(SESSION_KEY, state);
}

function forget() {
  Object.assign(state, { eventId: null, token: null, holdId: null, reserve: null });
  save();
}

// Stops whatever the previous screen had running: the stream, a countdown, the list refresh.
function quiet() {
  if (stream) stream.close();
  stream = null;
  clearInterval(countdownTimer);
  clearInterval(listTimer);
}

async function withBusy(button, work) {
  button.disabled = true;
  try {
    await work();
  } finally {
    button.disabled = false;
  }
}

function seats(n) {
  return n === 1 ? "1 seat" : `${n} seats`;
}

// ---------------------------------------------------------------- picking a sale

function showPick() {
  quiet();
  showScreen("pick");
  refreshEvents();
  listTimer = setInterval(refreshEvents, LIST_REFRESH_MS);
}

async function refreshEvents() {
  const answer = await call("GET", "/api/v1/events?order=newest");
  if (!answer.ok) {
    explain(answer.problem);
    return;
  }
  const newestFirst = answer.data;
  $("events").replaceChildren(...newestFirst.map(eventCard));
  $("no-events").hidden = newestFirst.length > 0;
}

function eventCard(sale) {
  const card = $("event-card").content.firstElementChild.cloneNode(true);
  const { remainingSeats, pendingSeats, waitingUsers } = sale.stats;
  const opensIn = secondsUntil(sale.opensAt);
  // As the server sees it: sold out only when no seat is left and no hold can bring one back.
  const soldOut = remainingSeats === 0 && pendingSeats === 0;
  const presale = presaleOn(sale) ? sale.presale : null;
  const [label, tone] = soldOut ? ["Sold out", "gone"]
    : presale && secondsUntil(presale.opensAt) > 0 ? ["Presale soon", "soon"]
    : !presale && opensIn > 0 ? ["Opens soon", "soon"]
    : remainingSeats === 0 ? ["All held", "soon"]
    : presale ? ["Presale", ""]
    : ["On sale", ""];
  card.querySelector(".name").textContent = sale.name;
  const badge = card.querySelector(".badge");
  badge.textContent = label;
  badge.className = `badge ${tone}`;
  card.querySelector(".seats").textContent = `${remainingSeats} of ${sale.totalSeats} seats left`
    + (pendingSeats ? ` (${pendingSeats} held by buyers now)` : "")
    + ` · up to ${sale.maxPerUser} per buyer`;
  const kinds = categories(sale);
  card.querySelector(".kinds").hidden = kinds.length === 0;
  card.querySelector(".kinds").textContent = kinds.map((c) => {
    const left = categoryStats(sale, c.categoryId);
    const price = c.price === undefined ? "" : ` ${money(c.price)}`;
    const seatsLeft = left === undefined ? "" : left.soldOut ? ": sold out"
      : `: ${left.remainingSeats} left`;
    return `${c.name}${price}${seatsLeft}`;
  }).join(" · ");
  card.querySelector(".when").textContent = (opensIn > 0 ? "Opens " : "Opened ")
    + localTime(sale.opensAt) + (waitingUsers ? ` · ${waitingUsers} in line` : "");
  card.querySelector(".presale").hidden = presale === null;
  if (presale) {
    const from = secondsUntil(presale.opensAt) > 0 ? ` from ${localTime(presale.opensAt)}` : "";
    card.querySelector(".presale").textContent = `Presale with an access code${from} until `
      + `${localTime(presale.closesAt)}; open to everyone from ${localTime(sale.opensAt)}.`;
  }
  const join = card.querySelector(".join");
  join.setAttribute("aria-label", `Join the queue for ${sale.name}`);
  join.addEventListener("click", () => withBusy(join, () => joinSale(sale.eventId)));
  return card;
}

async function joinSale(eventId) {
  const input = $("user-id");
  input.setCustomValidity(input.validity.patternMismatch
    ? "No spaces or other signs: letters, digits and _ . : @ - only (like ann.smith or "
      + "ann@example.com)."
    : "");
  if (!input.reportValidity()) return;
  state.userId = input.value.trim();
  save();
  showWho();
  await enter(eventId);
}

// Entering again is how a buyer comes back: the server keeps the place of one who still
// waits or is admitted, and starts a new place at the back for one whose turn ended. During a
// presale the buyer is asked for an access code first (`accessCode`: what they entered).
async function enter(eventId, accessCode) {
  clearNotice();
  const body = { eventId, userId: state.userId };
  if (linked.get("grant")) body.entryGrant = linked.get("grant");
  const sale = await call("GET", `/api/v1/events/${encodeURIComponent(eventId)}`);
  if (sale.ok && presaleOn(sale.data)) {
    if (accessCode === undefined) {
      askCode(sale.data);
      return;
    }
    body.accessCode = accessCode;
  }
  if (sale.ok && sale.data.entryWorkBits > 0) {
    const proof = await proveWork(eventId);
    if (proof === null) {
      showPick();
      return;
    }
    Object.assign(body, proof);
  }
  const answer = await call("POST", "/api/v1/queue/enter", { body });
  if (!answer.ok) {
    if (["code_required", "invalid_code"].includes(answer.problem.code) && sale.ok) {
      askCode(sale.data);
    } else if (sale.ok && sale.data.entryWorkBits > 0) {
      showPick();
    }
    explain(answer.problem);
    return;
  }
  // Seats confirmed count against the limit in the same sale, also after entering again.
  const same = eventId === state.eventId;
  const confirmed = same ? state.confirmed ?? 0 : 0;
  const confirmedIn = same ? state.confirmedIn ?? {} : {};
  if (!same) $("kind-rows").replaceChildren(); // another sale's choices do not carry over
  Object.assign(state, {
    eventId, token: answer.data.token, holdId: null, reserve: null, confirmed, confirmedIn,
  });
  save();
  if (await loadEvent()) route(answer.data);
}

// The presale's screen: the code, then the entry (or back to the list).
function askCode(sale) {
  quiet();
  accessFor = sale.eventId;
  for (const heading of document.querySelectorAll(".event-name")) heading.textContent = sale.name;
  const until = sale.presale ? ` until ${localTime(sale.presale.closesAt)}` : "";
  const opens = sale.presale && secondsUntil(sale.presale.opensAt) > 0
    ? ` Its buyers are let in from ${localTime(sale.presale.opensAt)}.` : "";
  $("access-about").textContent = `This sale is in its presale${until}: only buyers with an `
    + `access code get in line.${opens} From ${localTime(sale.opensAt)} it is open to everyone.`;
  const input = $("access-code");
  input.value = lastCode.eventId === sale.eventId ? lastCode.code : "";
  showScreen("access");
  input.focus();
}

function enterWithCode() {
  const input = $("access-code");
  input.value = input.value.trim();
  if (!input.reportValidity()) return Promise.resolve();
  lastCode = { eventId: accessFor, code: input.value };
  return enter(accessFor, input.value);
}

async function loadEvent() {
  const answer = await call("GET", `/api/v1/events/${encodeURIComponent(state.eventId)}`);
  if (!answer.ok) {
    explain(answer.problem);
    if (answer.problem.code === "event_not_found") {
      forget();
      showPick();
    }
    return false;
  }
  event = answer.data;
  for (const heading of document.querySelectorAll(".event-name")) heading.textContent = event.name;
  return true;
}

// ---------------------------------------------------------------- where the buyer stands

// The status answer decides the screen, whatever led here (entering, the stream's outcome,
// a refusal, a reload); `after` names the buyer's last step when it was a confirm or cancel.
async function route(ticket, after) {
  quiet();
  switch (ticket.status) {
    case "WAITING":
      showWaiting(ticket);
      follow();
      break;
    case "ADMITTED":
      await showShop(ticket.admissionExpiresAt);
      break;
    case "COMPLETED":
      completed(after);
      break;
    case "EXPIRED":
      finish("Your turn ran out. Enter the queue again to get a new place in line.");
      break;
    case "SOLD_OUT":
      // The server says SOLD_OUT only when no hold is pending either: no seat can come back.
      finish("Sold out: every seat is sold, and none is held that could come back.", null);
      break;
    case "CLOSED":
      finish("The organiser closed this sale: no more seats are sold in it.");
      break;
    case "ABANDONED":
      finish("Your turn came while this page was closed or offline, so it went to the next "
        + "buyer. Enter the queue again to get a new place, at the back of the line.");
      break;
  }
}

async function refresh(after) {
  const answer = await call("GET", "/api/v1/queue/status", { token: state.token });
  if (answer.ok) {
    await route(answer.data, after);
  } else if (answer.problem.code === "network") {
    explain(answer.problem);
    setTimeout(refresh, RETRY_MS);
  } else {
    explain(answer.problem);
    forget();
    showPick();
  }
}

// A turn ends when the buyer's seats reach the limit, and seats given back do not reopen it.
function completed(after) {
  const limit = `the limit of ${seats(event.maxPerUser)} per buyer`;
  if (after === "confirm") {
    finish(`You have your seats: you reached ${limit}.`, null);
  } else {
    finish(`Your turn ended when you reached ${limit}. Seats given back (cancelled, or a hold `
      + "that ran out) do not reopen it: to buy again, enter the queue again.");
  }
}

// The last screen of a turn; `again` labels the button that enters the queue anew (null: none).
function finish(text, again = "Enter the queue again") {
  $("done-text").textContent = text;
  $("again").hidden = again === null;
  $("again").textContent = again;
  showScreen("done");
}

// ---------------------------------------------------------------- waiting in line

function showWaiting(ticket) {
  showScreen("waiting");
  showPosition(ticket);
}

// How the estimate is made: the rate, and the cap on buyers admitted at once.
function waitBasis() {
  const opensIn = secondsUntil(event.opensAt);
  const presale = presaleOn(event) ? event.presale : null;
  const opening = presale === null
    ? (opensIn > 0 ? `. The sale opens ${localTime(event.opensAt)}.` : ".")
    : (secondsUntil(presale.opensAt) > 0 ? `. The presale opens ${localTime(presale.opensAt)}`
      : ". The presale runs")
      + ` until ${localTime(presale.closesAt)}; the sale opens to everyone `
      + `${localTime(event.opensAt)}.`;
  return `Buyers are let in at up to ${event.admissionRatePerSecond} `
    + `per second, in the order they came, with at most ${event.maxActiveUsers} buying at `
    + `once (a turn lasts up to ${duration(event.admissionTtlSeconds)}): when that many are `
    + "in, the next waits for a turn to end"
    + opening;
}

// The estimate is the server's as of its message; until the next one (at least every 15 s)
// it counts down with the clock, so the page never shows time that has already passed.
function showPosition({ position, estimatedWaitSeconds, drawPending = false }) {
  clearInterval(countdownTimer);
  if (drawPending) {
    showDrawPending();
    return;
  }
  $("wait-basis").textContent = waitBasis();
  $("position").textContent = position;
  if (estimatedWaitSeconds === null) {
    // Paused by the organiser: nobody is let in, and nobody can say for how long.
    $("wait").textContent = "paused by the organiser: you keep your place";
    return;
  }
  const until = Date.now() + estimatedWaitSeconds * 1000;
  const tick = () => {
    const left = Math.round((until - Date.now()) / 1000);
    $("wait").textContent = left > 0 ? `about ${duration(left)}` : "any moment now";
  };
  clearInterval(countdownTimer);
  tick();
  countdownTimer = setInterval(tick, 1_000);
}

// A drawn pre-queue: until the opening there is no place to show, only how it will be decided.
function showDrawPending() {
  $("position").textContent = "?";
  $("wait").textContent = "decided at the opening";
  $("wait-basis").textContent = "Everyone who joins before the sale opens is put in a random "
    + `order when it opens (${localTime(event.opensAt)}), by a draw anyone can check: the `
    + "sale published the fingerprint of its secret seed when it was created, and publishes "
    + "the seed once drawn. Keep this page open; your place shows here then.";
}

function showLink(live, text) {
  $("link").className = `small ${live ? "live" : "offline"}`;
  $("link").textContent = text;
}

function follow() {
  const source = new EventSource(
    `/api/v1/queue/stream?token=${encodeURIComponent(state.token)}`,
  );
  stream = source;
  showLink(false, "Connecting…");
  source.addEventListener("open", () => {
    showLink(true, "Live: your place updates as the line moves.");
  });
  source.addEventListener("position", (message) => showPosition(JSON.parse(message.data)));
  source.addEventListener("draw_pending", showDrawPending);
  // The stream ends after its outcome. Close it at once (or EventSource would reconnect to a
  // stream with nothing more to say) and let the status tell the whole story.
  for (const outcome of ["admitted", "sold_out", "closed", "expired", "abandoned"]) {
    source.addEventListener(outcome, () => {
      quiet();
      refresh();
    });
  }
  // The same buyer opened the line in more windows than the server follows: this one stops
  // (reconnecting would only take the place of another window's, and so on).
  source.addEventListener("replaced", () => {
    quiet();
    showLink(false, "Followed in another window now; reload this one to follow here.");
  });
  source.addEventListener("error", () => {
    if (source !== stream) return;
    showLink(false, "Connection lost: reconnecting…");
    recheck(source);
  });
}

// After a dropped or refused stream: the line may have moved on while it was down.
async function recheck(source) {
  const answer = await call("GET", "/api/v1/queue/status", { token: state.token });
  if (source !== stream) return; // something else took over meanwhile
  if (answer.ok && answer.data.status !== "WAITING") {
    route(answer.data);
    return;
  }
  if (answer.ok) {
    showPosition(answer.data);
  } else if (answer.problem.code !== "network" && answer.problem.code !== "service_unavailable") {
    // A dependency down for a moment (503) is no reason to give up the place: EventSource
    // reconnects on its own, after the retry the stream asked for.
    explain(answer.problem);
    forget();
    showPick();
    return;
  }
  // EventSource reconnects by itself after a drop, but not after a refused connection (an
  // error status): then it is CLOSED, and a new one is opened here.
  if (source.readyState === EventSource.CLOSED) {
    setTimeout(() => {
      if (source === stream) follow();
    }, RETRY_MS);
  }
}

async function leave() {
  await call("DELETE", "/api/v1/queue", { token: state.token });
  forget();
  notify("info", "You left the queue.");
  showPick();
}

// ---------------------------------------------------------------- reserving

async function showShop(admissionExpiresAt) {
  // The seats left, as of now; with the sale gone the page is back at the list, and for a
  // moment's failure it goes on with what it read before.
  if (!(await loadEvent()) && state.eventId === null) return;
  const kinds = categories().length > 0;
  $("single-kind").hidden = kinds;
  $("kinds").hidden = !kinds;
  if (kinds) showKinds();
  else showQuantity();
  $("reserve").textContent = "Reserve";
  showScreen("shop");
  countdown("admission-clock", admissionExpiresAt, refresh);
}

// One kind of seat: how many, up to what the buyer may still have.
function showQuantity() {
  const select = $("quantity");
  const chosen = select.value;
  const mine = state.confirmed ?? 0;
  const room = Math.max(1, event.maxPerUser - mine);
  const counts = Array.from({ length: room }, (_, i) => i + 1);
  const options = counts.map((n) => new Option(seats(n), n));
  select.replaceChildren(...options);
  if (chosen && Number(chosen) <= room) select.value = chosen;
  const limit = event.maxPerUser === 1 ? "One seat per buyer. "
    : mine ? `You have ${seats(mine)} of the ${event.maxPerUser} a buyer may have: up to `
      + `${seats(room)} more, all or nothing. `
    : `1 to ${event.maxPerUser} per buyer, all or nothing. `;
  const left = `${seats(event.stats.remainingSeats)} left on sale. `;
  $("quantity-hint").textContent = `${limit}${left}A hold keeps them for `
    + `${duration(event.holdTtlSeconds)} until you confirm.`;
}

// Seat categories: each with its price and seats left, and how many of it (0 up to what the
// buyer may still have of it); a sold-out one is shown as such and cannot be chosen. What the
// buyer chose stays through a refresh as far as it still fits.
function showKinds() {
  const rows = $("kind-rows");
  const before = new Map(Array.from(rows.querySelectorAll(".kind"), (row) => [
    row.dataset.category, row.querySelector(".kind-quantity").value,
  ]));
  const mine = state.confirmed ?? 0;
  const room = Math.max(0, event.maxPerUser - mine);
  const only = categories().length === 1;
  rows.replaceChildren(...categories().map((category) => {
    const row = $("kind-row").content.firstElementChild.cloneNode(true);
    const left = categoryStats(event, category.categoryId);
    const soldOut = left?.soldOut ?? false;
    const have = state.confirmedIn?.[category.categoryId] ?? 0;
    const most = Math.max(0, Math.min(category.maxPerUser - have, room));
    row.dataset.category = category.categoryId;
    row.classList.toggle("sold-out", soldOut);
    row.querySelector(".kind-name").textContent = category.name;
    const price = row.querySelector(".kind-price");
    price.hidden = category.price === undefined;
    if (category.price !== undefined) price.textContent = money(category.price);
    const limit = have ? `you have ${have} of the ${category.maxPerUser} a buyer may have`
      : `up to ${category.maxPerUser} per buyer`;
    row.querySelector(".kind-left").textContent = soldOut ? "Sold out"
      : left === undefined ? limit
      : left.remainingSeats === 0 ? `all held right now, seats may come back · ${limit}`
      : `${left.remainingSeats} left · ${limit}`;
    const input = row.querySelector(".kind-quantity");
    input.setAttribute("aria-label", `Seats of ${category.name}`);
    input.name = `quantity-${category.categoryId}`;
    input.max = String(most);
    input.disabled = soldOut || most === 0;
    const wanted = Number(before.get(category.categoryId) ?? (only ? 1 : 0));
    input.value = input.disabled ? "0" : String(Math.min(Math.max(0, wanted), most));
    input.addEventListener("input", showChosen);
    return row;
  }));
  const limit = event.maxPerUser === 1 ? "One seat per buyer. "
    : mine ? `You have ${seats(mine)} of the ${event.maxPerUser} a buyer may have: up to `
      + `${seats(room)} more, all or nothing. `
    : `Up to ${seats(event.maxPerUser)} per buyer in all, all or nothing. `;
  $("kinds-hint").textContent = `${limit}A hold keeps them for `
    + `${duration(event.holdTtlSeconds)} until you confirm.`;
  showChosen();
}

// The categories chosen (quantity above 0), in the sale's order.
function chosenItems() {
  return Array.from($("kind-rows").querySelectorAll(".kind"), (row) => ({
    categoryId: row.dataset.category,
    quantity: Number(row.querySelector(".kind-quantity").value),
  })).filter((item) => Number.isInteger(item.quantity) && item.quantity > 0);
}

function showChosen() {
  const items = chosenItems();
  const count = items.reduce((sum, item) => sum + item.quantity, 0);
  const prices = items.map((item) => categories().find((c) => c.categoryId === item.categoryId));
  const priced = prices.every((c) => c?.price !== undefined);
  const total = items.reduce((sum, item, i) => sum + item.quantity * (prices[i]?.price ?? 0), 0);
  $("kinds-total").textContent = count === 0 ? "Choose how many seats of which kind."
    : `${seats(count)} chosen` + (priced ? `: ${money(total)} in all.` : ".");
}

// What a reserve asks for: a quantity; one category and its quantity; or several at once.
function chosenOrder() {
  if (categories().length === 0) return { quantity: Number($("quantity").value) };
  const items = chosenItems();
  if (items.length === 0) return null;
  if (items.length === 1) return { categoryId: items[0].categoryId, quantity: items[0].quantity };
  return { items };
}

function countdown(id, until, onEnd) {
  clearInterval(countdownTimer);
  const tick = () => {
    const left = secondsUntil(until);
    $(id).textContent = clock(left);
    if (left <= 0) {
      clearInterval(countdownTimer);
      onEnd();
    }
  };
  tick();
  // A few ticks a second, so that the display never skips a second.
  countdownTimer = setInterval(tick, 250);
}

async function reserve(order) {
  clearNotice();
  // The key is saved before the request goes out: if its answer is lost (a reload, a dropped
  // connection), sending the same key again answers the same hold instead of a second one.
  state.reserve = { key: state.reserve?.key ?? randomId(), order };
  save();
  const answer = await call("POST", "/api/v1/tickets/reserve", {
    token: state.token,
    idempotencyKey: state.reserve.key,
    body: { eventId: state.eventId, ...state.reserve.order },
  });
  if (!answer.ok && answer.problem.code === "network") {
    explain(answer.problem);
    return;
  }
  state.reserve = null;
  save();
  if (answer.ok) {
    showHold(answer.data);
    return;
  }
  if (answer.problem.code === "sale_closed") {
    // An admission outlives the close, but nothing can be bought with it any more.
    quiet();
    explain(answer.problem);
    finish(PLAIN.sale_closed, null);
    return;
  }
  await refresh();
  const named = categoryNamedIn(answer.problem.detail);
  if (answer.problem.code === "sold_out" && named
    && categoryStats(event, named.categoryId)?.soldOut) {
    // Every seat of that category is confirmed: none of it can come back.
    notify("bad", `Sold out: every seat in ${named.name} is sold. Choose others.`,
      answer.problem.detail);
    return;
  }
  if (answer.problem.code === "sold_out" && !named && event.stats.pendingSeats === 0) {
    // Every seat is confirmed: none can come back, so there is nothing to try again.
    notify("bad", "Sold out: every seat is sold.", answer.problem.detail);
    return;
  }
  if (answer.problem.code === "invalid_code") {
    // The presale's code this buyer entered with unlocks other categories only.
    notify("bad", "Your access code is not for these seats: choose others.",
      answer.problem.detail);
    return;
  }
  explain(answer.problem);
  // Still admitted, and seats may come back: the same button is the way to try again.
  const retry = ["sold_out", "insufficient_seats"].includes(answer.problem.code);
  if (retry && !$("shop").hidden) $("reserve").textContent = "Try again";
}

function showHold(hold) {
  quiet();
  state.holdId = hold.reservationId;
  save();
  $("hold-seats").textContent = seats(hold.quantity);
  const items = hold.items ?? [];
  $("hold-items").replaceChildren(...items.map(({ categoryId, quantity }) => {
    const line = document.createElement("li");
    const price = categories().find((c) => c.categoryId === categoryId)?.price;
    line.textContent = `${categoryName(categoryId)}: ${seats(quantity)}`
      + (price === undefined ? "" : ` at ${money(price)} each`);
    line.dataset.category = categoryId;
    return line;
  }));
  $("hold-items").hidden = items.length === 0;
  $("hold-id").textContent = hold.reservationId;
  showScreen("hold");
  countdown("hold-clock", hold.expiresAt, holdRanOut);
}

// The server expires holds on its own schedule; ask until it has.
async function holdRanOut() {
  const answer = await call("GET", `/api/v1/tickets/${encodeURIComponent(state.holdId)}`, {
    token: state.token,
  });
  if (answer.ok && answer.data.status === "PENDING") {
    setTimeout(holdRanOut, 1_000);
    return;
  }
  state.holdId = null;
  save();
  notify("warn", "Your hold ran out: its seats went back on sale.");
  await refresh();
}

async function settle(action) {
  clearNotice();
  const answer = await call(
    "POST",
    `/api/v1/tickets/${encodeURIComponent(state.holdId)}/${action}`,
    { token: state.token },
  );
  if (!answer.ok && answer.problem.code === "network") {
    explain(answer.problem); // stay on the hold: pressing again is safe
    return;
  }
  state.holdId = null;
  save();
  if (answer.ok && action === "confirm") {
    const n = answer.data.quantity;
    state.confirmed = (state.confirmed ?? 0) + n;
    state.confirmedIn = { ...state.confirmedIn };
    for (const { categoryId, quantity } of answer.data.items ?? []) {
      state.confirmedIn[categoryId] = (state.confirmedIn[categoryId] ?? 0) + quantity;
    }
    save();
    notify("good", `Confirmed: ${seats(n)} ${n === 1 ? "is" : "are"} yours.`,
      `Reservation ${answer.data.reservationId}`);
  } else if (answer.ok) {
    notify("info", `Cancelled: ${seats(answer.data.quantity)} went back on sale.`);
  } else {
    explain(answer.problem);
  }
  // Still admitted below the limit: reserve more; otherwise the turn is over.
  await refresh(answer.ok ? action : undefined);
}

// ---------------------------------------------------------------- start

function showWho() {
  $("who").textContent = state.userId ? `You: ${state.userId}` : "";
}

async function resume() {
  if (!(await loadEvent())) return;
  await refresh();
  if (state.reserve) {
    // A page of before seat categories kept only the quantity.
    await reserve(state.reserve.order ?? { quantity: state.reserve.quantity });
  } else if (state.holdId) {
    const answer = await call("GET", `/api/v1/tickets/${encodeURIComponent(state.holdId)}`, {
      token: state.token,
    });
    if (answer.ok && answer.data.status === "PENDING") {
      showHold(answer.data);
    } else {
      state.holdId = null;
      save();
    }
  }
}

$("user-id").value = linked.get("user") ?? state.userId;
$("user-id").addEventListener("input", () => $("user-id").setCustomValidity(""));
$("identity").addEventListener("submit", (submitted) => submitted.preventDefault());
$("leave").addEventListener("click", () => withBusy($("leave"), leave));
$("reserve-form").addEventListener("submit", (submitted) => {
  submitted.preventDefault();
  const order = chosenOrder();
  if (order === null) {
    notify("info", "Choose at least one seat first.");
    return;
  }
  withBusy($("reserve"), () => reserve(order));
});
$("access-form").addEventListener("submit", (submitted) => {
  submitted.preventDefault();
  withBusy($("access-enter"), enterWithCode);
});
$("access-back").addEventListener("click", () => {
  clearNotice();
  forget();
  showPick();
});
$("confirm").addEventListener("click", () => withBusy($("confirm"), () => settle("confirm")));
$("cancel").addEventListener("click", () => withBusy($("cancel"), () => settle("cancel")));
$("again").addEventListener("click", () => withBusy($("again"), () => enter(state.eventId)));
$("other").addEventListener("click", () => {
  clearNotice();
  forget();
  showPick();
});
showWho();
if (state.token) resume();
else showPick();
