// What every tag module shares: reading task data into a tag's value, and drawing small nodes.
//
// The interface between render.js and a tag module: a module exports `TAGS`, an object from tag
// name to `draw(xmlNode, parent, stage)`. `draw` appends what it shows to `parent` and records,
// on `stage` (made by render.js):
//   stage.objects[name] = {el, text?, messages?, items?, media?, draw?}   an object tag's data
//   stage.controls.push(control)                                         a control tag, in order
//   stage.later(fn)      run fn once every tag is drawn (a control that needs its objects)
// and reads stage.data, stage.readOnly, stage.swap, stage.markdown, stage.html, stage.container,
// stage.controls, stage.hotkeys (key -> action), stage.changed() (an answer changed) and
// stage.drawMessages(box, messages).
// A control is {tag, name, toName, el?, value(), set(value), flush?(), key?, keyHint?, press?}:
// value() is the Label Studio result value of the current answer (null: none), set() shows a
// stored one, key/press a hotkey whose action render.js wires up after every tag is drawn.

// A tag's value attribute read from the task data: "$key" (or "$a.b") whole is that value as it
// is; "$key" inside other text is replaced by the value's text.
export function resolve(value, data) {
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

export function asText(value) {
  if (value == null) return "";
  return typeof value === "string" ? value : JSON.stringify(value, null, 2);
}

// The text of a chat message's content: a string, or OpenAI-style parts ({type: "text", text}).
export function contentText(content) {
  if (Array.isArray(content) && content.every((part) => part && typeof part === "object")) {
    return content.map((part) => (typeof part.text === "string" ? part.text : asText(part))).join("\n");
  }
  return asText(content);
}

// A text object's value: a string, or one chat message ({role, content}) drawn as its content.
export function textOf(value) {
  if (value && typeof value === "object" && !Array.isArray(value) && "content" in value) return contentText(value.content);
  return asText(value);
}

export function node(tag, className, text) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}
