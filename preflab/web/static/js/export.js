// The export page: each format downloads from the API, and the page then says what was produced
// (format, rows, size, file name).
import { projectId, toast } from "./api.js";

const id = projectId();
const all = document.getElementById("all-tasks");
const result = document.getElementById("export-result");

function url(format) {
  // spreadsheets run cells that start with = + - @ as formulas: downloads from the page are made safe
  return `/api/projects/${id}/export?exportType=${format}&download_all_tasks=${all.checked}&neutralize_formulas=true`;
}

function update() {
  for (const link of document.querySelectorAll("[data-format]")) link.href = url(link.dataset.format);
}

function rows(format, text) {
  if (format === "JSON" || format === "JSON_MIN") {
    const parsed = JSON.parse(text);
    return [Array.isArray(parsed) ? parsed.length : 1, format === "JSON" ? "tasks" : "rows"];
  }
  const lines = text.split("\n").filter((line) => line.trim()).length;
  if (format === "CSV" || format === "TSV") return [Math.max(0, lines - 1), "rows (plus the header)"];
  return [lines, format === "PREFERENCE_JSONL" ? "preference pairs" : "rows"];
}

function size(bytes) {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

async function download(event) {
  const link = event.currentTarget;
  const format = link.dataset.format;
  event.preventDefault();
  result.className = "muted";
  result.textContent = `Exporting ${format}…`;
  try {
    const response = await fetch(url(format), { credentials: "same-origin" });
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      throw new Error(body.detail || response.statusText);
    }
    const blob = await response.blob();
    const name = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "")?.[1] || `project-${id}-${format}`;
    const [count, what] = rows(format, await blob.text());
    const anchor = document.createElement("a");
    anchor.href = URL.createObjectURL(blob);
    anchor.download = name;
    document.body.append(anchor);
    anchor.click();
    anchor.remove();
    setTimeout(() => URL.revokeObjectURL(anchor.href), 60000);
    result.className = "ok";
    result.textContent = `Exported ${format}: ${count} ${what}, ${size(blob.size)}, saved as ${name}.`;
    result.dataset.rows = count;
    result.dataset.bytes = blob.size;
  } catch (err) {
    result.className = "error";
    result.textContent = `The export failed: ${err.message}`;
    toast(err.message, "error");
  }
}

for (const link of document.querySelectorAll("[data-format]")) link.addEventListener("click", download);
all.addEventListener("change", update);
update();
