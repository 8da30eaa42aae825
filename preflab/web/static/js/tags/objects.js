// Object tags: what the labeler reads, looks at or listens to (Header, Text, HyperText, Markdown,
// Paragraphs, Chat, Image, Audio, Video, and List, the items of a Ranker).

import { mediaUrl, why } from "../media.js";
import { asText, contentText, node, resolve, textOf } from "./common.js";

function header(xmlNode, parent, stage) {
  parent.append(node("h3", "pf-header", asText(resolve(xmlNode.getAttribute("value"), stage.data))));
}

// <Text>, <Markdown>, and <HyperText> when no HTML sanitizer is loaded: plain text, or Markdown.
function text(xmlNode, parent, stage) {
  if (xmlNode.tagName === "HyperText" && stage.html) return hyperText(xmlNode, parent, stage);
  const { markdown } = stage;
  const value = textOf(resolve(xmlNode.getAttribute("value"), stage.data));
  const div = node("div", markdown ? "lsf-object pf-text pf-md" : "lsf-object pf-text");
  const draw = () => {
    if (markdown) div.replaceChildren(markdown(value));
    else div.textContent = value;
  };
  add(xmlNode, parent, stage, { el: div, text: value, draw });
}

function hyperText(xmlNode, parent, stage) {
  const value = asText(resolve(xmlNode.getAttribute("value"), stage.data));
  const div = node("div", "lsf-object pf-html");
  add(xmlNode, parent, stage, { el: div, text: value, draw: () => div.replaceChildren(stage.html(value)) });
}

// A conversation: Label Studio's Paragraphs ({author, text} by default) or Chat ({role, content}).
function conversation(xmlNode, parent, stage) {
  const chat = xmlNode.tagName === "Chat";
  const div = node("div", chat ? "lsf-object pf-paragraphs pf-chat" : "lsf-object pf-paragraphs");
  const turns = resolve(xmlNode.getAttribute("value"), stage.data);
  const nameKey = chat ? "role" : xmlNode.getAttribute("nameKey") || "author";
  const textKey = chat ? "content" : xmlNode.getAttribute("textKey") || "text";
  const messages = (Array.isArray(turns) ? turns : turns == null ? [] : [turns]).map((turn) =>
    turn && typeof turn === "object"
      ? { role: asText(turn[nameKey]), content: chat ? contentText(turn[textKey]) : asText(turn[textKey]) }
      : { role: "", content: asText(turn) },
  );
  add(xmlNode, parent, stage, { el: div, messages, draw: (list) => stage.drawMessages(div, list) });
}

function add(xmlNode, parent, stage, object) {
  object.draw(object.messages);
  object.el.dataset.name = xmlNode.getAttribute("name");
  stage.objects[xmlNode.getAttribute("name")] = object;
  parent.append(object.el);
}

// <Image>, <Audio>, <Video>: the element only when its address may be loaded (this server, a
// data: image, a listed media host); otherwise a note saying why, and no request at all.
function media(xmlNode, parent, stage) {
  const kind = xmlNode.tagName.toLowerCase();
  const attr = (name) => xmlNode.getAttribute(name);
  const value = resolve(attr("value"), stage.data);
  const box = node("div", `lsf-object pf-media pf-${kind}`);
  box.dataset.name = attr("name");
  stage.objects[attr("name")] = { el: box, media: null };
  parent.append(box);
  const raw = typeof value === "string" ? value : "";
  const url = mediaUrl(raw, kind);
  if (!url) {
    box.append(node("p", "pf-media-blocked", `${kind[0].toUpperCase()}${kind.slice(1)} not loaded: ${why(raw)}.`));
    if (raw) box.append(node("code", "pf-media-url", raw));
    return;
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
    stage.objects[attr("name")].media = el;
  }
  el.referrerPolicy = "no-referrer";
  el.className = "pf-media-el";
  el.src = url;
  box.append(el);
}

// <List>: the items a Ranker ranks; drawn by the Ranker (tags/ranker.js).
function list(xmlNode, _parent, stage) {
  const items = resolve(xmlNode.getAttribute("value"), stage.data);
  stage.objects[xmlNode.getAttribute("name")] = { el: node("div"), items: Array.isArray(items) ? items : [], title: xmlNode.getAttribute("title") };
}

export const TAGS = {
  Header: header,
  Text: text,
  HyperText: text,
  Markdown: text,
  Paragraphs: conversation,
  Chat: conversation,
  Image: media,
  Audio: media,
  Video: media,
  List: list,
};
