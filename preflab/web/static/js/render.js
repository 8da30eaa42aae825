// Renders a Label Studio labeling config (XML) with one task's data, inside a shadow root so
// that the config's <Style> applies to the labeling area only. Task data is only ever set as
// text, never parsed as HTML, except through the sanitizers (js/markdown.js, js/hypertext.js);
// media addresses are checked first (js/media.js) and others are never requested.
//
// Each family of tags is drawn by its own module under tags/ (objects, controls, pairwise,
// ranker), behind the interface that tags/common.js describes; this module walks the config,
// hands each tag to its module, and makes the labeling interface from the controls they record.
// A new tag goes into the module of its family (or a new one listed in FAMILIES).

import { wordDiff } from "./diff.js";
import { setMediaHosts } from "./media.js";
import { pageRules } from "./rules.js";
import { node } from "./tags/common.js";
import { TAGS as CONTROLS } from "./tags/controls.js";
import { TAGS as OBJECTS } from "./tags/objects.js";
import { TAGS as PAIRWISE } from "./tags/pairwise.js";
import { TAGS as RANKER } from "./tags/ranker.js";

export { wordDiff };

const STAGE_CSS = "/static/css/stage.css";
const HIGHLIGHT_CSS = "/static/vendor/highlight-github.css";

export class ConfigError extends Error {}

// Tags this screen draws, by the module that draws them; other object and control tags (image
// regions, time series, PDF …) show a notice, and the results they hold are kept as they are
// when an annotation is saved again.
const FAMILIES = [OBJECTS, CONTROLS, PAIRWISE, RANKER];
const DRAW = Object.assign({}, ...FAMILIES);
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

// The names of the two objects a config's Pairwise compares, in its toName order ([] without one).
export function pairNames(doc) {
  const pair = doc.querySelector("Pairwise");
  return pair ? (pair.getAttribute("toName") || "").split(",").map((s) => s.trim()) : [];
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

// The helpers a config needs on a page, loaded only when needed: Markdown for projects with
// render_markdown, the HTML sanitizer for <HyperText>. Also sets the media hosts (by default
// the project's, served with the page: js/rules.js).
export async function helpers(doc, { markdown = false, mediaHosts = pageRules().media_hosts } = {}) {
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
//   play(i)             Pairwise of audio / video: play or pause the one displayed at position i
// With `fit`, the labeling area fills its host: the two answers side by side, each scrolling on
// its own, and long texts outside them (the prompt) clamped, to be opened on demand.
// With `markdown` (a function from text to sanitized nodes, js/markdown.js), texts and chat
// messages are drawn as Markdown; without it they are plain text. With `html` (js/hypertext.js),
// <HyperText> is drawn as sanitized HTML; without it, as its source text.
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

  const controls = [];
  const sheets = [];
  const history = [];
  const pending = [];
  const stage = {
    data,
    readOnly,
    swap,
    markdown,
    html,
    container,
    objects: {},
    controls,
    hotkeys: {}, // key -> action, from the config's hotkey="…" attributes
    changed: () => {
      history.push(snapshot());
      onChange();
    },
    later: (fn) => pending.push(fn),
    drawMessages: (box, messages) => drawMessages(box, messages, markdown),
  };

  function walk(xmlNode, parent) {
    for (const child of xmlNode.children) {
      const tag = child.tagName;
      if (tag === "Collapse" || tag === "Panel") {
        const div = node("div", tag === "Panel" ? "pf-panel" : "pf-collapse");
        if (tag === "Panel" && child.getAttribute("value")) div.append(node("h4", "pf-header", child.getAttribute("value")));
        parent.append(div);
        walk(child, div);
      } else if (tag === "View") {
        const div = node("div", child.getAttribute("className") || "");
        if (child.getAttribute("style")) div.style.cssText = child.getAttribute("style");
        parent.append(div);
        walk(child, div);
      } else if (tag === "Style") {
        sheets.push(safeCss(child.textContent));
      } else if (DRAW[tag]) {
        DRAW[tag](child, parent, stage);
      } else if (!SILENT.has(tag)) {
        parent.append(notDrawn(tag));
      }
    }
  }

  walk(doc.documentElement, container);
  const rootView = doc.documentElement;
  if (rootView.getAttribute("className")) container.classList.add(...rootView.getAttribute("className").split(/\s+/).filter(Boolean));
  if (rootView.getAttribute("style")) container.style.cssText = rootView.getAttribute("style");
  for (const fn of pending) fn();
  for (const control of controls) {
    if (control.key) stage.hotkeys[control.key] = control.press;
  }
  const clamped = fit ? clampLongTexts(stage.objects) : [];
  // conversations above the answers scroll on their own, showing their last turns first
  const conversations = fit ? [...container.querySelectorAll(".pf-chat, .pf-paragraphs")].filter((c) => !c.closest(".pf-answer")) : [];
  for (const box of conversations) box.classList.add("pf-convo");
  if (conversations.length) {
    const toEnd = () => {
      for (const box of conversations) box.scrollTop = box.scrollHeight;
    };
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
      const action = stage.hotkeys[key.toLowerCase()];
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
      for (const [i, c] of controls.entries()) c.set(previous[i]);
      onChange();
      return true;
    },
  };
}

// A conversation's turns, each with its speaker, as Markdown when `markdown` is given.
function drawMessages(box, messages, markdown) {
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

// Long texts outside the answers (the prompt, mostly) are clamped to a few lines, with a button
// to see them whole. Decided from the text itself, so that it costs no layout.
function clampLongTexts(objects) {
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
