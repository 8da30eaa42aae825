// Rules the server decides and the page follows, served with the page (web/pages.py puts them
// in the <script type="application/json" id="preflab-rules"> block of base.html), so that each
// has one implementation:
//   media_hosts      the project's media hosts as the server reads them (web/security.py
//                    `media_hosts`): exactly the hosts its Content-Security-Policy allows
//   item_text_keys   the keys a Ranker item's text is read from, first found first
//                    (preflab/domain/preferences.py `ITEM_TEXT_KEYS`)

const NONE = { media_hosts: [], item_text_keys: [] };
let rules = null;

export function pageRules() {
  if (!rules) {
    const block = typeof document === "undefined" ? null : document.getElementById("preflab-rules");
    rules = block ? { ...NONE, ...JSON.parse(block.textContent) } : NONE;
  }
  return rules;
}

// Whether the answers of a Pairwise are shown swapped (the second of its toName first): as a
// stored annotation recorded them (its shown_order), else, for a project that randomizes the
// order, by a coin flip fixed per labeler and task, else as the config lists them. The labeling
// page (label.js) and the task page (task.js) both show an answer the way its labeler saw it.
export function swapped({ pair, shownOrder = null, randomize = false, seed = "" }) {
  if (shownOrder?.length) return Boolean(pair?.length) && shownOrder[0] !== pair[0];
  return randomize && Boolean(pair?.length) && coinFlip(seed);
}

// A small deterministic hash, so a labeler sees the same order on a task every time.
export function coinFlip(seed) {
  let h = 2166136261;
  for (const c of seed) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  return (h >>> 0) % 2 === 1;
}
