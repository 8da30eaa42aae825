import { projectId } from "./api.js";

const id = projectId();
const all = document.getElementById("all-tasks");

function update() {
  for (const link of document.querySelectorAll("[data-format]")) {
    link.href = `/api/projects/${id}/export?exportType=${link.dataset.format}&download_all_tasks=${all.checked}`;
  }
}
all.addEventListener("change", update);
update();
