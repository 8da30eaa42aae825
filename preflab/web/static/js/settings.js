import { api, el, projectId, toast } from "./api.js";
import { drawPreview } from "./preview.js";
import { sampleData } from "./render.js";

const id = projectId();
const general = document.getElementById("general");
const iface = document.getElementById("interface");
const config = document.getElementById("config");
const configError = document.getElementById("config-error");
const preview = document.getElementById("preview");
let firstTaskData = null;
let project = {};
let timer;

function fill(fresh) {
  project = fresh;
  for (const input of general.elements) {
    if (!input.name || !(input.name in project)) continue;
    if (input.type === "checkbox") input.checked = Boolean(project[input.name]);
    else input.value = project[input.name] ?? "";
  }
  // offered once the server has the field
  document.getElementById("render-markdown").hidden = !("render_markdown" in project);
  document.getElementById("media-hosts").hidden = !("media_hosts" in project);
  config.value = project.label_config;
  document.getElementById("restricted").checked = project.restricted;
}

function saved(form, text = "Saved") {
  const status = form.querySelector(".saved");
  status.textContent = text;
  setTimeout(() => (status.textContent = ""), 2500);
}

general.addEventListener("submit", async (event) => {
  event.preventDefault();
  const body = {};
  for (const input of general.elements) {
    if (!input.name || input.closest("[hidden]")) continue;
    body[input.name] = input.type === "checkbox" ? input.checked : input.type === "number" ? Number(input.value) : input.value;
  }
  try {
    fill(await api(`/api/projects/${id}`, { method: "PATCH", body }));
    saved(general);
    check();
  } catch (err) {
    toast(err.message, "error");
  }
});

async function check() {
  const xml = config.value;
  try {
    await api("/api/projects/validate", { method: "POST", body: { label_config: xml } });
    // as the labeling screen draws it (at its size, scaled to the preview's width)
    await drawPreview(xml, sampleData(xml) || firstTaskData || {}, preview, {
      readOnly: false,
      markdown: project.render_markdown === true,
    });
    configError.hidden = true;
    return true;
  } catch (err) {
    configError.textContent = err.message;
    configError.hidden = false;
    return false;
  }
}

config.addEventListener("input", () => {
  clearTimeout(timer);
  timer = setTimeout(check, 300);
});

iface.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!(await check())) return;
  try {
    await api(`/api/projects/${id}`, { method: "PATCH", body: { label_config: config.value } });
    saved(iface);
  } catch (err) {
    configError.textContent = err.message;
    configError.hidden = false;
  }
});

async function members() {
  const [users, current] = await Promise.all([api("/api/users"), api(`/api/projects/${id}/members`)]);
  const ids = new Set(current.map((u) => u.id));
  const rows = users.map((u) => {
    const box = el("input", { type: "checkbox", "aria-label": `${u.email} is a member` });
    box.checked = ids.has(u.id);
    box.addEventListener("change", async () => {
      try {
        if (box.checked) await api(`/api/projects/${id}/members`, { method: "POST", body: { user: u.id } });
        else await api(`/api/projects/${id}/members/${u.id}`, { method: "DELETE" });
      } catch (err) {
        box.checked = !box.checked;
        toast(err.message, "error");
      }
    });
    return el("tr", {}, el("td", { text: u.email }), el("td", { text: u.role }), el("td", {}, box));
  });
  document.querySelector("#members tbody").replaceChildren(...rows);
}

document.getElementById("restricted").addEventListener("change", async (event) => {
  try {
    await api(`/api/projects/${id}`, { method: "PATCH", body: { restricted: event.target.checked } });
    toast(event.target.checked ? "Only members can see this project now." : "Everyone can see this project now.");
  } catch (err) {
    toast(err.message, "error");
  }
});

document.getElementById("delete").addEventListener("click", async () => {
  if (!confirm("Delete this project, its tasks and its annotations? This cannot be undone.")) return;
  await api(`/api/projects/${id}`, { method: "DELETE" });
  location.assign("/projects");
});

async function main() {
  fill(await api(`/api/projects/${id}`));
  const first = await api(`/api/tasks?project=${id}&page=1&page_size=1`).catch(() => null);
  firstTaskData = first?.tasks?.[0]?.data || null;
  await check();
  await members();
}

main().catch((err) => toast(err.message, "error"));
