import { api, el, formatDate, toast } from "./api.js";
import { helpers, pairNames, parseConfig, render } from "./render.js";
import { swapped } from "./rules.js";

const box = document.getElementById("task");
const projectId = Number(box.dataset.project);
const taskId = Number(box.dataset.task);

async function main() {
  const [project, task] = await Promise.all([api(`/api/projects/${projectId}`), api(`/api/tasks/${taskId}`)]);
  const doc = parseConfig(project.label_config);
  const extras = await helpers(doc, { markdown: project.render_markdown === true }).catch(() => ({}));
  render(doc, task.data, document.getElementById("task-view"), { readOnly: true, ...extras });
  const list = document.getElementById("annotations");
  if (!task.annotations.length) list.append(el("p", { class: "muted", text: "No annotations yet." }));
  for (const a of task.annotations) {
    const view = el("div", { class: "preview" });
    list.append(
      el(
        "article",
        { class: "card annotation" },
        el("h3", {
          text: `${a.created_username.split(",")[0].trim() || `user ${a.completed_by}`} · ${formatDate(a.updated_at)}${a.was_cancelled ? " · skipped" : ""}`,
        }),
        el("p", { class: "muted", text: `lead time ${a.lead_time ?? "–"} s${a.shown_order ? ` · shown as ${a.shown_order.join(" | ")}` : ""}` }),
        view,
      ),
    );
    if (!a.was_cancelled) {
      // show the answers in the order this labeler saw them
      const swap = swapped({ pair: pairNames(doc), shownOrder: a.shown_order });
      render(doc, task.data, view, { readOnly: true, swap, ...extras }).load(a.result);
    }
  }
}

main().catch((err) => toast(err.message, "error"));
