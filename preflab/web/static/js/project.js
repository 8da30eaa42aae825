import { api, el, formatDate, toast } from "./api.js";

const summary = document.getElementById("summary");
const projectId = Number(summary.dataset.project);
const manager = summary.dataset.manager === "true";
const PAGE_SIZE = 50;
let page = 1;
let ordering = "id";

async function loadSummary() {
  const p = await api(`/api/projects/${projectId}`);
  const total = p.task_number;
  const percent = total ? Math.round((100 * p.finished_task_number) / total) : 0;
  summary.replaceChildren(
    ...[el("h1", { text: p.title }), p.description && el("p", { class: "muted", text: p.description })].filter(Boolean),
    el("progress", { max: 100, value: percent }),
    el("p", {
      text: `${total} tasks · ${p.finished_task_number} labeled (${percent}%) · ${p.total_annotations_number - p.skipped_annotations_number} annotations · ${p.skipped_annotations_number} skipped · ${p.maximum_annotations} per task`,
    }),
  );
}

// Each task's outcome as the server decides it (the training export's rules and default options),
// one per comparison: only put into words here.
const WORDS = { tie: "tie", both_bad: "both bad", no_majority: "split", too_few_votes: "too few votes" };

function outcomeText({ pair, outcome, votes }) {
  const name = (verdict) => ({ answer1: pair[0], answer2: pair[1] })[verdict] ?? WORDS[verdict];
  const counted = Object.entries(votes)
    .filter(([, n]) => n > 0)
    .sort((x, y) => y[1] - x[1]);
  if (!counted.length) return null;
  const total = counted.reduce((sum, [, n]) => sum + n, 0);
  const summary = counted.map(([verdict, n]) => `${name(verdict)} ${n}`).join(" · ");
  const verdict = outcome === "answer1" || outcome === "answer2" ? `${name(outcome)} wins` : WORDS[outcome];
  return { verdict, summary, title: `${pair[0]} vs ${pair[1]}: ${total} vote${total === 1 ? "" : "s"}, ${summary}` };
}

function outcomeCell(task) {
  const outcomes = task.outcomes || [];
  const found = outcomes.map(outcomeText);
  if (!found.some(Boolean)) return el("td", { class: "outcome muted", text: "\u2013" });
  const line = (o) => (o ? [el("span", { class: "win", text: o.verdict }), el("span", { class: "muted", text: ` (${o.summary})` })] : ["\u2013"]);
  const lines = found.length === 1 ? line(found[0]) : found.map((o, i) => el("div", {}, `${outcomes[i].pair.join(" vs ")}: `, ...line(o)));
  const title = found
    .filter(Boolean)
    .map((o) => o.title)
    .join("\n");
  return el("td", { class: "outcome", title, dataset: { outcome: outcomes.map((o) => o.outcome).join(" ") } }, ...lines);
}

function preview(data) {
  const text = Object.entries(data)
    .map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(" · ");
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
  document.getElementById("filters").addEventListener("change", () => {
    page = 1;
    loadTasks().catch((e) => toast(e.message, "error"));
  });
  document.getElementById("prev").addEventListener("click", () => {
    page -= 1;
    loadTasks();
  });
  document.getElementById("next").addEventListener("click", () => {
    page += 1;
    loadTasks();
  });
  for (const button of document.querySelectorAll("[data-sort]")) {
    button.addEventListener("click", () => {
      const key = button.dataset.sort;
      ordering = ordering === key ? `-${key}` : key;
      for (const b of document.querySelectorAll("[data-sort]")) b.removeAttribute("aria-sort");
      button.setAttribute("aria-sort", ordering.startsWith("-") ? "descending" : "ascending");
      loadTasks().catch((e) => toast(e.message, "error"));
    });
  }
}
