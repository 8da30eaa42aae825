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
// stored annotation recorded them (its shown_order), else as the server handed the task out (the
// task's shown_order: on a project that randomizes the order the server chooses it, balanced
// across labelers, preflab/domain/ordering.py), else as the config lists them. The labeling page
// (label.js) and the task page (task.js) both show an answer the way its labeler saw it.
export function swapped({ pair, shownOrder = null }) {
  return Boolean(shownOrder?.length) && Boolean(pair?.length) && shownOrder[0] !== pair[0];
}
