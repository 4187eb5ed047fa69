// What both pages share: calling API v1, showing outcomes, small formatting helpers.

const REQUEST_TIMEOUT_MS = 10_000;

// Every call answers {ok, status, data} or {ok: false, status, problem}. The problem is the
// server's RFC 9457 body (its `code` and `detail`); a network failure or an answer that is not
// a problem is turned into the same shape, so that callers handle one kind of refusal.
export async function call(
  method, path, { body, token, adminKey, operator, idempotencyKey } = {},
) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers["X-Queue-Token"] = token;
  if (adminKey) headers.Authorization = `Bearer ${adminKey}`;
  if (operator) headers["X-Operator"] = operator; // who acts, in the record of changes
  if (idempotencyKey) headers["Idempotency-Key"] = idempotencyKey;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch {
    return {
      ok: false,
      status: 0,
      problem: {
        code: "network",
        title: "No connection",
        detail: "the server could not be reached; check the connection and try again",
      },
    };
  }
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (response.ok) return { ok: true, status: response.status, data };
  const problem = data && typeof data.code === "string" ? data : {
    code: `http_${response.status}`,
    title: response.statusText || "Refused",
    detail: `the server answered ${response.status}`,
  };
  // How long to wait before asking again, when the server says (429, 503).
  const retryAfter = Number(response.headers.get("Retry-After"));
  if (retryAfter > 0) problem.retryAfterSeconds = retryAfter;
  return { ok: false, status: response.status, problem };
}

export const $ = (id) => document.getElementById(id);

// Shows exactly one of the page's screens (sections with class "screen"). A notice lives for
// the screen it was given on and the next (what led there); after that it is old news.
export function showScreen(id) {
  for (const screen of document.querySelectorAll(".screen")) screen.hidden = screen.id !== id;
  const box = $("notice");
  box.dataset.screens = String(Number(box.dataset.screens ?? 0) + 1);
  if (Number(box.dataset.screens) > 1) box.hidden = true;
  window.scrollTo(0, 0);
}

// The notice box at the top: a plain headline, then the server's own words if there are any.
export function notify(kind, title, detail = "") {
  const box = $("notice");
  box.className = `notice ${kind}`;
  $("notice-title").textContent = title;
  $("notice-detail").textContent = detail;
  box.dataset.screens = "0";
  box.hidden = false;
}

export function clearNotice() {
  $("notice").hidden = true;
}

// Session storage: survives a reload of this tab, not closing it, and is never shared between
// tabs, so two tabs can be two buyers.
export function loadSession(key, fallback) {
  try {
    return { ...fallback, ...JSON.parse(sessionStorage.getItem(key) ?? "{}") };
  } catch {
    return { ...fallback };
  }
}

export function saveSession(key, value) {
  sessionStorage.setItem(key, JSON.stringify(value));
}

// "about 2 min 5 s": whole seconds, never a false precision.
export function duration(seconds) {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  const h = Math.floor(m / 60);
  return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
}

// "4:05": the seconds left of a countdown.
export function clock(secondsLeft) {
  const s = Math.max(0, Math.ceil(secondsLeft));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

export function secondsUntil(moment) {
  return (Date.parse(moment) - Date.now()) / 1000;
}

export function localTime(moment) {
  return new Date(moment).toLocaleString(undefined, {
    dateStyle: "medium",
    timeStyle: "medium",
  });
}

// A random id for Idempotency-Key: crypto.randomUUID exists only on secure origins (https or
// loopback), getRandomValues everywhere.
export function randomId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
