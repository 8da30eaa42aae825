import { api, el, formatDate, toast } from "./api.js";

const summary = document.getElementById("summary");
const projectId = Number(summary.dataset.project);
const manager = summary.dataset.manager === "true";
const PAGE_SIZE = 50;
let page = 1;
let ordering = "id";
let pair = null; // the config's Pairwise: {name, names: [first, second]}
let verdicts = {}; // Choices option -> "tie" | "both bad", from the option texts

async function loadSummary() {
  const p = await api(`/api/projects/${projectId}`);
  const controls = Object.entries(p.parsed_label_config || {});
  const pairwise = controls.find(([, c]) => c.type === "Pairwise");
  pair = pairwise ? { name: pairwise[0], names: pairwise[1].to_name } : null;
  verdicts = {};
  for (const [, c] of controls) {
    if (c.type !== "Choices") continue;
    for (const label of c.labels || []) {
      if (/^(tie|equal|same|both (are )?(good|equal|fine))$/i.test(label.trim())) verdicts[label] = "tie";
      else if (/^(both|neither)( are| is)? (bad|wrong|poor)$|^neither$/i.test(label.trim())) verdicts[label] = "both bad";
    }
  }
  const total = p.task_number;
  const percent = total ? Math.round((100 * p.finished_task_number) / total) : 0;
  summary.replaceChildren(
    ...[el("h1", { text: p.title }), p.description && el("p", { class: "muted", text: p.description })].filter(Boolean),
    el("progress", { max: 100, value: percent }),
    el("p", { text: `${total} tasks · ${p.finished_task_number} labeled (${percent}%) · ${p.total_annotations_number - p.skipped_annotations_number} annotations · ${p.skipped_annotations_number} skipped · ${p.maximum_annotations} per task` }),
  );
}

// Each labeler's newest answer to a task is their vote: the pick of the Pairwise, or a tie /
// both-bad choice. The outcome is the strict majority (computed here, from the annotations the
// task list already carries; the training export applies the project's full rules).
function outcome(task) {
  if (!pair) return null;
  const newest = new Map();
  for (const a of task.annotations || []) {
    if (a.was_cancelled) continue;
    const previous = newest.get(a.completed_by);
    if (!previous || a.id > previous.id) newest.set(a.completed_by, a);
  }
  const counts = new Map();
  for (const a of newest.values()) {
    let vote = null;
    for (const r of a.result || []) {
      if (r.from_name === pair.name && (r.value?.selected === "left" || r.value?.selected === "right")) {
        vote = pair.names[r.value.selected === "left" ? 0 : 1];
      }
      for (const choice of r.value?.choices || []) if (verdicts[choice]) vote = verdicts[choice];
    }
    if (vote) counts.set(vote, (counts.get(vote) || 0) + 1);
  }
  const total = [...counts.values()].reduce((x, y) => x + y, 0);
  if (!total) return { text: "–", title: "no votes yet" };
  const ranked = [...counts.entries()].sort((x, y) => y[1] - x[1]);
  const summary = ranked.map(([k, n]) => `${k} ${n}`).join(" · ");
  const [winner, top] = ranked[0];
  const won = top * 2 > total;
  return { winner: won ? winner : "split", text: summary, title: `${total} vote${total === 1 ? "" : "s"}: ${summary}` };
}

function outcomeCell(task) {
  const result = outcome(task);
  if (!result) return el("td", { class: "outcome muted", text: "–" });
  return el(
    "td",
    { class: "outcome", title: result.title, dataset: { winner: result.winner || "" } },
    result.winner ? el("span", { class: "win", text: result.winner === "split" ? "split" : `${result.winner} wins` }) : null,
    result.winner ? el("span", { class: "muted", text: ` (${result.text})` }) : result.text,
  );
}

function preview(data) {
  const text = Object.entries(data).map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`).join(" · ");
  return text.length > 160 ? `${text.slice(0, 160)}…` : text;
}

async function loadTasks() {
  const filters = Object.fromEntries([...new FormData(document.getElementById("filters"))].filter(([, v]) => v !== ""));
  const params = new URLSearchParams({ project: projectId, page, page_size: PAGE_SIZE, ordering, ...filters });
  let body;
  try {
    body = await api(`/api/tasks?${params}`);
  } catch (err) {
    if (err.status === 404 && page > 1) {
      page -= 1;
      return loadTasks();
    }
    throw err;
  }
  const rows = body.tasks.map((t) =>
    el(
      "tr",
      { onclick: () => location.assign(`/projects/${projectId}/tasks/${t.id}`), class: "clickable" },
      el("td", {}, el("a", { href: `/projects/${projectId}/tasks/${t.id}`, text: t.id })),
      el("td", { class: "data", text: preview(t.data) }),
      el("td", { text: t.total_annotations }),
      el("td", { text: t.cancelled_annotations }),
      outcomeCell(t),
      el("td", { text: t.agreement == null ? "–" : `${Math.round(t.agreement * 100)}%` }),
      el("td", { text: formatDate(t.completed_at) }),
    ),
  );
  document.querySelector("#tasks tbody").replaceChildren(...rows);
  const pages = Math.max(1, Math.ceil(body.total / PAGE_SIZE));
  document.getElementById("page-info").textContent = `Page ${page} of ${pages} · ${body.total} tasks`;
  document.getElementById("prev").disabled = page <= 1;
  document.getElementById("next").disabled = page >= pages;
}

async function loadAnnotators() {
  const select = document.querySelector('select[name="annotator"]');
  for (const u of await api("/api/users")) select.append(el("option", { value: u.id, text: u.email }));
}

const summaryLoaded = loadSummary().catch((err) => toast(err.message, "error"));
if (manager) {
  summaryLoaded.then(() => loadTasks()).catch((err) => toast(err.message, "error"));
  loadAnnotators().catch(() => {});
  document.getElementById("filters").addEventListener("change", () => { page = 1; loadTasks().catch((e) => toast(e.message, "error")); });
  document.getElementById("prev").addEventListener("click", () => { page -= 1; loadTasks(); });
  document.getElementById("next").addEventListener("click", () => { page += 1; loadTasks(); });
  for (const button of document.querySelectorAll("[data-sort]")) {
    button.addEventListener("click", () => {
      const key = button.dataset.sort;
      ordering = ordering === key ? `-${key}` : key;
      document.querySelectorAll("[data-sort]").forEach((b) => b.removeAttribute("aria-sort"));
      button.setAttribute("aria-sort", ordering.startsWith("-") ? "descending" : "ascending");
      loadTasks().catch((e) => toast(e.message, "error"));
    });
  }
}
