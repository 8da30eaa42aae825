// The labeling screen: shows one task at a time, keyboard first. Submitting is optimistic: the
// next task (prefetched) is shown at once while the answer is saved in the background. Answers
// on their way are kept in localStorage, one key each (outbox.js), and sent by whichever tab of
// this labeler gets to them first, with a client unique_id so a repeat never makes a second
// annotation. Nothing the page showed as submitted is dropped: a stale CSRF token is refreshed,
// a lost session asks for a login in another tab and waits, and an answer the server refuses for
// good stays listed, with a download, until the labeler deals with it.

import { ApiError, api, CSRF_FAILED, el, onUnauthorized, refreshCsrf, toast } from "./api.js";
import { download, Outbox, uuid, withLock } from "./outbox.js";
import { helpers, pairNames, parseConfig, render } from "./render.js";
import { swapped } from "./rules.js";

const root = document.getElementById("labeling");
const projectId = Number(root.dataset.project);
const userId = Number(root.dataset.user);
const stage = document.getElementById("stage");
const sync = document.getElementById("sync");
const title = document.getElementById("task-title");
const progressInfo = document.getElementById("progress-info");
const dialog = document.getElementById("instructions");
// A draft names its task by project, id and inner id: a draft of a deleted task never reaches
// another task that came to have its id.
const draftKey = (task) => `preflab:draft:${userId}:${projectId}:${task.id}:${task.inner_id}`;
const tabId = uuid();
const tabKey = (id) => `preflab:tab:${userId}:${projectId}:${id}`;
const TAB_PREFIX = `preflab:tab:${userId}:${projectId}:`;

let project;
let configDoc;
let markdown = null; // text → sanitized nodes, for projects with render_markdown
let html = null; // HTML → sanitized nodes, for configs with <HyperText>
let current = null; // {task, iface, started, annotationId?, resume?}
let prefetched = null; // Promise of the next task (null when none is left, undefined when it failed)
let prefetchedId = null;
let mine = 0; // answers (not skips) this labeler has submitted in this project
let left = null; // tasks still open for this labeler (an estimate from the project's counters)
const history = []; // {task, key, annotationId} of this session, newest last
const outbox = new Outbox(userId);
let blocked = null; // "login" | "other-user": saving waits until this labeler is logged in again
let lastError = null;

function showSync() {
  const waiting = outbox.waiting().length;
  const failed = outbox.failed().length;
  if (blocked) {
    sync.textContent = `${waiting} not saved yet: log in again`;
    sync.className = "error";
  } else if (waiting && lastError) {
    sync.textContent = `Not saved yet (${lastError}); retrying…`;
    sync.className = "error";
  } else if (waiting) {
    sync.textContent = `Saving ${waiting}…`;
    sync.className = "busy";
  } else if (failed) {
    sync.textContent = `${failed} not saved`;
    sync.className = "error";
  } else {
    sync.textContent = "All saved";
    sync.className = "ok";
  }
  showUnsaved();
}

// Answers the server refused for good (task deleted, invalid answer): listed with their error,
// downloadable as JSON, retried or discarded only when the labeler says so.
function showUnsaved() {
  const failed = outbox.failed();
  const box = document.getElementById("unsaved");
  box.hidden = !failed.length;
  if (!failed.length) return;
  document.getElementById("unsaved-count").textContent = failed.length === 1 ? "1 answer was not saved" : `${failed.length} answers were not saved`;
  document
    .getElementById("unsaved-list")
    .replaceChildren(
      ...failed.map((e) =>
        el("li", {}, `${e.label || `Task ${e.task}`}: ${e.error.message}`, el("span", { class: "muted", text: ` (${e.error.status || "error"})` })),
      ),
    );
}

async function fetchNext(keep) {
  const query = ["empty=204", ...keep.map((id) => `keep=${id}`)].join("&");
  try {
    return await api(`/api/projects/${projectId}/next?${query}`); // null (204) when nothing is left
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}

// Tasks this labeler holds or works on: the one on screen, one to resume after an edit, the
// ones whose answers are still on their way to the server, and those on screen in other tabs.
function holding() {
  const mine = outbox
    .waiting()
    .filter((e) => e.project === projectId)
    .map((e) => e.task);
  const ids = [current?.task.id, current?.resume?.id, ...otherTabs(), ...mine.reverse()].filter(Boolean);
  return [...new Set(ids)].slice(0, 20);
}

// Tabs of this labeler on this project say which tasks they show, so that they label different ones.
function announce() {
  try {
    const tasks = [current?.task.id, current?.resume?.id, prefetchedId].filter(Boolean);
    localStorage.setItem(tabKey(tabId), JSON.stringify({ tasks, at: Date.now() }));
  } catch (_) {
    /* storage full: tabs may then get the same task, which costs nothing but time */
  }
}

function otherTabs() {
  const out = [];
  for (let i = 0; i < localStorage.length; i++) {
    const key = localStorage.key(i);
    if (!key?.startsWith(TAB_PREFIX) || key === tabKey(tabId)) continue;
    try {
      const tab = JSON.parse(localStorage.getItem(key));
      if (Date.now() - tab.at < 60000) out.push(...tab.tasks);
      else if (Date.now() - tab.at > 3600000) localStorage.removeItem(key);
    } catch (_) {
      localStorage.removeItem(key);
    }
  }
  return out;
}

function prefetch() {
  prefetchedId = null;
  prefetched = fetchNext(holding()).then(
    (task) => {
      prefetchedId = task?.id || null;
      announce();
      return task;
    },
    () => undefined,
  );
}

// The next task, asked for again until the server answers (null: nothing left).
async function nextTask() {
  let delay = 1000;
  for (;;) {
    try {
      return await fetchNext(holding());
    } catch (err) {
      title.textContent = `Cannot load the next task (${err.message}); retrying…`;
      await sleep(delay);
      delay = Math.min(delay * 2, 10000);
    }
  }
}

function show(task, { annotation = null, resume = null } = {}) {
  current?.iface.flush(); // text typed on the task leaving the screen stays in its draft
  if (!task) {
    current = null;
    left = 0;
    stage.shadowRoot?.replaceChildren();
    delete stage.dataset.task;
    root.classList.add("finished");
    document.getElementById("done").hidden = false;
    title.textContent = "No tasks left";
    document.getElementById("task-id").textContent = "";
    showProgress();
    announce();
    return;
  }
  root.classList.remove("finished");
  document.getElementById("done").hidden = true;
  const swap = swapped({ pair: pairNames(configDoc), shownOrder: annotation?.shown_order ?? task.shown_order });
  const iface = render(configDoc, task.data, stage, {
    swap,
    fit: true,
    markdown,
    html,
    onChange: () => {
      saveDraft();
      showPick();
    },
  });
  // a draft from this browser, else one kept on the server (made on another machine), else the answer
  const serverDraft = (task.drafts || []).filter((d) => d.annotation === (annotation?.id ?? null)).at(-1);
  const draft = JSON.parse(localStorage.getItem(draftKey(task)) || "null") ?? serverDraft?.result;
  if (draft) iface.load(draft);
  else if (annotation) iface.load(annotation.result);
  current = {
    task,
    iface,
    started: performance.now(),
    annotationId: annotation?.id || null,
    draftId: serverDraft?.id || null,
    resume,
  };
  const number = task.inner_id ?? task.id; // numbered within the project, as labelers count
  title.textContent = annotation ? `Editing your answer to task ${number}` : `Task ${number}`;
  document.getElementById("task-id").textContent = `id ${task.id}`;
  showProgress();
  showPick();
  announce();
  document.getElementById("skip").hidden = !project.show_skip_button || Boolean(annotation);
  stage.dataset.task = task.id;
  stage.dispatchEvent(new CustomEvent("preflab:shown", { bubbles: true, detail: { task: task.id } }));
}

// "12 of 500 · 38 left for you": answers submitted (skips not counted), tasks in the project,
// tasks still open for this labeler.
function showProgress() {
  const parts = [`${mine} of ${project.task_number} answered`];
  if (left !== null) parts.push(`${left} left for you`);
  progressInfo.textContent = parts.join(" · ");
}

function showPick() {
  const box = document.getElementById("pick-state");
  if (!current) return;
  const position = current.iface.picked();
  if (current.iface.shownOrder) {
    box.textContent = position === null ? "No answer picked: press 1 or 2" : `Picked: answer ${position + 1}`;
    box.className = position === null ? "pick-state" : "pick-state picked";
  } else {
    const answered = current.iface.result().length > 0;
    box.textContent = answered ? "Answered" : "Not answered yet";
    box.className = answered ? "pick-state picked" : "pick-state";
  }
}

// Where the counters start: this labeler's answers so far and the tasks the queue could still give
// them (both from the server), corrected for answers still on their way to it.
function loadProgress() {
  const queued = outbox.waiting().filter((e) => e.project === projectId && !e.annotation);
  mine = (project.my_submitted_number || 0) + queued.filter((e) => !e.body.was_cancelled).length;
  left = Math.max(0, (project.my_remaining_number ?? 0) - queued.length);
}

// Drafts are kept in this browser at once, and on the server a moment later (so they follow the
// labeler to another machine); the server drops them when the answer is submitted.
let draftTimer = null;
function saveDraft() {
  if (!current) return;
  const result = current.iface.result();
  localStorage.setItem(draftKey(current.task), JSON.stringify(result));
  clearTimeout(draftTimer);
  const on = current;
  draftTimer = setTimeout(() => saveServerDraft(on, result), 1500);
}

async function saveServerDraft(on, result) {
  const path = on.draftId
    ? `/api/drafts/${on.draftId}`
    : on.annotationId
      ? `/api/tasks/${on.task.id}/annotations/${on.annotationId}/drafts`
      : `/api/tasks/${on.task.id}/drafts`;
  try {
    const made = on.draftId ? {} : { project: projectId, task_inner_id: on.task.inner_id };
    const saved = await api(path, { method: on.draftId ? "PATCH" : "POST", body: { result, ...made } });
    on.draftId = saved.id;
  } catch (_) {
    /* the browser's copy stands; the server's is a convenience */
  }
}

function advance(resume) {
  if (resume) return show(resume);
  prefetched.then(async (next) => {
    show(next === undefined ? await nextTask() : next);
    prefetch();
  });
}

function submit({ skip = false } = {}) {
  if (!current) return;
  current.iface.flush();
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
  const entry = outbox.add({
    project: projectId,
    task: current.task.id,
    inner: current.task.inner_id,
    annotation: current.annotationId,
    body,
    label: `Task ${current.task.inner_id ?? current.task.id} (id ${current.task.id})`,
  });
  if (outbox.get(entry) && !localStorage.getItem(outbox.keyOf(entry))) {
    toast("The browser's storage is full: keep this tab open until your answers are saved.", "error");
  }
  clearTimeout(draftTimer);
  localStorage.removeItem(draftKey(current.task));
  if (!current.annotationId) {
    history.push({ task: current.task, key: entry.unique_id });
    if (!skip) mine += 1;
    if (left) left -= 1;
  }
  showSync();
  advance(current.resume);
  flush();
}

// Waits that end early when there is news (back online, focus, logged in again).
const sleepers = new Set();
function sleep(ms) {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      sleepers.delete(done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    sleepers.add(done);
  });
}
function wake() {
  for (const done of [...sleepers]) done();
}

// Errors worth retrying as they are: no connection, the server busy or failing.
function transient(err) {
  return (
    err.status === 0 ||
    err.status === 408 ||
    err.status === 425 ||
    err.status === 429 ||
    err.status >= 500 ||
    (err.status === 403 && err.message === CSRF_FAILED)
  );
}

// A gold task missed, on a project that tells (gold_feedback): which answer was the better one,
// by the side it was shown on.
function showGoldFeedback(entry, feedback) {
  const box = document.getElementById("gold-feedback");
  const pair = pairNames(configDoc);
  const shown = entry.body.shown_order?.length ? entry.body.shown_order : pair;
  const sides = ["left", "right"];
  const right =
    feedback.answer === "tie"
      ? "they were about as good"
      : feedback.answer === "both_bad"
        ? "both were bad"
        : `the ${sides[shown.indexOf(pair[feedback.answer === "answer1" ? 0 : 1])] ?? "other"} one was better`;
  box.textContent = `Task ${entry.inner ?? entry.task} was a check question with a known answer: ${right}.`;
  box.hidden = false;
}

async function sendOne(entry) {
  return withLock(`preflab-send:${entry.unique_id}`, async () => {
    const fresh = outbox.get(entry);
    if (!fresh || fresh.error) return "gone"; // another tab sent it, or it was refused
    const saved = fresh.annotation
      ? await api(`/api/annotations/${fresh.annotation}`, { method: "PATCH", body: fresh.body })
      : await api(`/api/tasks/${fresh.task}/annotations`, {
          method: "POST",
          // the task it was made for: a mismatch (its id now names another task) is refused
          body: { ...fresh.body, unique_id: fresh.unique_id, project: fresh.project, task_inner_id: fresh.inner },
        });
    outbox.remove(fresh);
    if (saved?.gold_feedback && !saved.gold_feedback.correct) showGoldFeedback(fresh, saved.gold_feedback);
    const item = history.find((h) => h.key === fresh.unique_id);
    if (item && saved) item.annotationId = saved.id;
    return "sent";
  });
}

// Send every waiting answer of this labeler, oldest first, until none is left; wait and retry
// on errors that pass, stop for a login, set aside answers the server refuses for good.
async function drain() {
  let delay = 500;
  for (;;) {
    const queue = outbox.waiting();
    if (!queue.length || blocked) break;
    let pause = 0;
    for (const entry of queue) {
      let outcome;
      try {
        outcome = await sendOne(entry);
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        if (err.code === "login" || err.code === "other-user") {
          block(err.code);
          break;
        }
        if (transient(err)) {
          lastError = err.message;
          pause = err.retryAfter ? err.retryAfter * 1000 : delay;
          delay = Math.min(delay * 2, 10000);
          break;
        }
        const fresh = outbox.get(entry);
        if (err.status === 409 && err.body?.annotation) {
          // answered already, in another tab or on another device: that first answer stands
          if (fresh) outbox.remove(fresh);
          toast(`${entry.label || `Task ${entry.task}`}: you had answered it already (another tab or device); that answer is kept.`, "info");
          showSync();
          continue;
        }
        if (fresh) outbox.put({ ...fresh, error: { status: err.status, message: err.message, at: Date.now() } });
        toast(
          `${entry.label || `Task ${entry.task}`} was not saved: ${err.message.replace(/\.+$/, "")}. The answer is kept (see the top of the page).`,
          "error",
        );
        showSync();
        continue;
      }
      if (outcome === "busy")
        pause = pause || 1000; // another tab is sending it: look again soon
      else {
        lastError = null;
        delay = 500;
      }
      showSync();
    }
    showSync();
    if (blocked) break;
    if (pause) await sleep(pause);
  }
}

let flushing = null;
function flush() {
  if (!flushing) {
    flushing = drain()
      .catch((err) => toast(err.message, "error"))
      .finally(() => {
        flushing = null;
        showSync();
      });
  }
  return flushing;
}

// The session is gone (logged out, expired) or belongs to someone else now: say so, keep every
// answer, and look every few seconds (and whenever the tab gets focus) for a login.
let loginTimer = null;
function block(code) {
  blocked = code;
  const box = document.getElementById("relogin");
  document.getElementById("relogin-text").textContent =
    code === "other-user"
      ? `This browser is now logged in as another user. Log in again as ${root.dataset.email} to save your answers; they are kept here until then.`
      : "You are logged out. Your answers are kept in this browser and saved as soon as you log in again.";
  box.hidden = false;
  showSync();
  clearInterval(loginTimer);
  loginTimer = setInterval(checkLogin, 3000);
}

async function checkLogin() {
  if (!blocked) return;
  let state;
  try {
    state = await refreshCsrf(userId);
  } catch (_) {
    return; // the server cannot be reached: look again later
  }
  if (state !== "ok") {
    if (state !== blocked) block(state);
    return;
  }
  blocked = null;
  clearInterval(loginTimer);
  document.getElementById("relogin").hidden = true;
  lastError = null;
  showSync();
  wake();
  flush();
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
  if (!target.annotationId && target.key) {
    await Promise.race([flush(), sleep(3000)]);
    const entry = outbox.find(target.key);
    if (entry?.error) return toast("That answer was not saved: see the answers not saved at the top.", "error");
    if (entry) return toast("That answer is still being saved; try again in a moment.");
  }
  const task = await api(`/api/tasks/${target.task.id}`);
  const mine = task.annotations.filter((a) => a.completed_by === userId);
  const annotation = mine.find((a) => a.id === target.annotationId) || mine.find((a) => target.key && a.unique_id === target.key) || mine.at(-1);
  if (!annotation) return toast("That answer is still being saved; try again in a moment.");
  const resume = current?.annotationId ? current.resume : current?.task;
  show(task, { annotation, resume });
}

function onKey(event) {
  if (dialog.open) return; // the instructions are open: their own keys (Enter, Esc) close them
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
  if (current.iface.hotkey(event.key, { shift: event.shiftKey })) return event.preventDefault(); // the config's own keys first
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
    case "d":
    case "D": {
      const on = current.iface.toggleDiff();
      if (on === null) toast("Differences are shown between two text answers only.");
      return;
    }
    case "p":
    case "P":
      current.iface.togglePrompt();
      return;
    case "q":
    case "Q":
    case "w":
    case "W":
      // play / pause the audio or video shown first (Q) or second (W)
      if (current.iface.play(event.key.toLowerCase() === "q" ? 0 : 1)) event.preventDefault();
      return;
    case "i":
    case "I":
      if (project.show_instruction && project.expert_instruction) dialog.showModal();
      return;
  }
}

async function start() {
  project = await api(`/api/projects/${projectId}`);
  configDoc = parseConfig(project.label_config);
  try {
    ({ markdown, html } = await helpers(configDoc, { markdown: project.render_markdown === true }));
  } catch (err) {
    toast(`Markdown or HTML cannot be shown (${err.message}); showing plain text.`, "error");
  }
  if (project.show_instruction && project.expert_instruction) {
    // shown before the first task, and again with the I key
    // the server keeps only safe markup (nh3); DOMPurify checks it again before it is drawn
    const box = document.getElementById("instructions-text");
    try {
      const { hypertext } = await import("./hypertext.js");
      box.replaceChildren(hypertext(project.expert_instruction));
    } catch (_) {
      box.textContent = project.expert_instruction;
    }
    document.getElementById("instructions-key").hidden = false;
    dialog.showModal();
  }
  document.getElementById("media-keys").hidden = !configDoc.querySelector("Audio, Video");
  document.getElementById("submit").addEventListener("click", () => submit());
  document.getElementById("skip").addEventListener("click", () => submit({ skip: true }));
  document.getElementById("undo").addEventListener("click", () => current?.iface.undo());
  document.getElementById("back").addEventListener("click", () => back());
  document.addEventListener("keydown", onKey);
  setupOutbox();
  await loadProgress();
  show(await nextTask());
  prefetch();
}

function setupOutbox() {
  onUnauthorized(() => block("login"));
  outbox.migrate(projectId);
  document.getElementById("unsaved-download").addEventListener("click", () => {
    download(outbox.failed(), `preflab-unsaved-answers-${projectId}-${new Date().toISOString().slice(0, 19).replace(/:/g, "")}.json`);
  });
  document.getElementById("unsaved-retry").addEventListener("click", () => {
    for (const entry of outbox.failed()) outbox.put({ ...entry, error: null });
    showSync();
    flush();
  });
  document.getElementById("unsaved-discard").addEventListener("click", () => {
    const failed = outbox.failed();
    if (!confirm(`Discard ${failed.length} unsaved answer(s) for good? Download them first if you may need them.`)) return;
    for (const entry of failed) outbox.remove(entry);
    showSync();
  });
  const retryNow = () => {
    if (blocked) return checkLogin();
    wake();
    flush();
  };
  window.addEventListener("online", retryNow);
  window.addEventListener("focus", retryNow);
  // another tab added, sent or set aside an answer: show it, and help send it
  window.addEventListener("storage", (event) => {
    if (!outbox.owns(event.key)) return;
    showSync();
    if (event.newValue && !event.oldValue) flush();
  });
  // answers left by a tab that was closed mid-send are picked up here
  setInterval(() => {
    announce();
    if (outbox.waiting().length) flush();
  }, 5000);
  window.addEventListener("pagehide", () => {
    current?.iface.flush(); // what was just typed reaches the draft before the page goes
    localStorage.removeItem(tabKey(tabId));
  });
  showSync();
  flush();
}

start().catch((err) => {
  title.textContent = "This project cannot be labeled right now";
  toast(err.message, "error");
});
