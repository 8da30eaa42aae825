import { csrf, el, projectId } from "./api.js";

const form = document.getElementById("upload");
const progress = document.getElementById("progress");
const out = document.getElementById("import-result");
const id = projectId();
const input = document.getElementById("files");
const names = document.getElementById("file-names");

// a project just made on the create page: say so
const created = JSON.parse(sessionStorage.getItem(`preflab:created:${id}`) || "null");
if (created) {
  sessionStorage.removeItem(`preflab:created:${id}`);
  const banner = document.getElementById("created");
  banner.textContent = `Project “${created.title}” created with the template “${created.template}”. Next: import its tasks.`;
  banner.hidden = false;
}

function showNames() {
  const files = [...input.files];
  names.textContent = files.length ? files.map((f) => f.name).join(", ") : "No file chosen (or drop files here)";
}
input.addEventListener("change", showNames);
const picker = input.closest(".file-pick");
picker.addEventListener("dragover", (e) => {
  e.preventDefault();
  picker.classList.add("dragging");
});
picker.addEventListener("dragleave", () => picker.classList.remove("dragging"));
picker.addEventListener("drop", (e) => {
  e.preventDefault();
  picker.classList.remove("dragging");
  input.files = e.dataTransfer.files;
  showNames();
});

// after a failure the bar goes away, ready for the next try
function resetProgress() {
  progress.value = 0;
  progress.hidden = true;
}

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
        el("p", {
          class: "ok",
          text: `Imported ${body.task_count} tasks (${body.annotation_count} annotations, ${body.prediction_count} predictions) in ${body.duration} s.`,
        }),
        el("p", { text: `Columns found: ${body.data_columns.join(", ")}` }),
        el(
          "p",
          {},
          el("a", { class: "button primary", href: `/projects/${id}/label`, text: "Start labeling" }),
          " ",
          el("a", { href: `/projects/${id}`, text: "See the tasks" }),
        ),
      );
    } else {
      resetProgress();
      out.replaceChildren(el("p", { class: "error", role: "alert", text: `Nothing was imported. ${body.detail || xhr.statusText}` }));
    }
  });
  xhr.addEventListener("error", () => {
    resetProgress();
    out.replaceChildren(el("p", { class: "error", role: "alert", text: "The upload failed: the server cannot be reached. Nothing was imported." }));
  });
  xhr.send(data);
});
