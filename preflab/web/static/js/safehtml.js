// DOMPurify (vendored) set up the way every page of preflab draws user HTML: links open in a new tab
// with no referrer and no opener; images load only from this server or the project's media hosts,
// others become "[image: alt]" text. `more` handles further tags (e.g. Markdown's task-list boxes).

import DOMPurify from "../vendor/purify.es.js";
import { mediaUrl } from "./media.js";

export function purifier(more) {
  const purify = DOMPurify(window);
  purify.addHook("afterSanitizeAttributes", (node) => {
    if (node.tagName === "A") {
      node.setAttribute("target", "_blank");
      node.setAttribute("rel", "noopener noreferrer nofollow");
    } else if (node.tagName === "IMG") {
      if (mediaUrl(node.getAttribute("src") || "", "image")) {
        node.setAttribute("referrerpolicy", "no-referrer");
        return;
      }
      const label = node.getAttribute("alt") || node.getAttribute("src") || "";
      node.replaceWith(node.ownerDocument.createTextNode(`[image: ${label}]`));
    } else if (more) {
      more(node);
    }
  });
  return purify;
}
