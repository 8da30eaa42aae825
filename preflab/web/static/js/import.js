import { csrf, el, projectId } from "./api.js";

const form = document.getElementById("upload");
const progress = document.getElementById("progress");
const out = document.getElementById("import-result");
const id = projectId();

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const files = document.getElementById("files").files;
  if (!files.length) return;
  const data = new FormData();
  for (const file of files) data.append("file", file, file.name);
  const xhr = new XMLHttpRequest();
  xhr.open("POST", `/api/projects/${id}/import`);
  xhr.setRequestHeader("X-CSRFToken", csrf);
  progress.hidden = false;
  progress.value = 0;
  out.replaceChildren(el("p", { text: "Uploading…" }));
  xhr.upload.addEventListener("progress", (e) => {
    if (e.lengthComputable) progress.value = Math.round((100 * e.loaded) / e.total);
    if (e.loaded === e.total) out.replaceChildren(el("p", { text: "Checking and saving the tasks…" }));
  });
  xhr.addEventListener("load", () => {
    progress.value = 100;
    let body = {};
    try {
      body = JSON.parse(xhr.responseText);
    } catch (_) {
      /* not JSON */
    }
    if (xhr.status === 201) {
      out.replaceChildren(
        el("p", { class: "ok", text: `Imported ${body.task_count} tasks (${body.annotation_count} annotations, ${body.prediction_count} predictions) in ${body.duration} s.` }),
        el("p", { text: `Columns found: ${body.data_columns.join(", ")}` }),
        el("p", {}, el("a", { class: "button primary", href: `/projects/${id}/label`, text: "Start labeling" }), " ", el("a", { href: `/projects/${id}`, text: "See the tasks" })),
      );
    } else {
      out.replaceChildren(el("p", { class: "error", role: "alert", text: `Nothing was imported. ${body.detail || xhr.statusText}` }));
    }
  });
  xhr.addEventListener("error", () => out.replaceChildren(el("p", { class: "error", text: "The upload failed: the server cannot be reached." })));
  xhr.send(data);
});
