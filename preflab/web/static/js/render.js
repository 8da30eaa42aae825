// Renders a Label Studio labeling config (XML) with one task's data, inside a shadow root so
// that the config's <Style> applies to the labeling area only. Task data is only ever set as
// text, never parsed as HTML, except through the sanitizers (js/markdown.js, js/hypertext.js);
// media addresses are checked first (js/media.js) and others are never requested.

import { mediaUrl, setMediaHosts, why } from "./media.js";

const STAGE_CSS = "/static/css/stage.css";
const HIGHLIGHT_CSS = "/static/vendor/highlight-github.css";

export class ConfigError extends Error {}

// Tags this screen draws; other object and control tags (image regions, time series, PDF …) show
// a notice, and the results they hold are kept as they are when an annotation is saved again.
const DRAWN = new Set(["View", "Style", "Header", "HyperText", "Text", "Markdown", "Paragraphs", "Chat", "Image", "Audio", "Video", "List", "Pairwise", "Choices", "TextArea", "Rating", "Ranker"]);
const TYPING_PAUSE_MS = 400; // typed text is saved to the draft after a pause this long

// The keys a Ranker item's text is read from, first found first (preflab/domain/preferences.py).
const ITEM_TEXT_KEYS = ["body", "text", "content", "html", "answer", "title"];
const SILENT = new Set(["Filter", "Choice", "Label", "Relation", "Bucket", "Shortcut", "Channel", "MultiChannel"]);

function notDrawn(tag) {
  const box = node("div", "pf-notice", `<${tag}> is not drawn by preflab's labeling screen yet; results of it are kept as imported`);
  box.setAttribute("role", "note");
  box.style.cssText = "border: 1px dashed #999; padding: 0.5em 0.75em; margin: 0.5em 0; color: #555; font-size: 0.9em;";
  return box;
}

export function parseConfig(xml) {
  const doc = new DOMParser().parseFromString(xml, "application/xml");
  const error = doc.querySelector("parsererror");
  if (error) throw new ConfigError(error.textContent.split("\n")[0] || "The config is not valid XML.");
  if (doc.documentElement.tagName !== "View") throw new ConfigError("The root tag must be <View>.");
  return doc;
}

// Sample data from a <!-- {"data": {...}} --> comment, as Label Studio's editor reads it.
export function sampleData(xml) {
  for (const match of xml.matchAll(/<!--\s*(\{[\s\S]*?\})\s*-->/g)) {
    try {
      const parsed = JSON.parse(match[1]);
      if (parsed && typeof parsed.data === "object") return parsed.data;
    } catch (_) {
      /* not a data comment */
    }
  }
  return null;
}

// CSS from a config may not fetch anything: @import and url() are removed.
export function safeCss(text) {
  return text.replace(/@import[^;]*;?/gi, "").replace(/url\s*\([^)]*\)/gi, "none");
}

function resolve(value, data) {
  if (value == null) return "";
  const whole = /^\$([A-Za-z_][\w.]*)$/.exec(value.trim());
  if (whole) return lookup(data, whole[1]);
  return value.replace(/\$([A-Za-z_][\w.]*)/g, (_, key) => {
    const found = lookup(data, key);
    return typeof found === "string" ? found : JSON.stringify(found ?? "");
  });
}

function lookup(data, path) {
  return path.split(".").reduce((obj, key) => (obj == null ? undefined : obj[key]), data);
}

function asText(value) {
  if (value == null) return "";
  return typeof value === "string" ? value : JSON.stringify(value, null, 2);
}

// The text of a chat message's content: a string, or OpenAI-style parts ({type: "text", text}).
function contentText(content) {
  if (Array.isArray(content) && content.every((part) => part && typeof part === "object")) {
    return content.map((part) => (typeof part.text === "string" ? part.text : asText(part))).join("\n");
  }
  return asText(content);
}

// A text object's value: a string, or one chat message ({role, content}) drawn as its content.
function textOf(value) {
  if (value && typeof value === "object" && !Array.isArray(value) && "content" in value) return contentText(value.content);
  return asText(value);
}

// The helpers a config needs on a page, loaded only when needed: Markdown for projects with
// render_markdown, the HTML sanitizer for <HyperText>. Also sets the project's media hosts.
export async function helpers(doc, { markdown = false, mediaHosts = "" } = {}) {
  setMediaHosts(mediaHosts);
  const out = { markdown: null, html: null };
  const needed = [];
  if (markdown) needed.push(import("./markdown.js").then((m) => (out.markdown = m.markdown)));
  if (doc.querySelector("HyperText")) needed.push(import("./hypertext.js").then((m) => (out.html = m.hypertext)));
  await Promise.all(needed);
  return out;
}

function randomId() {
  const chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  let out = "";
  for (let i = 0; i < 10; i++) out += chars[Math.floor(Math.random() * chars.length)];
  return out;
}

// A small deterministic hash, so a labeler sees the same order on a task every time.
export function coinFlip(seed) {
  let h = 2166136261;
  for (const c of seed) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  return (h >>> 0) % 2 === 1;
}

function node(tag, className, text) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}

// Render `xml` with `data` into `host`. Returns the labeling interface:
//   result()            the Label Studio result list for the current answers
//   load(result)        show a stored result
//   shownOrder          Pairwise: the toName names in the order they are displayed
//   selectShown(i)      Pairwise: toggle the answer displayed at position i (0 or 1)
//   undo()              go back one change
//   picked()            Pairwise: the displayed position (0 or 1) of the chosen answer, or null
//   toggleDiff()        Pairwise of two texts: mark the words that differ between them (or unmark)
//   togglePrompt()      show a long prompt whole, or clamp it again
//   flush()             report text typed since the last pause now (onChange)
// With `fit`, the labeling area fills its host: the two answers side by side, each scrolling on
// its own, and long texts outside them (the prompt) clamped, to be opened on demand.
// With `markdown` (a function from text to sanitized nodes, js/markdown.js), texts and chat
// messages are drawn as Markdown; without it they are plain text. With `html` (js/hypertext.js),
// <HyperText> is drawn as sanitized HTML; without it, as its source text.
//   play(i)             Pairwise of audio / video: play or pause the one displayed at position i
export function render(xml, data, host, { swap = false, readOnly = false, fit = false, markdown = null, html = null, onChange = () => {} } = {}) {
  const doc = typeof xml === "string" ? parseConfig(xml) : xml;
  const root = host.shadowRoot || host.attachShadow({ mode: "open" });
  root.replaceChildren();
  const base = document.createElement("link");
  base.rel = "stylesheet";
  base.href = STAGE_CSS;
  root.append(base);
  if (markdown) {
    const theme = document.createElement("link");
    theme.rel = "stylesheet";
    theme.href = HIGHLIGHT_CSS;
    root.append(theme);
  }
  const container = node("div", fit ? "pf-root pf-fit" : "pf-root");
  root.append(container);

  const objects = {};
  const controls = [];
  const hotkeys = {}; // key -> action, from the config's hotkey="…" attributes
  const sheets = [];
  const history = [];
  const changed = () => {
    history.push(snapshot());
    onChange();
  };

  function walk(xmlNode, parent) {
    for (const child of xmlNode.children) {
      const tag = child.tagName;
      const attr = (name) => child.getAttribute(name);
      if (tag === "Collapse" || tag === "Panel") {
        const div = node("div", tag === "Panel" ? "pf-panel" : "pf-collapse");
        if (tag === "Panel" && attr("value")) div.append(node("h4", "pf-header", attr("value")));
        parent.append(div);
        walk(child, div);
      } else if (SILENT.has(tag)) {
        // sub-tags and helpers with nothing to draw here
      } else if (!DRAWN.has(tag)) {
        parent.append(notDrawn(tag));
      } else if (tag === "View") {
        const div = node("div", attr("className") || "");
        if (attr("style")) div.style.cssText = attr("style");
        parent.append(div);
        walk(child, div);
      } else if (tag === "Style") {
        sheets.push(safeCss(child.textContent));
      } else if (tag === "Header") {
        parent.append(node("h3", "pf-header", asText(resolve(attr("value"), data))));
      } else if (tag === "HyperText" && html) {
        const text = asText(resolve(attr("value"), data));
        const div = node("div", "lsf-object pf-html");
        const draw = () => div.replaceChildren(html(text));
        draw();
        div.dataset.name = attr("name");
        objects[attr("name")] = { el: div, text, draw };
        parent.append(div);
      } else if (tag === "Text" || tag === "HyperText" || tag === "Markdown") {
        const text = textOf(resolve(attr("value"), data));
        const div = node("div", markdown ? "lsf-object pf-text pf-md" : "lsf-object pf-text");
        const draw = () => {
          if (markdown) div.replaceChildren(markdown(text));
          else div.textContent = text;
        };
        draw();
        div.dataset.name = attr("name");
        objects[attr("name")] = { el: div, text, draw };
        parent.append(div);
      } else if (tag === "Paragraphs" || tag === "Chat") {
        // a conversation: Label Studio's Paragraphs ({author, text} by default) or Chat ({role, content})
        const chat = tag === "Chat";
        const div = node("div", chat ? "lsf-object pf-paragraphs pf-chat" : "lsf-object pf-paragraphs");
        const turns = resolve(attr("value"), data);
        const nameKey = chat ? "role" : attr("nameKey") || "author";
        const textKey = chat ? "content" : attr("textKey") || "text";
        const messages = (Array.isArray(turns) ? turns : turns == null ? [] : [turns]).map((turn) =>
          turn && typeof turn === "object"
            ? { role: asText(turn[nameKey]), content: chat ? contentText(turn[textKey]) : asText(turn[textKey]) }
            : { role: "", content: asText(turn) },
        );
        const object = { el: div, messages, draw: (list) => drawMessages(div, list) };
        object.draw(messages);
        div.dataset.name = attr("name");
        objects[attr("name")] = object;
        parent.append(div);
      } else if (tag === "Image" || tag === "Audio" || tag === "Video") {
        const object = mediaObject(tag.toLowerCase(), resolve(attr("value"), data), attr);
        objects[attr("name")] = object;
        parent.append(object.el);
      } else if (tag === "List") {
        const items = resolve(attr("value"), data);
        objects[attr("name")] = { el: node("div"), items: Array.isArray(items) ? items : [], title: attr("title") };
      } else if (tag === "Pairwise") {
        controls.push({ tag, xml: child, name: attr("name") });
      } else if (tag === "Choices") {
        const control = choices(child);
        parent.append(control.el);
        controls.push(control);
      } else if (tag === "TextArea") {
        const control = textArea(child);
        parent.append(control.el);
        controls.push(control);
      } else if (tag === "Rating") {
        const control = rating(child);
        parent.append(control.el);
        controls.push(control);
      } else if (tag === "Ranker") {
        const placeholder = node("div", "pf-ranker");
        parent.append(placeholder);
        controls.push({ tag, xml: child, name: attr("name"), placeholder });
      }
    }
  }

  function drawMessages(box, messages) {
    box.replaceChildren(
      ...messages.map(({ role, content }) => {
        const line = node("div", `pf-turn pf-msg pf-turn-${role.replace(/\W/g, "")}`);
        const said = node("div", markdown ? "pf-said pf-md" : "pf-said");
        if (markdown) said.replaceChildren(markdown(content));
        else said.textContent = content;
        line.append(node("span", "pf-author", role), said);
        return line;
      }),
    );
  }

  // <Image>, <Audio>, <Video>: the element only when its address may be loaded (this server, a
  // data: image, a listed media host); otherwise a note saying why, and no request at all.
  function mediaObject(kind, value, attr) {
    const box = node("div", `lsf-object pf-media pf-${kind}`);
    box.dataset.name = attr("name");
    const raw = typeof value === "string" ? value : "";
    const url = mediaUrl(raw, kind);
    if (!url) {
      box.append(node("p", "pf-media-blocked", `${kind[0].toUpperCase()}${kind.slice(1)} not loaded: ${why(raw)}.`));
      if (raw) box.append(node("code", "pf-media-url", raw));
      return { el: box, media: null };
    }
    let el;
    if (kind === "image") {
      el = document.createElement("img");
      el.alt = attr("alt") || attr("name") || "image";
      el.decoding = "async";
    } else {
      el = document.createElement(kind);
      el.controls = true;
      el.preload = "metadata";
      // a focused player swallows the page's keys (1, 2, Enter…): give the focus back after use
      for (const type of ["pointerup", "play", "pause", "seeked", "volumechange"]) {
        el.addEventListener(type, () => setTimeout(() => el.blur(), 0));
      }
    }
    el.referrerPolicy = "no-referrer";
    el.className = "pf-media-el";
    el.src = url;
    box.append(el);
    return { el: box, media: kind === "image" ? null : el };
  }

  function choices(xmlNode) {
    const name = xmlNode.getAttribute("name");
    const multiple = xmlNode.getAttribute("choice") === "multiple";
    const box = node("div", `pf-choices${xmlNode.getAttribute("showInline") === "true" ? " inline" : ""}`);
    box.setAttribute("role", multiple ? "group" : "radiogroup");
    const selected = new Set();
    const buttons = [];
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
      if (hotkey && !readOnly) hotkeys[hotkey.toLowerCase()] = toggle;
      buttons.push([value, button]);
      box.append(button);
    }
    const paint = () => buttons.forEach(([v, b]) => b.setAttribute("aria-pressed", String(selected.has(v))));
    return {
      tag: "Choices", name, el: box, toName: xmlNode.getAttribute("toName"),
      value: () => (selected.size ? { choices: [...selected] } : null),
      set: (v) => { selected.clear(); (v?.choices || []).forEach((c) => selected.add(c)); paint(); },
    };
  }

  function textArea(xmlNode) {
    const name = xmlNode.getAttribute("name");
    const area = node("textarea", "pf-textarea");
    area.rows = Number(xmlNode.getAttribute("rows") || 4);
    area.placeholder = xmlNode.getAttribute("placeholder") || "";
    area.disabled = readOnly;
    // what is typed reaches the draft a moment after each pause (one undo step per pause), at
    // once when the text area loses the focus, and before the page goes away (flush)
    let timer = null;
    let reported = area.value;
    const settle = () => {
      clearTimeout(timer);
      timer = null;
      if (area.value === reported) return;
      reported = area.value;
      changed();
    };
    area.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(settle, TYPING_PAUSE_MS);
    });
    area.addEventListener("change", settle);
    return {
      tag: "TextArea", name, el: area, toName: xmlNode.getAttribute("toName"),
      flush: settle,
      value: () => (area.value.trim() ? { text: [area.value] } : null),
      set: (v) => {
        clearTimeout(timer);
        area.value = (v?.text || []).join("\n");
        reported = area.value;
      },
    };
  }

  function rating(xmlNode) {
    const name = xmlNode.getAttribute("name");
    const max = Number(xmlNode.getAttribute("maxRating") || 5);
    const box = node("div", "pf-rating");
    box.setAttribute("role", "radiogroup");
    if (xmlNode.getAttribute("label")) box.append(node("span", "pf-rating-label", xmlNode.getAttribute("label")));
    let current = 0;
    const stars = [];
    for (let i = 1; i <= max; i++) {
      const star = node("button", "pf-star", "★");
      star.type = "button";
      star.disabled = readOnly;
      star.setAttribute("aria-label", `${i} of ${max}`);
      star.addEventListener("click", () => { current = current === i ? 0 : i; paint(); changed(); });
      stars.push(star);
      box.append(star);
    }
    const paint = () => stars.forEach((s, i) => s.setAttribute("aria-pressed", String(i < current)));
    // a hotkey raises the rating one star (past the top it clears), Shift+hotkey lowers it
    const hotkey = xmlNode.getAttribute("hotkey");
    const keyHint = hotkey ? node("kbd", "pf-key", hotkey) : null;
    if (keyHint) {
      keyHint.title = `${hotkey}: one more star · Shift+${hotkey}: one less`;
      box.append(keyHint);
    }
    return {
      tag: "Rating", name, el: box, toName: xmlNode.getAttribute("toName"),
      key: hotkey && !readOnly ? hotkey.toLowerCase() : null,
      keyHint,
      press: (shift) => {
        current = shift ? Math.max(0, current - 1) : current >= max ? 0 : current + 1;
        paint();
        changed();
      },
      value: () => (current ? { rating: current } : null),
      set: (v) => { current = v?.rating || 0; paint(); },
    };
  }

  // A Ranker's items as the server reads them (preflab/domain/preferences.py `ranked_item`): the id
  // is the item's `id`, else its place in the list; the text is the first of ITEM_TEXT_KEYS that
  // holds a string or a list (a chat); a plain string item is its own text.
  function rankItem(item, index) {
    if (!item || typeof item !== "object" || Array.isArray(item)) {
      return { id: String(index), title: null, text: typeof item === "string" ? item : "" };
    }
    const key = ITEM_TEXT_KEYS.find((k) => typeof item[k] === "string" || Array.isArray(item[k]));
    const title = key !== "title" && typeof item.title === "string" ? item.title : null;
    return { id: String(item.id ?? index), title, text: key ? item[key] : "" };
  }

  function itemText(text) {
    const box = node("div", markdown ? "pf-rank-text pf-md" : "pf-rank-text");
    const turns = Array.isArray(text) && text.every((t) => t && typeof t === "object" && "content" in t);
    if (turns) drawMessages(box, text.map((t) => ({ role: asText(t.role ?? ""), content: contentText(t.content) })));
    else if (markdown && typeof text === "string") box.replaceChildren(markdown(text));
    else box.textContent = asText(text);
    return box;
  }

  // Every ranking is complete: the order shown is the labeler's ranking until they change it, so
  // agreeing with it is a vote too.
  function ranker(control) {
    const list = objects[control.xml.getAttribute("toName")] || { items: [] };
    const items = new Map(list.items.map((item, index) => rankItem(item, index)).map((item) => [item.id, item]));
    const shown = [...items.keys()];
    let order = shown.slice();
    const box = node("ol", "pf-ranked");
    const draw = () => {
      box.replaceChildren();
      order.forEach((id, index) => {
        const item = items.get(id);
        const li = node("li", "pf-rank-item");
        li.dataset.id = id;
        li.append(node("strong", "pf-rank-title", item.title ?? id), itemText(item.text));
        if (!readOnly) {
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
    const move = (index, step) => {
      const [id] = order.splice(index, 1);
      order.splice(index + step, 0, id);
      draw();
      changed();
    };
    draw();
    control.placeholder.append(box);
    Object.assign(control, {
      toName: control.xml.getAttribute("toName"),
      // Label Studio's result: {"ranker": {<Ranker name>: [item ids in the new order]}}
      value: () => (order.length ? { ranker: { [control.name]: [...order] } } : null),
      // a stored ranking as the server reads it (its own list, else all its lists), completed
      // with the items it leaves out in the order shown
      set: (v) => {
        const ranked = v?.ranker;
        const lists = Array.isArray(ranked)
          ? [ranked]
          : Array.isArray(ranked?.[control.name])
            ? [ranked[control.name]]
            : Object.values(ranked || {}).filter(Array.isArray);
        const stored = [...new Set(lists.flat().map(String))].filter((id) => items.has(id));
        order = [...stored, ...shown.filter((id) => !stored.includes(id))];
        draw();
      },
    });
  }

  function pairwise(control) {
    const names = (control.xml.getAttribute("toName") || "").split(",").map((s) => s.trim());
    const style = control.xml.getAttribute("selectionStyle") || "";
    const [a, b] = names.map((n) => objects[n]);
    let selected = null; // "left" = names[0], whatever side it is shown on
    control.shownOrder = names.slice();
    if (a && b && swap) {
      swapNodes(a.el, b.el);
      control.shownOrder = [names[1], names[0]];
    }
    if (a && b) control.layout = layoutPair(a.el, b.el, container);
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
      changed();
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
    // Two conversations that start alike (a chat and two candidate last turns): the shared turns
    // are drawn once above the pair, and each side shows only where it goes its own way.
    if (a?.messages && b?.messages && control.layout) {
      let shared = 0;
      const same = (x, y) => x.role === y.role && x.content === y.content;
      while (shared < a.messages.length - 1 && shared < b.messages.length - 1 && same(a.messages[shared], b.messages[shared])) shared++;
      if (shared) {
        const context = node("div", "lsf-object pf-paragraphs pf-chat pf-context");
        drawMessages(context, a.messages.slice(0, shared));
        control.layout.before(context);
        a.draw(a.messages.slice(shared));
        b.draw(b.messages.slice(shared));
      }
    }
    const media = { left: a?.media || null, right: b?.media || null };
    // playing one side pauses the other: two clips are compared one at a time; Q plays the one
    // shown first, W the other
    for (const [side, other] of [["left", "right"], ["right", "left"]]) {
      const clip = media[side];
      if (!clip) continue;
      clip.addEventListener("play", () => media[other]?.pause());
      if (readOnly) continue;
      const position = control.shownOrder.indexOf(names[side === "left" ? 0 : 1]);
      const hint = node("span", "pf-audio-key");
      hint.append(node("kbd", "pf-key", position === 0 ? "Q" : "W"), " play / pause");
      clip.after(hint);
    }
    // controls that belong to one answer (e.g. its ratings) keep their keys on the side they are
    // shown: with the answers swapped, the keys of the first and second answer's controls swap too
    const own = (name) => controls.filter((c) => c.key !== undefined && c.toName === name);
    const [ownA, ownB] = [own(names[0]), own(names[1])];
    if (swap && ownA.length === ownB.length) {
      ownA.forEach((x, i) => {
        const y = ownB[i];
        [x.key, y.key] = [y.key, x.key];
        if (x.keyHint && y.keyHint) [x.keyHint.textContent, y.keyHint.textContent] = [y.keyHint.textContent, x.keyHint.textContent];
      });
    }
    Object.assign(control, {
      play: (position) => {
        const side = control.shownOrder[position] === names[0] ? "left" : "right";
        const clip = media[side];
        if (!clip) return false;
        if (clip.paused) clip.play().catch(() => {});
        else clip.pause();
        return true;
      },
      toName: control.name, // Label Studio's Pairwise result targets the control itself
      value: () => (selected ? { selected } : null),
      set: (v) => { selected = v?.selected === "left" || v?.selected === "right" ? v.selected : null; paint(); },
      selectShown: (position) => toggle(control.shownOrder[position] === names[0] ? "left" : "right"),
      picked: () => (selected ? control.shownOrder.indexOf(names[selected === "left" ? 0 : 1]) : null),
      texts: a && b && "text" in a && "text" in b ? [a, b] : null,
    });
  }

  walk(doc.documentElement, container);
  const rootView = doc.documentElement;
  if (rootView.getAttribute("className")) container.classList.add(...rootView.getAttribute("className").split(/\s+/).filter(Boolean));
  if (rootView.getAttribute("style")) container.style.cssText = rootView.getAttribute("style");
  for (const control of controls) {
    if (control.tag === "Pairwise") pairwise(control);
    if (control.tag === "Ranker") ranker(control);
  }
  for (const control of controls) {
    if (control.key) hotkeys[control.key] = control.press;
  }
  const clamped = fit ? clampLongTexts(container, objects) : [];
  // conversations above the answers scroll on their own, showing their last turns first
  const conversations = fit ? [...container.querySelectorAll(".pf-chat, .pf-paragraphs")].filter((c) => !c.closest(".pf-answer")) : [];
  for (const box of conversations) box.classList.add("pf-convo");
  if (conversations.length) {
    const toEnd = () => conversations.forEach((box) => (box.scrollTop = box.scrollHeight));
    requestAnimationFrame(toEnd);
    base.addEventListener("load", toEnd, { once: true }); // the stage's styles may come later
  }
  if (sheets.length) {
    try {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(sheets.join("\n"));
      root.adoptedStyleSheets = [sheet];
    } catch (_) {
      /* an unparsable <Style> is ignored, as a browser ignores bad CSS */
    }
  }

  function snapshot() {
    return controls.map((c) => c.value());
  }
  history.push(snapshot());

  const pair = controls.find((c) => c.tag === "Pairwise");
  let diffing = false;
  let kept = []; // results of tags this screen does not draw, saved again unchanged
  return {
    controls,
    shownOrder: pair ? pair.shownOrder : null,
    selectShown: (position) => pair && !readOnly && pair.selectShown(position),
    play: (position) => Boolean(pair?.play(position)),
    picked: () => (pair ? pair.picked() : null),
    hasLongText: clamped.length > 0,
    toggleDiff() {
      if (!pair?.texts) return null;
      diffing = !diffing;
      const [x, y] = pair.texts;
      if (diffing) {
        // the differences are marked on the text as written (Markdown shows as its source)
        const [marksX, marksY] = wordDiff(x.text, y.text);
        x.el.replaceChildren(...marksX);
        y.el.replaceChildren(...marksY);
      } else {
        x.draw();
        y.draw();
      }
      container.classList.toggle("pf-diffing", diffing);
      return diffing;
    },
    togglePrompt() {
      if (!clamped.length && !conversations.length) return null;
      const open = !(clamped[0]?.box || conversations[0]).classList.contains("pf-open");
      for (const box of conversations) box.classList.toggle("pf-open", open);
      for (const { box, button } of clamped) {
        box.classList.toggle("pf-open", open);
        button.textContent = open ? "Show less (P)" : "Show the whole text (P)";
        button.setAttribute("aria-expanded", String(open));
      }
      return open;
    },
    // run the config's hotkey for this key, if it has one (Shift lowers a rating)
    hotkey(key, { shift = false } = {}) {
      const action = hotkeys[key.toLowerCase()];
      if (action) action(shift);
      return Boolean(action);
    },
    result() {
      const out = kept.map((r) => ({ ...r }));
      for (const c of controls) {
        const value = c.value();
        if (value) out.push({ id: randomId(), from_name: c.name, to_name: c.toName, type: c.tag.toLowerCase(), origin: "manual", value });
      }
      return out;
    },
    load(result) {
      const drawn = new Set(controls.map((c) => c.name));
      kept = (Array.isArray(result) ? result : []).filter((r) => r && !drawn.has(r.from_name));
      for (const c of controls) c.set((result || []).find((r) => r.from_name === c.name)?.value || null);
      history.length = 0;
      history.push(snapshot());
    },
    // report what is typed but not yet reported (before the page goes away)
    flush() {
      for (const c of controls) c.flush?.();
    },
    undo() {
      if (history.length < 2) return false;
      history.pop();
      const previous = history[history.length - 1];
      controls.forEach((c, i) => c.set(previous[i]));
      onChange();
      return true;
    },
  };
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
  for (const [box, key] of [[first, "1"], [second, "2"]]) {
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

// Long texts outside the answers (the prompt, mostly) are clamped to a few lines, with a button
// to see them whole. Decided from the text itself, so that it costs no layout.
function clampLongTexts(container, objects) {
  const out = [];
  for (const object of Object.values(objects)) {
    if (!("text" in object) || object.el.closest(".pf-answer")) continue;
    const lines = object.text.split("\n").length;
    if (object.text.length < 600 && lines <= 6) continue;
    object.el.classList.add("pf-clamp");
    const button = node("button", "pf-more", "Show the whole text (P)");
    button.type = "button";
    button.setAttribute("aria-expanded", "false");
    object.el.after(button);
    const entry = { box: object.el, button };
    button.addEventListener("click", (event) => {
      event.stopPropagation();
      const open = !object.el.classList.contains("pf-open");
      object.el.classList.toggle("pf-open", open);
      button.textContent = open ? "Show less (P)" : "Show the whole text (P)";
      button.setAttribute("aria-expanded", String(open));
    });
    out.push(entry);
  }
  return out;
}

// Word-level differences between two texts: two lists of nodes (text, and <mark> around the
// words the other text lacks). Common prefix and suffix are cut first (near duplicates are the
// usual case); the middle is compared by longest common subsequence while that stays small, and
// marked whole beyond it.
export function wordDiff(left, right) {
  const x = left.split(/(\s+)/).filter(Boolean);
  const y = right.split(/(\s+)/).filter(Boolean);
  const wx = [];
  const wy = [];
  x.forEach((t, i) => /\S/.test(t) && wx.push(i));
  y.forEach((t, i) => /\S/.test(t) && wy.push(i));
  const keepX = new Uint8Array(x.length).fill(1);
  const keepY = new Uint8Array(y.length).fill(1);
  let start = 0;
  while (start < wx.length && start < wy.length && x[wx[start]] === y[wy[start]]) start++;
  let endX = wx.length;
  let endY = wy.length;
  while (endX > start && endY > start && x[wx[endX - 1]] === y[wy[endY - 1]]) {
    endX--;
    endY--;
  }
  const n = endX - start;
  const m = endY - start;
  if (n && m && n * m <= 4_000_000) {
    const width = m + 1;
    const table = new Uint32Array((n + 1) * width);
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        table[i * width + j] = x[wx[start + i]] === y[wy[start + j]]
          ? table[(i + 1) * width + j + 1] + 1
          : Math.max(table[(i + 1) * width + j], table[i * width + j + 1]);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && x[wx[start + i]] === y[wy[start + j]]) {
        i++;
        j++;
      } else if (j >= m || (i < n && table[(i + 1) * width + j] >= table[i * width + j + 1])) {
        keepX[wx[start + i++]] = 0;
      } else {
        keepY[wy[start + j++]] = 0;
      }
    }
  } else {
    for (let i = start; i < endX; i++) keepX[wx[i]] = 0;
    for (let j = start; j < endY; j++) keepY[wy[j]] = 0;
  }
  return [marked(x, keepX), marked(y, keepY)];
}

function marked(tokens, keep) {
  const out = [];
  let plain = "";
  let mark = null;
  tokens.forEach((token, i) => {
    const space = !/\S/.test(token);
    // whitespace between two changed words stays inside one mark
    const changed = space ? mark && keep[i + 1] === 0 : keep[i] === 0;
    if (changed) {
      if (!mark) {
        if (plain) out.push(document.createTextNode(plain));
        plain = "";
        mark = node("mark", "pf-diff");
      }
      mark.textContent += token;
    } else {
      if (mark) out.push(mark);
      mark = null;
      plain += token;
    }
  });
  if (mark) out.push(mark);
  if (plain) out.push(document.createTextNode(plain));
  return out;
}
