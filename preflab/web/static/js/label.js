// The labeling screen: shows one task at a time, keyboard first. Submitting is optimistic: the
// next task (prefetched) is shown at once while the answer is saved in the background; unsaved
// answers are kept in localStorage and retried until the server has them, never dropped.

import { ApiError, api, el, toast } from "./api.js";
import { coinFlip, parseConfig, render } from "./render.js";

const root = document.getElementById("labeling");
const projectId = Number(root.dataset.project);
const userId = Number(root.dataset.user);
const stage = document.getElementById("stage");
const sync = document.getElementById("sync");
const title = document.getElementById("task-title");
const progressInfo = document.getElementById("progress-info");
const PENDING_KEY = `preflab:pending:${userId}:${projectId}`;
const draftKey = (taskId) => `preflab:draft:${userId}:${taskId}`;

let project;
let configDoc;
let current = null; // {task, iface, started, annotationId?, resume?}
let prefetched = null; // Promise of the next task (or null when none is left)
let done = 0;
const history = []; // {task, annotationId} of this session, newest last
let pending = JSON.parse(localStorage.getItem(PENDING_KEY) || "[]");
let sending = false;

function savePending() {
  localStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  showSync();
}

function showSync(error) {
  if (error) {
    sync.textContent = `Not saved yet (${error}); retrying…`;
    sync.className = "error";
  } else if (pending.length) {
    sync.textContent = `Saving ${pending.length}…`;
    sync.className = "busy";
  } else {
    sync.textContent = "All saved";
    sync.className = "ok";
  }
}

async function fetchNext(keep) {
  const query = keep.map((id) => `keep=${id}`).join("&");
  try {
    return await api(`/api/projects/${projectId}/next${query ? `?${query}` : ""}`);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}

// Tasks this labeler holds a claim on: the one on screen, one to resume after an edit, and the
// ones whose answers are still on their way to the server.
function holding() {
  return [...new Set([current?.task.id, current?.resume?.id, ...pending.map((p) => p.task)].filter(Boolean))];
}

function prefetch() {
  prefetched = fetchNext(holding()).catch(() => null);
}

function show(task, { annotation = null, resume = null } = {}) {
  if (!task) {
    current = null;
    stage.shadowRoot?.replaceChildren();
    document.getElementById("done").hidden = false;
    title.textContent = "No tasks left";
    return;
  }
  document.getElementById("done").hidden = true;
  const swap = project.randomize_order && !annotation?.shown_order
    ? coinFlip(`${userId}:${task.id}`)
    : Boolean(annotation?.shown_order && annotation.shown_order[0] !== pairNames()[0]);
  const iface = render(configDoc, task.data, stage, { swap, onChange: () => saveDraft() });
  const draft = JSON.parse(localStorage.getItem(draftKey(task.id)) || "null");
  if (draft) iface.load(draft);
  else if (annotation) iface.load(annotation.result);
  current = { task, iface, started: performance.now(), annotationId: annotation?.id || null, resume };
  title.textContent = annotation ? `Editing your answer to task ${task.id}` : `Task ${task.id}`;
  progressInfo.textContent = `${done} labeled this session`;
  document.getElementById("skip").hidden = !project.show_skip_button || Boolean(annotation);
  stage.dataset.task = task.id;
  stage.dispatchEvent(new CustomEvent("preflab:shown", { bubbles: true, detail: { task: task.id } }));
}

function pairNames() {
  const pair = configDoc.querySelector("Pairwise");
  return pair ? pair.getAttribute("toName").split(",").map((s) => s.trim()) : [];
}

function saveDraft() {
  if (current) localStorage.setItem(draftKey(current.task.id), JSON.stringify(current.iface.result()));
}

function advance(resume) {
  if (resume) return show(resume);
  prefetched.then((next) => {
    show(next);
    prefetch();
  });
}

function submit({ skip = false } = {}) {
  if (!current) return;
  const result = skip ? [] : current.iface.result();
  if (!skip && !result.length && (configDoc.querySelector("Pairwise") || !project.enable_empty_annotation)) {
    toast("Choose an answer first: press 1 or 2, or click an answer.", "error");
    return;
  }
  const body = {
    result,
    was_cancelled: skip,
    lead_time: Math.round((performance.now() - current.started) / 10) / 100,
  };
  if (current.iface.shownOrder) body.shown_order = current.iface.shownOrder;
  const entry = { task: current.task.id, annotation: current.annotationId, body, key: crypto.randomUUID() };
  pending.push(entry);
  savePending();
  localStorage.removeItem(draftKey(current.task.id));
  if (!current.annotationId) {
    history.push({ task: current.task, key: entry.key });
    done += 1;
  }
  advance(current.resume);
  flush();
}

async function flush() {
  if (sending) return;
  sending = true;
  let delay = 500;
  try {
    while (pending.length) {
      const entry = pending[0];
      try {
        const saved = entry.annotation
          ? await api(`/api/annotations/${entry.annotation}`, { method: "PATCH", body: entry.body })
          : await api(`/api/tasks/${entry.task}/annotations`, { method: "POST", body: entry.body });
        const item = history.find((h) => h.key === entry.key);
        if (item) item.annotationId = saved.id;
        pending.shift();
        savePending();
        delay = 500;
      } catch (err) {
        if (err instanceof ApiError && err.status >= 400 && err.status < 500 && err.status !== 408 && err.status !== 429) {
          // the server refused this answer for good: say so, keep it out of the retry loop
          pending.shift();
          savePending();
          toast(`Task ${entry.task} was not saved: ${err.message}`, "error");
          continue;
        }
        showSync(err.message);
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 10000);
      }
    }
  } finally {
    sending = false;
  }
}

// Go back to an earlier answer of this labeler and show it for editing; after saving it, the
// task that was on screen comes back.
async function back() {
  let target = null;
  const index = current ? history.findIndex((h) => h.task.id === current.task.id) : -1;
  if (current?.annotationId) target = index > 0 ? history[index - 1] : null;
  else target = history[history.length - 1] || null;
  if (!target) {
    const mine = await api(`/api/projects/${projectId}/history?limit=1`);
    if (!mine.length) return toast("Nothing to go back to yet.");
    target = { task: { id: mine[0].task }, annotationId: mine[0].annotation };
  }
  await flush();
  const task = await api(`/api/tasks/${target.task.id}`);
  const annotation = task.annotations.find((a) => a.id === target.annotationId) || task.annotations.at(-1);
  if (!annotation) return toast("That answer is still being saved; try again in a moment.");
  const resume = current?.annotationId ? current.resume : current?.task;
  show(task, { annotation, resume });
}

function onKey(event) {
  const typing = event.target.closest?.("textarea, input, select") || event.composedPath().some((n) => n.tagName === "TEXTAREA");
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey || !typing)) {
    event.preventDefault();
    return submit();
  }
  if (typing || !current) return;
  if (event.ctrlKey && event.key.toLowerCase() === "z") {
    event.preventDefault();
    return current.iface.undo();
  }
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (current.iface.hotkey(event.key)) return event.preventDefault(); // the config's own keys first
  switch (event.key) {
    case "1":
    case "ArrowLeft":
      event.preventDefault();
      return current.iface.selectShown(0);
    case "2":
    case "ArrowRight":
      event.preventDefault();
      return current.iface.selectShown(1);
    case "s":
    case "S":
      if (project.show_skip_button && !current.annotationId) submit({ skip: true });
      return;
    case "u":
    case "U":
      return current.iface.undo();
    case "Backspace":
      event.preventDefault();
      return back();
  }
}

async function start() {
  project = await api(`/api/projects/${projectId}`);
  configDoc = parseConfig(project.label_config);
  if (project.show_instruction && project.expert_instruction) {
    const box = document.getElementById("instructions");
    box.append(el("h2", { text: "Instructions" }), el("p", { text: project.expert_instruction }));
    box.hidden = false;
  }
  document.getElementById("submit").addEventListener("click", () => submit());
  document.getElementById("skip").addEventListener("click", () => submit({ skip: true }));
  document.getElementById("undo").addEventListener("click", () => current?.iface.undo());
  document.getElementById("back").addEventListener("click", () => back());
  document.addEventListener("keydown", onKey);
  window.addEventListener("online", flush);
  showSync();
  flush();
  show(await fetchNext(pending.map((p) => p.task)));
  prefetch();
}

start().catch((err) => {
  title.textContent = "This project cannot be labeled right now";
  toast(err.message, "error");
});
