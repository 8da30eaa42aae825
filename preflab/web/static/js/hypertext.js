// HyperText task data (HTML) for the labeling page, sanitized by DOMPurify (vendored): only
// formatting tags survive, no script, no event handler, no style, no form or frame; links are
// http(s)/mailto and open in a new tab; images load only from this server or the project's media
// hosts (others become their alt text). Loaded only for configs with a <HyperText> tag.

import { purifier } from "./safehtml.js";

// biome-ignore format: a list of names, kept compact
const TAGS = [
  "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "details", "dfn", "div",
  "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins",
  "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small", "span", "strong", "sub", "summary",
  "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr", "u", "ul", "var",
];
const CONFIG = {
  ALLOWED_TAGS: TAGS,
  ALLOWED_ATTR: ["href", "title", "alt", "src", "class", "colspan", "rowspan", "start", "datetime", "open", "lang", "dir"],
  ALLOWED_URI_REGEXP: /^(?:https?:|mailto:|#|\/(?![/\\])|data:image\/)/i,
  KEEP_CONTENT: true,
  RETURN_DOM_FRAGMENT: true,
};

const purify = purifier();

// HTML text → a DocumentFragment of sanitized nodes.
export function hypertext(html) {
  return purify.sanitize(String(html ?? ""), CONFIG);
}
