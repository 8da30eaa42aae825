// Talking to the preflab API from pages: the browser session cookie authenticates, and every
// request carries the session's CSRF token (writes need it, and so does GET /next, which claims
// a task: no image or link a page draws can send the header). A token gone stale (the user
// logged in again in another tab) is refreshed from /api/current-user/session and the request
// retried once, as long as the session still belongs to the user the page was drawn for.

export let csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";
const pageUser = Number(document.querySelector('meta[name="user-id"]')?.content || 0) || null;
export const CSRF_FAILED = "CSRF token missing or incorrect.";

export class ApiError extends Error {
  constructor(status, message, { retryAfter = null, code = null, body = null } = {}) {
    super(message);
    this.status = status;
    this.body = body; // the server's JSON answer, when it sent one
    this.retryAfter = retryAfter; // seconds, from a Retry-After header
    this.code = code; // "login": no session; "other-user": the cookie is someone else's now
  }
}

export function setCsrfToken(token) {
  csrf = token;
}

// What a 401 does: by default go to the login page; the labeling page shows a prompt instead,
// so that nothing on it is lost.
let unauthorized = () => location.assign(`/user/login?next=${encodeURIComponent(location.pathname)}`);
export function onUnauthorized(handler) {
  unauthorized = handler;
}

// The session behind the cookie now: {user_id, csrf_token}, or null when there is none (401).
// Any other failure throws.
export async function currentSession() {
  let response;
  try {
    response = await fetch("/api/current-user/session", { headers: { Accept: "application/json" }, credentials: "same-origin" });
  } catch (_) {
    throw new ApiError(0, "The server cannot be reached. Check your connection.");
  }
  if (response.status === 401) return null;
  if (!response.ok) throw new ApiError(response.status, response.statusText);
  return response.json();
}

// Fetch a fresh CSRF token for the cookie's session. Returns "ok", "login" (no session) or
// "other-user" (someone else logged in in this browser since the page was drawn).
export async function refreshCsrf(expectedUser = pageUser) {
  const session = await currentSession();
  if (!session) return "login";
  if (expectedUser && session.user_id !== expectedUser) return "other-user";
  setCsrfToken(session.csrf_token);
  return "ok";
}

export async function api(path, { method = "GET", body } = {}) {
  let payload = body;
  const json = body !== undefined && !(body instanceof FormData);
  if (json) payload = JSON.stringify(body);
  for (let attempt = 0; ; attempt++) {
    const headers = { Accept: "application/json", "X-CSRFToken": csrf };
    if (json) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(path, { method, headers, body: payload, credentials: "same-origin" });
    } catch (_) {
      throw new ApiError(0, "The server cannot be reached. Check your connection.");
    }
    if (response.status === 401) {
      unauthorized();
      throw new ApiError(401, "Please log in again.", { code: "login" });
    }
    if (response.status === 204) return null;
    const data = await response.json().catch(() => null);
    const detail = data?.detail || response.statusText;
    if (response.status === 403 && detail === CSRF_FAILED && attempt === 0) {
      const state = await refreshCsrf();
      if (state === "ok") continue;
      if (state === "login") {
        unauthorized();
        throw new ApiError(401, "Please log in again.", { code: "login" });
      }
      throw new ApiError(403, "You are logged in as another user in this browser now. Log in again as yourself.", {
        code: "other-user",
      });
    }
    if (!response.ok) {
      const retryAfter = Number(response.headers.get("Retry-After")) || null;
      throw new ApiError(response.status, typeof detail === "string" ? detail : JSON.stringify(detail), {
        retryAfter,
        body: data,
      });
    }
    return data;
  }
}

// A DOM builder that only ever sets text, never HTML.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

let toastTimer;
export function toast(message, kind = "info") {
  const box = document.getElementById("toast");
  if (!box) return;
  box.textContent = message;
  box.className = kind;
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (box.hidden = true), kind === "error" ? 8000 : 3000);
}

export function projectId() {
  return Number(document.querySelector("[data-project]").dataset.project);
}

export function formatDate(stamp) {
  return stamp ? new Date(stamp).toLocaleString() : "";
}
