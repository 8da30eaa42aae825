// <Ranker>: the items of a <List> in the labeler's order. Every ranking is complete: the order
// shown is the labeler's ranking until they change it, so agreeing with it is a vote too.

import { pageRules } from "../rules.js";
import { asText, contentText, node } from "./common.js";

// A Ranker's item as the server reads it (preflab/domain/preferences.py `ranked_item`): the id
// is the item's `id`, else its place in the list; the text is the first of `keys` (the server's
// ITEM_TEXT_KEYS, served with the page) that holds a string or a list (a chat); a plain string
// item is its own text.
export function rankItem(item, index, keys = pageRules().item_text_keys) {
  if (!item || typeof item !== "object" || Array.isArray(item)) {
    return { id: String(index), title: null, text: typeof item === "string" ? item : "" };
  }
  const key = keys.find((k) => typeof item[k] === "string" || Array.isArray(item[k]));
  const title = key !== "title" && typeof item.title === "string" ? item.title : null;
  return { id: String(item.id ?? index), title, text: key ? item[key] : "" };
}

// A stored ranking as the server reads it (its own list, else all its lists), completed with the
// items it leaves out in the order shown.
export function storedOrder(ranked, name, shown) {
  const lists = Array.isArray(ranked) ? [ranked] : Array.isArray(ranked?.[name]) ? [ranked[name]] : Object.values(ranked || {}).filter(Array.isArray);
  const stored = [...new Set(lists.flat().map(String))].filter((id) => shown.includes(id));
  return [...stored, ...shown.filter((id) => !stored.includes(id))];
}

function itemText(text, stage) {
  const { markdown } = stage;
  const box = node("div", markdown ? "pf-rank-text pf-md" : "pf-rank-text");
  const turns = Array.isArray(text) && text.every((t) => t && typeof t === "object" && "content" in t);
  if (turns)
    stage.drawMessages(
      box,
      text.map((t) => ({ role: asText(t.role ?? ""), content: contentText(t.content) })),
    );
  else if (markdown && typeof text === "string") box.replaceChildren(markdown(text));
  else box.textContent = asText(text);
  return box;
}

function ranker(xmlNode, parent, stage) {
  const placeholder = node("div", "pf-ranker");
  parent.append(placeholder);
  const control = { tag: "Ranker", name: xmlNode.getAttribute("name"), toName: xmlNode.getAttribute("toName") };
  stage.controls.push(control);
  stage.later(() => fill(control, placeholder, stage));
}

function fill(control, placeholder, stage) {
  const list = stage.objects[control.toName] || { items: [] };
  const items = new Map(list.items.map((item, index) => rankItem(item, index)).map((item) => [item.id, item]));
  const shown = [...items.keys()];
  let order = shown.slice();
  const box = node("ol", "pf-ranked");
  const move = (index, step) => {
    const [id] = order.splice(index, 1);
    order.splice(index + step, 0, id);
    draw();
    stage.changed();
  };
  const draw = () => {
    box.replaceChildren();
    order.forEach((id, index) => {
      const item = items.get(id);
      const li = node("li", "pf-rank-item");
      li.dataset.id = id;
      li.append(node("strong", "pf-rank-title", item.title ?? id), itemText(item.text, stage));
      if (!stage.readOnly) {
        const up = node("button", "pf-move", "↑");
        const down = node("button", "pf-move", "↓");
        up.type = down.type = "button";
        up.disabled = index === 0;
        down.disabled = index === order.length - 1;
        up.addEventListener("click", () => move(index, -1));
        down.addEventListener("click", () => move(index, 1));
        li.append(up, down);
      }
      box.append(li);
    });
  };
  draw();
  placeholder.append(box);
  Object.assign(control, {
    // Label Studio's result: {"ranker": {<Ranker name>: [item ids in the new order]}}
    value: () => (order.length ? { ranker: { [control.name]: [...order] } } : null),
    set: (v) => {
      order = storedOrder(v?.ranker, control.name, shown);
      draw();
    },
  });
}

export const TAGS = { Ranker: ranker };
