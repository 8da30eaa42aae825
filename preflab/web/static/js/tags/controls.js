// Control tags that record an answer by themselves: Choices, Rating and TextArea.

import { node } from "./common.js";

const TYPING_PAUSE_MS = 400; // typed text is saved to the draft after a pause this long

function choices(xmlNode, parent, stage) {
  const { readOnly, changed } = stage;
  const name = xmlNode.getAttribute("name");
  const multiple = xmlNode.getAttribute("choice") === "multiple";
  const box = node("div", `pf-choices${xmlNode.getAttribute("showInline") === "true" ? " inline" : ""}`);
  box.setAttribute("role", multiple ? "group" : "radiogroup");
  const selected = new Set();
  const buttons = [];
  const paint = () => {
    for (const [v, b] of buttons) b.setAttribute("aria-pressed", String(selected.has(v)));
  };
  for (const choice of xmlNode.querySelectorAll("Choice")) {
    const value = choice.getAttribute("value");
    const hotkey = choice.getAttribute("hotkey");
    const button = node("button", "pf-choice", value);
    if (hotkey) button.append(node("kbd", "pf-key", hotkey));
    button.type = "button";
    button.setAttribute("aria-pressed", "false");
    button.disabled = readOnly;
    const toggle = () => {
      if (selected.has(value)) selected.delete(value);
      else {
        if (!multiple) selected.clear();
        selected.add(value);
      }
      paint();
      changed();
    };
    button.addEventListener("click", toggle);
    if (hotkey && !readOnly) stage.hotkeys[hotkey.toLowerCase()] = toggle;
    buttons.push([value, button]);
    box.append(button);
  }
  parent.append(box);
  stage.controls.push({
    tag: "Choices",
    name,
    el: box,
    toName: xmlNode.getAttribute("toName"),
    value: () => (selected.size ? { choices: [...selected] } : null),
    set: (v) => {
      selected.clear();
      for (const c of v?.choices || []) selected.add(c);
      paint();
    },
  });
}

function textArea(xmlNode, parent, stage) {
  const area = node("textarea", "pf-textarea");
  area.rows = Number(xmlNode.getAttribute("rows") || 4);
  area.placeholder = xmlNode.getAttribute("placeholder") || "";
  area.disabled = stage.readOnly;
  // what is typed reaches the draft a moment after each pause (one undo step per pause), at
  // once when the text area loses the focus, and before the page goes away (flush)
  let timer = null;
  let reported = area.value;
  const settle = () => {
    clearTimeout(timer);
    timer = null;
    if (area.value === reported) return;
    reported = area.value;
    stage.changed();
  };
  area.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(settle, TYPING_PAUSE_MS);
  });
  area.addEventListener("change", settle);
  parent.append(area);
  stage.controls.push({
    tag: "TextArea",
    name: xmlNode.getAttribute("name"),
    el: area,
    toName: xmlNode.getAttribute("toName"),
    flush: settle,
    value: () => (area.value.trim() ? { text: [area.value] } : null),
    set: (v) => {
      clearTimeout(timer);
      area.value = (v?.text || []).join("\n");
      reported = area.value;
    },
  });
}

function rating(xmlNode, parent, stage) {
  const { readOnly, changed } = stage;
  const max = Number(xmlNode.getAttribute("maxRating") || 5);
  const box = node("div", "pf-rating");
  box.setAttribute("role", "radiogroup");
  if (xmlNode.getAttribute("label")) box.append(node("span", "pf-rating-label", xmlNode.getAttribute("label")));
  let current = 0;
  const stars = [];
  const paint = () => {
    for (const [i, s] of stars.entries()) s.setAttribute("aria-pressed", String(i < current));
  };
  for (let i = 1; i <= max; i++) {
    const star = node("button", "pf-star", "★");
    star.type = "button";
    star.disabled = readOnly;
    star.setAttribute("aria-label", `${i} of ${max}`);
    star.addEventListener("click", () => {
      current = current === i ? 0 : i;
      paint();
      changed();
    });
    stars.push(star);
    box.append(star);
  }
  // a hotkey raises the rating one star (past the top it clears), Shift+hotkey lowers it
  const hotkey = xmlNode.getAttribute("hotkey");
  const keyHint = hotkey ? node("kbd", "pf-key", hotkey) : null;
  if (keyHint) {
    keyHint.title = `${hotkey}: one more star · Shift+${hotkey}: one less`;
    box.append(keyHint);
  }
  parent.append(box);
  stage.controls.push({
    tag: "Rating",
    name: xmlNode.getAttribute("name"),
    el: box,
    toName: xmlNode.getAttribute("toName"),
    key: hotkey && !readOnly ? hotkey.toLowerCase() : null,
    keyHint,
    press: (shift) => {
      current = shift ? Math.max(0, current - 1) : current >= max ? 0 : current + 1;
      paint();
      changed();
    },
    value: () => (current ? { rating: current } : null),
    set: (v) => {
      current = v?.rating || 0;
      paint();
    },
  });
}

export const TAGS = { Choices: choices, TextArea: textArea, Rating: rating };
