import { api, el, toast } from "./api.js";
import { drawPreview } from "./preview.js";
import { sampleData } from "./render.js";

const gallery = document.getElementById("gallery");
const form = document.getElementById("create");
let chosen = null;

function choose(template, card) {
  chosen = template;
  for (const c of gallery.children) c.setAttribute("aria-checked", String(c === card));
}

api("/api/templates")
  .then((templates) => {
    templates.forEach((t, i) => {
      const preview = el("div", { class: "preview small" });
      const card = el(
        "div",
        { class: "template", role: "radio", tabindex: 0, "aria-checked": "false", dataset: { key: t.key } },
        el("h3", { text: t.title }),
        el("p", { class: "muted", text: t.description }),
        preview,
      );
      card.addEventListener("click", () => choose(t, card));
      card.addEventListener("keydown", (e) => {
        if (e.key !== " " && e.key !== "Enter") return;
        e.preventDefault();
        choose(t, card);
      });
      gallery.append(card);
      // a thumbnail of the labeling screen
      drawPreview(t.config, sampleData(t.config) || {}, preview, { width: 1100, height: 640, markdown: Boolean(t.render_markdown) }).catch((err) => {
        preview.textContent = err.message;
      });
      if (i === 0) choose(t, card);
    });
  })
  .catch((err) => toast(err.message, "error"));

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const data = Object.fromEntries(new FormData(form));
  const error = document.getElementById("create-error");
  try {
    const project = await api("/api/projects", {
      method: "POST",
      body: { ...data, show_instruction: Boolean(data.expert_instruction), label_config: chosen.config, render_markdown: Boolean(chosen.render_markdown) },
    });
    // the import page confirms what was created
    sessionStorage.setItem(`preflab:created:${project.id}`, JSON.stringify({ title: project.title, template: chosen.title }));
    location.assign(`/projects/${project.id}/import`);
  } catch (err) {
    error.textContent = err.message;
    error.hidden = false;
  }
});
