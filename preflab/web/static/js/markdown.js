// Markdown for task text, for projects with `render_markdown` on: parsed by marked, sanitized by
// DOMPurify, code blocks highlighted by highlight.js (all vendored, loaded only when needed).
// What comes out can run nothing and fetch nothing from elsewhere: raw HTML in the text is shown
// as text, only a list of harmless tags and attributes survives, links are http(s)/mailto only
// and open in a new tab, and images load only from this server or the project's media hosts
// (others become their alt text).

import hljs from "../vendor/highlight.min.js";
import { Marked } from "../vendor/marked.esm.js";
import { purifier } from "./safehtml.js";

const escapeHtml = (text) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const parser = new Marked({ gfm: true, breaks: false, async: false });
parser.use({
  renderer: {
    html: (token) => escapeHtml(token.text), // raw HTML stays text, as in plain-text mode
  },
});

// biome-ignore format: a list of names, kept compact
const TAGS = [
  "a", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i",
  "img", "li", "ol", "p", "pre", "s", "span", "strong", "sub", "sup", "table", "tbody", "td", "th",
  "thead", "tr", "ul", "input",
];
const CONFIG = {
  ALLOWED_TAGS: TAGS,
  ALLOWED_ATTR: ["href", "title", "alt", "src", "class", "align", "start", "type", "checked", "disabled"],
  ALLOWED_URI_REGEXP: /^(?:https?:|mailto:|#|\/(?!\/))/i,
  RETURN_DOM_FRAGMENT: true,
};

const purify = purifier((node) => {
  if (node.tagName === "INPUT") {
    // task-list boxes only, and they cannot be ticked
    if (node.getAttribute("type") !== "checkbox") node.remove();
    else node.setAttribute("disabled", "");
  }
});

const HIGHLIGHT = { ALLOWED_TAGS: ["span"], ALLOWED_ATTR: ["class"], RETURN_DOM_FRAGMENT: true };

// Markdown text → a DocumentFragment of sanitized nodes.
export function markdown(text) {
  const fragment = purify.sanitize(parser.parse(text), CONFIG);
  for (const code of fragment.querySelectorAll("pre > code")) {
    const language = /(?:^|\s)language-([\w+#-]+)/.exec(code.className)?.[1]?.toLowerCase();
    code.classList.add("hljs");
    if (!language || !hljs.getLanguage(language)) continue;
    try {
      const html = hljs.highlight(code.textContent, { language, ignoreIllegals: true }).value;
      code.replaceChildren(purify.sanitize(html, HIGHLIGHT));
    } catch (_) {
      /* left plain */
    }
  }
  return fragment;
}
