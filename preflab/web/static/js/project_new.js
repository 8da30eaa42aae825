import { api, el, toast } from "./api.js";
import { render, sampleData } from "./render.js";

const gallery = document.getElementById("gallery");
const form = document.getElementById("create");
let chosen = null;

function choose(template, card) {
  chosen = template;
  for (const c of gallery.children) c.setAttribute("aria-checked", String(c === card));
}

api("/api/templates").then((templates) => {
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
    card.addEventListener("keydown", (e) => (e.key === " " || e.key === "Enter") && (e.preventDefault(), choose(t, card)));
    gallery.append(card);
    try {
      render(t.config, sampleData(t.config) || {}, preview, { readOnly: true });
    } catch (err) {
      preview.textContent = err.message;
    }
    if (i === 0) choose(t, card);
  });
}).catch((err) => toast(err.message, "error"));

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const data = Object.fromEntries(new FormData(form));
  const error = document.getElementById("create-error");
  try {
    const project = await api("/api/projects", {
      method: "POST",
      body: { ...data, show_instruction: Boolean(data.expert_instruction), label_config: chosen.config, render_markdown: Boolean(chosen.render_markdown) },
    });
    location.assign(`/projects/${project.id}/import`);
  } catch (err) {
    error.textContent = err.message;
    error.hidden = false;
  }
});
