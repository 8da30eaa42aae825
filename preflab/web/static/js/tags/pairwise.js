// <Pairwise>: two answers side by side, one of them picked. Its result is Label Studio's
// {"selected": "left" | "right"}, "left" being the first name of its toName whatever side that
// answer is shown on, and targets the control itself; the control's shownOrder is the two names
// in the order they are displayed (the annotation's shown_order).

import { node } from "./common.js";

function pairwise(xmlNode, _parent, stage) {
  const control = { tag: "Pairwise", name: xmlNode.getAttribute("name") };
  stage.controls.push(control);
  stage.later(() => fill(control, xmlNode, stage));
}

function fill(control, xmlNode, stage) {
  const { container, readOnly, swap } = stage;
  const names = (xmlNode.getAttribute("toName") || "").split(",").map((s) => s.trim());
  const style = xmlNode.getAttribute("selectionStyle") || "";
  const [a, b] = names.map((n) => stage.objects[n]);
  let selected = null; // "left" = names[0], whatever side it is shown on
  control.shownOrder = names.slice();
  if (a && b && swap) {
    swapNodes(a.el, b.el);
    control.shownOrder = [names[1], names[0]];
  }
  const layout = a && b ? layoutPair(a.el, b.el, container) : null;
  const boxes = { left: a?.el, right: b?.el };
  const original = { left: a?.el.style.cssText || "", right: b?.el.style.cssText || "" };
  const paint = () => {
    for (const side of ["left", "right"]) {
      const box = boxes[side];
      if (!box) continue;
      box.classList.toggle("pf-selected", selected === side);
      box.setAttribute("aria-pressed", String(selected === side));
      box.style.cssText = selected === side ? `${original[side]};${style}` : original[side];
      const answer = box.closest(".pf-answer");
      if (answer && answer !== box) answer.classList.toggle("pf-picked", selected === side);
    }
  };
  const toggle = (side) => {
    selected = selected === side ? null : side;
    paint();
    stage.changed();
  };
  for (const side of ["left", "right"]) {
    const box = boxes[side];
    if (!box) continue;
    box.classList.add("pf-option");
    box.setAttribute("role", "button");
    box.tabIndex = readOnly ? -1 : 0;
    if (!readOnly) {
      box.addEventListener("click", (event) => {
        // following a link, playing a clip or using a control is not a pick
        if (event.target.closest?.("a, audio, video, button, textarea, input, select, summary")) return;
        toggle(side);
      });
    }
  }
  if (layout) sharedTurns(a, b, layout, stage);
  const media = { left: a?.media || null, right: b?.media || null };
  // playing one side pauses the other: two clips are compared one at a time; Q plays the one
  // shown first, W the other
  for (const [side, other] of [
    ["left", "right"],
    ["right", "left"],
  ]) {
    const clip = media[side];
    if (!clip) continue;
    clip.addEventListener("play", () => media[other]?.pause());
    if (readOnly) continue;
    const position = control.shownOrder.indexOf(names[side === "left" ? 0 : 1]);
    const hint = node("span", "pf-audio-key");
    hint.append(node("kbd", "pf-key", position === 0 ? "Q" : "W"), " play / pause");
    clip.after(hint);
  }
  if (swap) swapKeys(stage.controls, names);
  const sideAt = (position) => (control.shownOrder[position] === names[0] ? "left" : "right");
  Object.assign(control, {
    play: (position) => {
      const clip = media[sideAt(position)];
      if (!clip) return false;
      if (clip.paused) clip.play().catch(() => {});
      else clip.pause();
      return true;
    },
    toName: control.name, // Label Studio's Pairwise result targets the control itself
    value: () => (selected ? { selected } : null),
    set: (v) => {
      selected = v?.selected === "left" || v?.selected === "right" ? v.selected : null;
      paint();
    },
    selectShown: (position) => toggle(sideAt(position)),
    picked: () => (selected ? control.shownOrder.indexOf(names[selected === "left" ? 0 : 1]) : null),
    texts: a && b && "text" in a && "text" in b ? [a, b] : null,
  });
}

// Two conversations that start alike (a chat and two candidate last turns): the shared turns are
// drawn once above the pair, and each side shows only where it goes its own way.
function sharedTurns(a, b, layout, stage) {
  if (!a.messages || !b.messages) return;
  let shared = 0;
  const same = (x, y) => x.role === y.role && x.content === y.content;
  while (shared < a.messages.length - 1 && shared < b.messages.length - 1 && same(a.messages[shared], b.messages[shared])) shared++;
  if (!shared) return;
  const context = node("div", "lsf-object pf-paragraphs pf-chat pf-context");
  stage.drawMessages(context, a.messages.slice(0, shared));
  layout.before(context);
  a.draw(a.messages.slice(shared));
  b.draw(b.messages.slice(shared));
}

// Controls that belong to one answer (e.g. its ratings) keep their keys on the side they are
// shown: with the answers swapped, the keys of the first and second answer's controls swap too.
function swapKeys(controls, names) {
  const own = (name) => controls.filter((c) => c.key !== undefined && c.toName === name);
  const [ownA, ownB] = [own(names[0]), own(names[1])];
  if (ownA.length !== ownB.length) return;
  ownA.forEach((x, i) => {
    const y = ownB[i];
    [x.key, y.key] = [y.key, x.key];
    if (x.keyHint && y.keyHint) [x.keyHint.textContent, y.keyHint.textContent] = [y.keyHint.textContent, x.keyHint.textContent];
  });
}

// Swap two elements' places in the page: the children of their nearest common ancestor that
// contain them (e.g. the two answer boxes around two <Text> tags).
function swapNodes(a, b) {
  const found = branches(a, b);
  if (!found) return;
  const { ancestor, first, second: child } = found;
  const marker = document.createComment("");
  ancestor.replaceChild(marker, first);
  ancestor.replaceChild(first, child);
  ancestor.replaceChild(child, marker);
}

// The children of the nearest common ancestor of `a` and `b` that contain them.
function branches(a, b) {
  const chain = [];
  for (let n = a; n; n = n.parentNode) chain.push(n);
  let child = b;
  let ancestor = b.parentNode;
  while (ancestor && !chain.includes(ancestor)) {
    child = ancestor;
    ancestor = ancestor.parentNode;
  }
  if (!ancestor) return null;
  return { ancestor, first: chain[chain.indexOf(ancestor) - 1], second: child };
}

// Put the two answers of a Pairwise side by side: their common container becomes the pair (or,
// when they are neighbours among other things, a new wrapper around just them), each answer box
// scrolls on its own, and the containers above the pair pass the height down to it.
function layoutPair(a, b, container) {
  const found = branches(a, b);
  if (!found) return null;
  let { ancestor, first, second } = found;
  if (first.compareDocumentPosition(second) & Node.DOCUMENT_POSITION_PRECEDING) [first, second] = [second, first];
  let pair = null;
  const kids = [...ancestor.children];
  if (kids.length === 2 && ancestor !== container) pair = ancestor;
  else if (first.nextElementSibling === second) {
    pair = document.createElement("div");
    ancestor.insertBefore(pair, first);
    pair.append(first, second);
  }
  for (const [box, key] of [
    [first, "1"],
    [second, "2"],
  ]) {
    box.classList.add("pf-answer");
    box.dataset.key = key;
    // an answer box with its own controls (ratings, choices): the text scrolls, the controls stay
    if (!box.classList.contains("lsf-object") && box.querySelector(".pf-rating, .pf-choices, .pf-textarea")) box.classList.add("pf-split");
  }
  if (!pair) return null;
  pair.classList.add("pf-pair");
  for (let n = pair.parentNode; n && n !== container.parentNode; n = n.parentNode) {
    if (n.classList) n.classList.add("pf-fill");
  }
  return pair;
}

export const TAGS = { Pairwise: pairwise };
