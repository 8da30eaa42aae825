import { api, el, toast } from "./api.js";

const box = document.getElementById("projects");

function card(p) {
  const total = p.task_number || 0;
  const labeled = p.finished_task_number || 0;
  const percent = total ? Math.round((100 * labeled) / total) : 0;
  return el(
    "a",
    { class: "card project", href: `/projects/${p.id}` },
    el("h2", { text: p.title || `Project ${p.id}` }),
    p.description ? el("p", { class: "muted", text: p.description }) : null,
    el("progress", { max: 100, value: percent, "aria-label": `${percent}% labeled` }),
    el(
      "dl",
      { class: "stats" },
      el("dt", { text: "Tasks" }),
      el("dd", { text: total }),
      el("dt", { text: "Labeled" }),
      el("dd", { text: `${labeled} (${percent}%)` }),
      el("dt", { text: "Annotations" }),
      el("dd", { text: p.total_annotations_number - p.skipped_annotations_number }),
      el("dt", { text: "Skipped" }),
      el("dd", { text: p.skipped_annotations_number }),
      el("dt", { text: "Mine" }),
      el("dd", { text: p.my_annotations_number ?? 0 }),
    ),
  );
}

api("/api/projects?page_size=1000")
  .then(({ results }) => {
    box.replaceChildren(...results.map(card));
    if (!results.length) box.append(el("p", { class: "muted", text: "No projects yet." }));
    box.removeAttribute("aria-busy");
  })
  .catch((err) => toast(err.message, "error"));
