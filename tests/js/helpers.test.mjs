// Unit tests of the page scripts' pure helpers (no DOM): node --test tests/js/
import assert from "node:assert/strict";
import { test } from "node:test";

import { diffTokens, runs } from "../../preflab/web/static/js/diff.js";
import { safeCss, sampleData } from "../../preflab/web/static/js/render.js";
import { pageRules, swapped } from "../../preflab/web/static/js/rules.js";
import { asText, contentText, resolve, textOf } from "../../preflab/web/static/js/tags/common.js";
import { rankItem, storedOrder } from "../../preflab/web/static/js/tags/ranker.js";

const KEYS = ["body", "text", "content", "html", "answer", "title"]; // the server's ITEM_TEXT_KEYS

test("resolve reads $keys from the task data, whole or inside text", () => {
  const data = { prompt: "Hi", turn: { role: "user" }, n: 3 };
  assert.equal(resolve("$prompt", data), "Hi");
  assert.deepEqual(resolve(" $turn ", data), { role: "user" }); // a whole value stays what it is
  assert.equal(resolve("$turn.role", data), "user");
  assert.equal(resolve("Q: $prompt ($n)", data), "Q: Hi (3)");
  assert.equal(resolve("$missing", data), undefined);
  assert.equal(resolve("[$missing]", data), '[""]');
  assert.equal(resolve(null, data), "");
});

test("texts of values, chat messages and content parts", () => {
  assert.equal(asText(null), "");
  assert.equal(asText({ a: 1 }), '{\n  "a": 1\n}');
  assert.equal(contentText([{ type: "text", text: "a" }, { type: "image_url" }]), 'a\n{\n  "type": "image_url"\n}');
  assert.equal(textOf({ role: "assistant", content: "hello" }), "hello");
  assert.equal(textOf(["x"]), '[\n  "x"\n]');
});

test("a Ranker item reads as the server's ranked_item does", () => {
  assert.deepEqual(rankItem({ id: "a", title: "A", body: "first" }, 0, KEYS), { id: "a", title: "A", text: "first" });
  assert.deepEqual(rankItem({ answer: "x", html: "<b>y</b>" }, 4, KEYS), { id: "4", title: null, text: "<b>y</b>" });
  assert.deepEqual(rankItem({ id: 0, title: "only a title" }, 2, KEYS), { id: "0", title: null, text: "only a title" });
  assert.deepEqual(rankItem({ id: null, text: ["turn"] }, 1, KEYS), { id: "1", title: null, text: ["turn"] });
  assert.deepEqual(rankItem("plain", 3, KEYS), { id: "3", title: null, text: "plain" });
  assert.deepEqual(rankItem(7, 5, KEYS), { id: "5", title: null, text: "" });
  assert.deepEqual(rankItem({ body: "no keys served" }, 0, []), { id: "0", title: null, text: "" });
});

test("a stored ranking is completed with the items it leaves out, in the order shown", () => {
  const shown = ["a", "b", "c", "d"];
  assert.deepEqual(storedOrder({ rank: ["c", "a"] }, "rank", shown), ["c", "a", "b", "d"]);
  assert.deepEqual(storedOrder({ other: ["d"], more: ["b", 9] }, "rank", shown), ["d", "b", "a", "c"]);
  assert.deepEqual(storedOrder(["b", "b", "x"], "rank", shown), ["b", "a", "c", "d"]);
  assert.deepEqual(storedOrder(null, "rank", shown), shown);
});

test("the order swap: as recorded or handed out, else as configured", () => {
  const pair = ["answer1", "answer2"];
  assert.equal(swapped({ pair, shownOrder: ["answer2", "answer1"] }), true);
  assert.equal(swapped({ pair, shownOrder: ["answer1", "answer2"] }), false);
  assert.equal(swapped({ pair }), false); // no order handed out: the config's
  assert.equal(swapped({ pair: [], shownOrder: ["answer2", "answer1"] }), false); // nothing to swap
});

test("without a page, no rules are served", () => {
  assert.deepEqual(pageRules(), { media_hosts: [], item_text_keys: [] });
});

test("word differences: changed words marked, whitespace between them inside the mark", () => {
  const [left, right] = diffTokens("the quick brown fox", "the slow red fox");
  assert.deepEqual(runs(left), [
    { text: "the ", changed: false },
    { text: "quick brown", changed: true },
    { text: " fox", changed: false },
  ]);
  assert.deepEqual(runs(right), [
    { text: "the ", changed: false },
    { text: "slow red", changed: true },
    { text: " fox", changed: false },
  ]);
  const [same] = diffTokens("a b", "a b");
  assert.deepEqual(runs(same), [{ text: "a b", changed: false }]);
  const [added, longer] = diffTokens("a c", "a b c");
  assert.deepEqual(runs(added), [{ text: "a c", changed: false }]);
  assert.deepEqual(runs(longer), [
    { text: "a ", changed: false },
    { text: "b", changed: true },
    { text: " c", changed: false },
  ]);
});

test("sample data from a config's comment, and CSS that fetches nothing", () => {
  assert.deepEqual(sampleData('<View/><!-- not json --><!--{"data": {"a": 1}}-->'), { a: 1 });
  assert.equal(sampleData("<View/>"), null);
  assert.equal(safeCss("@import 'x.css'; a { background: url(http://x/y.png) }"), " a { background: none }");
});
