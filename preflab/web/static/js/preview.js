// A config drawn as the labeling screen will draw it: rendered at a labeling window's size
// (the answers side by side, each in its own box, the prompt above) and scaled down to fit
// the box it is shown in. Used by the settings page and the gallery cards.

import { helpers, parseConfig, render } from "./render.js";

export async function drawPreview(xml, data, box, { width = 1280, height = 600, markdown = false, readOnly = true } = {}) {
  const doc = typeof xml === "string" ? parseConfig(xml) : xml;
  const extras = await helpers(doc, { markdown }).catch(() => ({}));
  let frame = box.querySelector(":scope > .preview-frame");
  if (!frame) {
    frame = document.createElement("div");
    frame.className = "preview-frame stage";
    box.replaceChildren(frame);
    box.classList.add("preview-box");
    new ResizeObserver(() => scale(box, frame)).observe(box);
  }
  frame.style.width = `${width}px`;
  frame.style.height = `${height}px`;
  const iface = render(doc, data, frame, { fit: true, readOnly, ...extras });
  scale(box, frame);
  return iface;
}

function scale(box, frame) {
  const width = parseFloat(frame.style.width);
  const height = parseFloat(frame.style.height);
  const factor = Math.min(1, box.clientWidth / width) || 1;
  frame.style.transform = `scale(${factor})`;
  box.style.height = `${Math.ceil(height * factor)}px`;
}
